"""Sliding-window baseline (the TMR "temporal pyramid").

Windows of several lengths slide over the clip; each window is encoded on its own by
the same frozen encoder and compared with every phrase. A frame's score for a phrase
is the mean similarity of the windows that cover it, averaged over scales. Each
phrase's scores are then centred and scaled over time, so a generic phrase that is
similar to everything cannot take the whole clip, and an ordered DP assigns one
segment per phrase. It re-encodes every window, which is why it is slow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder
from .assign import ordered_segments
from .evidence import WINDOW_SCALES_S, standardise_rows, window_cover

@dataclass
class WindowBank:
    """Every window's embedding for one clip: they do not depend on the text, so one
    bank serves every prompt (and every control) on the same motion."""

    t_count: int
    cover: list[torch.Tensor]  # per scale: [windows, T] 0/1 coverage
    emb: list[torch.Tensor]  # per scale: [windows, D]


def window_bank(encoder: MotionTextEncoder, motion: torch.Tensor, fps: float,
                scales_s: tuple[float, ...] = WINDOW_SCALES_S, overlap: int = 2) -> WindowBank:
    """Encode every window of every scale on its own (the slow part of this baseline)."""
    t_count = motion.shape[0]
    covers, embs = [], []
    with torch.no_grad():
        for scale in scales_s:
            length = int(round(scale * fps))
            if length < 2 or length > t_count:
                continue
            cover = window_cover(t_count, length, max(1, length // overlap))
            rows = []
            for s in cover.argmax(dim=1).tolist():  # each window's first frame
                crop = motion[s : s + length]
                feats = encoder.frame_features(crop - crop[:1, :1] * crop.new_tensor([1.0, 0.0, 1.0]))
                rows.append(encoder.pool(feats, torch.ones(1, length, device=feats.device))[0].cpu())
            covers.append(cover)
            embs.append(torch.stack(rows))
        if not covers:  # clip shorter than every window: one window over the whole clip
            feats = encoder.frame_features(motion)
            embs.append(encoder.pool(feats, torch.ones(1, t_count, device=feats.device)).cpu())
            covers.append(torch.ones(1, t_count))
    return WindowBank(t_count, covers, embs)


def window_scores(encoder: MotionTextEncoder, motion: torch.Tensor, text: torch.Tensor, fps: float,
                  scales_s: tuple[float, ...] = WINDOW_SCALES_S, overlap: int = 2,
                  bank: WindowBank | None = None) -> np.ndarray:
    """[K, T] centred per-frame scores: a frame's score for a phrase is the mean
    similarity of the windows covering it, averaged over scales."""
    bank = bank or window_bank(encoder, motion, fps, scales_s, overlap)
    text = text.detach().cpu()
    total = torch.zeros(text.shape[0], bank.t_count)
    for cover, emb in zip(bank.cover, bank.emb):
        total += (text @ emb.T) @ cover / cover.sum(0).clamp_min(1.0)
    return standardise_rows((total / len(bank.cover)).numpy())


def window_segments(scores: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """Ordered assignment on centred scores; frames scoring below average for every
    phrase may stay unassigned (gap score 0)."""
    return ordered_segments(scores, np.zeros(scores.shape[1]), min_len=min_len)
