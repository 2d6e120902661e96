"""Sub-cell boundaries: move each cut of the fused decoder to a source frame.

The fused cut DP runs on cells (0.5 s, coarser on long takes), so every cut it makes
sits on a cell edge, and its novelty gain is the cell's peak wherever in the cell that
peak lies. This refinement is what the DP cannot express: each cut may move to any
frame within ``radius_cells`` cells of where the DP put it, choosing the frame that
maximises, for the two segments it separates,

    Σ log p(own phrase | segment pooled whole)        (softmax over the prompt, at tau)
    + w_novelty · novelty at the cut                   (the motion-change curve, 0..1)

The first term is ZOMG's contrastive mask objective evaluated on hard masks with the
frozen encoder's own ``pool`` (the extent-aware pooling the span term uses); the second
keeps a cut on the motion change when the text cannot tell frames apart. Cuts are
refined in two interleaved sweeps (even cuts with odd cuts fixed, then the reverse), so
each choice sees its neighbours' final place. Only candidate segments that keep
``min_len`` frames are tried; a single query (K=1) has no inner cut and is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder


@dataclass
class RefineConfig:
    """Settings of the sub-cell refinement (``zomg``); see docs/tuning/masks_vs_fused.md."""

    radius_cells: float = 1.0  # how far a cut may move, in DP cells
    tau: float = 0.07  # temperature of the contrast over the prompt's phrases
    w_novelty: float = 1.0  # weight of the motion change at the cut


def refine_cuts(encoder: MotionTextEncoder, feats: torch.Tensor, text: torch.Tensor,
                segments: list[tuple[int, int]], novelty: np.ndarray, step: int, min_len: int,
                cfg: RefineConfig | None = None) -> list[tuple[int, int]]:
    """``segments`` (contiguous, in prompt order, from the cut DP on cells of ``step``
    frames) with every inner cut moved to its best frame nearby (module docstring)."""
    cfg = cfg or RefineConfig()
    k_count = len(segments)
    radius = int(round(cfg.radius_cells * step))
    if k_count < 2 or radius < 1:
        return list(segments)
    cuts = [e for _, e in segments[:-1]]
    edges = [segments[0][0], *cuts, segments[-1][1]]
    with torch.no_grad():
        for parity in (0, 1):
            for i in range(parity, k_count - 1, 2):
                edges[i + 1] = _best_cut(encoder, feats, text, edges[i], edges[i + 1], edges[i + 2], i,
                                         novelty, radius, min_len, cfg)
    return [(edges[i], edges[i + 1]) for i in range(k_count)]


def _best_cut(encoder: MotionTextEncoder, feats: torch.Tensor, text: torch.Tensor, start: int, cut: int,
              end: int, left: int, novelty: np.ndarray, radius: int, min_len: int, cfg: RefineConfig) -> int:
    """The frame in ``cut ± radius`` that best splits [start, end) between phrases
    ``left`` and ``left + 1``; ``cut`` itself when no other candidate keeps both sides
    at least ``min_len`` long."""
    lo = max(cut - radius, start + min(min_len, cut - start))
    hi = min(cut + radius, end - min(min_len, end - cut))
    if hi <= lo:
        return cut
    cands = np.arange(lo, hi + 1)
    frame = torch.arange(start, end, device=feats.device)[None, :]
    c = torch.as_tensor(cands, device=feats.device)[:, None]
    weights = torch.cat([(frame < c).float(), (frame >= c).float()])  # [2N, end - start]
    sims = encoder.pool(feats[start:end], weights) @ text.T / cfg.tau  # [2N, K]
    logp = torch.log_softmax(sims, dim=-1)
    n = len(cands)
    gain = (logp[:n, left] + logp[n:, left + 1]).cpu().numpy().astype(np.float64)
    gain += cfg.w_novelty * novelty[cands]
    return int(cands[int(np.argmax(gain))])
