"""How sharply the motion changes: the novelty curve and the sharpness of a cut.

Novelty at frame t compares the mean feature of the ``NOVELTY_WINDOW_S`` before t with
the same span after it. It places the text-free baseline's cuts, rewards cuts in the
fused decoder, and scores how believable a forced cut is (``cut_sharpness``).
"""

from __future__ import annotations

import numpy as np
import torch

NOVELTY_WINDOW_S = 1.0  # half-window of the before/after comparison
CUT_RADIUS_S = 0.25  # a cut counts as sharp if the novelty peaks this close to it


def novelty_curve(feats: torch.Tensor, half_window: int) -> np.ndarray:
    """[T, H] features → [T] novelty in [0, 1] (distance of before/after means)."""
    x = feats.detach().float()
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    t = x.shape[0]
    w = max(1, min(half_window, t // 2))
    csum = torch.cat([x.new_zeros(1, x.shape[1]), x.cumsum(0)])
    idx = torch.arange(t)
    lo = (idx - w).clamp_min(0)
    hi = (idx + w).clamp_max(t)
    before = (csum[idx] - csum[lo]) / (idx - lo).clamp_min(1)[:, None]
    after = (csum[hi] - csum[idx]) / (hi - idx).clamp_min(1)[:, None]
    nov = (after - before).norm(dim=1)
    nov[(idx - lo) == 0] = 0
    nov = nov.numpy()
    peak = nov.max()
    return nov / peak if peak > 0 else nov


def cut_sharpness(novelty: np.ndarray, segments: list[tuple[int, int]], radius: int) -> list[float]:
    """Per segment, how sharply the motion changes at its weaker inner cut: the novelty
    peak (1 = the take's sharpest change) within ``radius`` frames of the cut; 1.0 at the
    take's own ends. When K segments must cover a take, a wrong segment is most often
    one whose cut was forced where the motion hardly changes, and text similarity alone
    does not see that (measured on development data, docs/tuning/confidence.md)."""
    t_count = len(novelty)
    out = []
    for s, e in segments:
        inner = [c for c in (s, e) if 0 < c < t_count]
        out.append(min((float(novelty[max(0, c - radius) : c + radius + 1].max()) for c in inner), default=1.0))
    return out
