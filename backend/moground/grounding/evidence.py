"""Per-frame phrase evidence from windows of several lengths.

A frame's evidence for a phrase is the mean similarity of the windows that cover it,
averaged over the scales ``WINDOW_SCALES_S``, then centred and scaled over time
(``standardise_rows``). The fused decoder pools its windows from the frame features
once; the sliding-window baseline encodes every window on its own (``window``); the
library index uses the same window grid.
"""

from __future__ import annotations

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder

WINDOW_SCALES_S: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)


def window_starts(t_count: int, length: int, step: int) -> list[int]:
    """First frames of windows of ``length`` frames every ``step`` frames, the last one
    flush with the end of the clip."""
    starts = list(range(0, t_count - length + 1, step))
    if starts[-1] != t_count - length:
        starts.append(t_count - length)
    return starts


def window_cover(t_count: int, length: int, step: int) -> torch.Tensor:
    """[windows, T] 0/1 coverage of the windows of :func:`window_starts`."""
    starts = window_starts(t_count, length, step)
    cover = torch.zeros(len(starts), t_count)
    for i, s in enumerate(starts):
        cover[i, s : s + length] = 1.0
    return cover


def standardise_rows(scores: np.ndarray) -> np.ndarray:
    """Centre and scale each row over time, so a phrase that matches everything cannot
    take the whole clip (a constant row stays 0)."""
    out = np.asarray(scores, dtype=np.float64)
    out = out - out.mean(axis=1, keepdims=True)
    scale = out.std(axis=1, keepdims=True)
    return out / np.where(scale > 1e-9, scale, 1.0)


def evidence_curves(encoder: MotionTextEncoder, feats: torch.Tensor, text: torch.Tensor,
                    scales_s: tuple[float, ...]) -> np.ndarray:
    """[K, T] per-frame evidence of each phrase: the mean similarity of the windows
    covering a frame (windows pooled from ``feats``, half-overlapping, several lengths),
    centred and scaled over time so a phrase that matches everything cannot take all."""
    t_count, k = feats.shape[0], text.shape[0]
    total = torch.zeros(k, t_count)
    used = 0
    for scale in scales_s:
        length = int(round(scale * encoder.fps))
        if length < 2 or length > t_count:
            continue
        cover = window_cover(t_count, length, max(1, length // 2))
        with torch.no_grad():
            sims = (text @ encoder.pool(feats, cover.to(feats.device)).T).cpu()  # [K, windows]
        total += (sims @ cover) / cover.sum(0).clamp_min(1.0)
        used += 1
    if used == 0:
        return np.zeros((k, t_count))
    return standardise_rows((total / used).numpy())
