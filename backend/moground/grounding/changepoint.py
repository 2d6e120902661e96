"""Text-free change-point split: feature novelty plus a duration prior.

Novelty at frame t compares the mean feature of the second before t with the second
after it. It is the baseline ``changepoint`` and the initialisation of ZOMG's masks
(masks started from zero fragment; started here, the text only has to move
boundaries and assign labels).
"""

from __future__ import annotations

import numpy as np
import torch

from .decode import best_boundaries, boundaries_to_segments, cell_reduce

MAX_DP_CELLS = 600


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


def changepoint_segments(
    feats: torch.Tensor,
    k_count: int,
    fps: float,
    min_len: int,
    window_s: float = 1.0,
    duration_weight: float = 1.0,
    max_cells: int = MAX_DP_CELLS,
    fixed: dict[int, int] | None = None,
) -> list[tuple[int, int]]:
    """K contiguous segments cut at novelty peaks, balanced by a duration prior;
    ``fixed`` {k: frame}: the cut after segment k lies at that frame (pins)."""
    t = feats.shape[0]
    if k_count <= 1:
        return [(0, t)]
    nov = novelty_curve(feats, int(round(window_s * fps)))
    # the cut DP is quadratic in length: run it on cells of `step` frames (peak novelty
    # per cell) so that a 10-minute take costs the same as a 60 s one at 20 fps
    step = max(1, -(-t // max_cells))
    cells = cell_reduce(nov, step, np.max)
    cuts = best_boundaries(cells, k_count, -(-min_len // step), length_penalty=duration_weight,
                           fixed={k: int(round(f / step)) for k, f in (fixed or {}).items()})
    return boundaries_to_segments([fixed[k] if fixed and k in fixed else min(c * step, t - 1)
                                   for k, c in enumerate(cuts)], t)


def uniform_segments(t_count: int, k_count: int) -> list[tuple[int, int]]:
    """The text-free, motion-free reference: K equal parts."""
    edges = np.linspace(0, t_count, k_count + 1).round().astype(int)
    return [(int(edges[i]), int(edges[i + 1])) for i in range(k_count)]
