"""Sliding-window baseline (the TMR "temporal pyramid").

Windows of several lengths slide over the clip; each window is encoded on its own by
the same frozen encoder and compared with every phrase. A frame's score for a phrase
is the mean similarity of the windows that cover it, averaged over scales. Each
phrase's scores are then centred and scaled over time, so a generic phrase that is
similar to everything cannot take the whole clip, and an ordered DP assigns one
segment per phrase. It re-encodes every window, which is why it is slow.
"""

from __future__ import annotations

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder
from .decode import ordered_segments

DEFAULT_SCALES_S: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)


def window_scores(
    encoder: MotionTextEncoder,
    motion: torch.Tensor,
    text: torch.Tensor,
    fps: float,
    scales_s: tuple[float, ...] = DEFAULT_SCALES_S,
    overlap: int = 2,
) -> np.ndarray:
    """[K, T] centred per-frame scores from windows encoded one by one."""
    t_count, k = motion.shape[0], text.shape[0]
    total = torch.zeros(k, t_count)
    used = 0
    with torch.no_grad():
        for scale in scales_s:
            length = int(round(scale * fps))
            if length < 2 or length > t_count:
                continue
            step = max(1, length // overlap)
            acc = torch.zeros(k, t_count)
            cnt = torch.zeros(t_count)
            starts = list(range(0, t_count - length + 1, step))
            if starts[-1] != t_count - length:
                starts.append(t_count - length)
            for s in starts:
                crop = motion[s : s + length]
                feats = encoder.frame_features(crop - crop[:1, :1] * crop.new_tensor([1.0, 0.0, 1.0]))
                emb = encoder.pool(feats, torch.ones(1, length, device=feats.device))[0]
                acc[:, s : s + length] += (text @ emb).cpu()[:, None]
                cnt[s : s + length] += 1
            total += acc / cnt.clamp_min(1)
            used += 1
    if used == 0:  # clip shorter than every window: one window over the whole clip
        with torch.no_grad():
            feats = encoder.frame_features(motion)
            emb = encoder.pool(feats, torch.ones(1, t_count, device=feats.device))[0]
        total = (text @ emb).cpu()[:, None].repeat(1, t_count)
        used = 1
    scores = (total / used).numpy().astype(np.float64)
    scores = scores - scores.mean(axis=1, keepdims=True)
    scale = scores.std(axis=1, keepdims=True)
    return scores / np.where(scale > 1e-9, scale, 1.0)


def window_segments(scores: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """Ordered assignment on centred scores; frames scoring below average for every
    phrase may stay unassigned (gap score 0)."""
    return ordered_segments(scores, np.zeros(scores.shape[1]), min_len=min_len)
