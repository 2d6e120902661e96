"""The text-free references: the change-point split and K equal parts.

The change-point split cuts at novelty peaks (``novelty.novelty_curve``), balanced by a
duration prior. It is the baseline ``changepoint``; the fused decoder adds the text to
the same cut DP.
"""

from __future__ import annotations

import numpy as np
import torch

from .cuts import MAX_CELLS, best_boundaries, boundaries_to_segments, cell_reduce
from .novelty import NOVELTY_WINDOW_S, novelty_curve


def changepoint_segments(
    feats: torch.Tensor,
    k_count: int,
    fps: float,
    min_len: int,
    window_s: float = NOVELTY_WINDOW_S,
    duration_weight: float = 1.0,
    max_cells: int = MAX_CELLS,
) -> list[tuple[int, int]]:
    """K contiguous segments cut at novelty peaks, balanced by a duration prior."""
    t = feats.shape[0]
    if k_count <= 1:
        return [(0, t)]
    nov = novelty_curve(feats, int(round(window_s * fps)))
    # the cut DP is quadratic in length: run it on cells of `step` frames (peak novelty
    # per cell) so that a 10-minute take costs the same as a 60 s one at 20 fps
    step = max(1, -(-t // max_cells))
    cells = cell_reduce(nov, step, np.max)
    cuts = best_boundaries(cells, k_count, -(-min_len // step), length_penalty=duration_weight)
    return boundaries_to_segments([min(c * step, t - 1) for c in cuts], t)


def uniform_segments(t_count: int, k_count: int) -> list[tuple[int, int]]:
    """The text-free, motion-free reference: K equal parts."""
    edges = np.linspace(0, t_count, k_count + 1).round().astype(int)
    return [(int(edges[i]), int(edges[i + 1])) for i in range(k_count)]
