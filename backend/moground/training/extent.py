"""Extent-aware hard negatives (issue 11): the true span of a segment, shifted, extended
into its neighbours or truncated by 20–50 %, must score below the true span against the
segment's caption. Without this term attention pooling lets a too-long or shifted span
score like the true one, and text cannot place a boundary."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..grounding.metrics import extent_variants

VARIANTS = 6  # shifted both ways, extended each side, truncated each side


def perturbed_masks(weights: np.ndarray, valid: np.ndarray, pad: np.ndarray, rng: np.random.Generator,
                    change: tuple[float, float] = (0.2, 0.5)) -> tuple[np.ndarray, np.ndarray]:
    """([S, K, V, T] 0/1 masks, [S, K, V] usable) for every valid segment of a batch: the
    variants of its span with one random change share, inside the sequence's frames."""
    s_count, k_count, t_count = weights.shape
    masks = np.zeros((s_count, k_count, VARIANTS, t_count), np.float32)
    masks[..., 0] = 1.0  # unusable rows stay finite
    usable = np.zeros((s_count, k_count, VARIANTS), bool)
    lengths = (~pad).sum(1)
    for s, k in zip(*np.nonzero(valid)):
        frames = np.flatnonzero(weights[s, k] > 0)
        span = (int(frames[0]), int(frames[-1]) + 1)
        share = float(rng.uniform(*change))
        for v, (a, b) in enumerate(extent_variants(span, int(lengths[s]), (share,))[:VARIANTS]):
            masks[s, k, v] = 0.0
            masks[s, k, v, a:b] = 1.0
            usable[s, k, v] = True
    return masks, usable


def extent_loss(pooler: torch.nn.Module, frame: torch.Tensor, true_emb: torch.Tensor, text: torch.Tensor,
                masks: torch.Tensor, usable: torch.Tensor, valid: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Cross-entropy putting the true span first among itself and its variants, per
    segment, against the segment's own caption. ``frame`` [S, T, H]; ``true_emb`` and
    ``text`` [N, D] for the N valid segments; ``masks`` [S, K, V, T]."""
    s_count, k_count, v_count, t_count = masks.shape
    var = pooler(frame, masks.reshape(s_count, k_count * v_count, t_count))  # [S, K*V, D]
    var = var.reshape(s_count, k_count, v_count, -1)[valid]  # [N, V, D]
    ok = usable[valid]  # [N, V]
    keep = ok.any(1)
    if not keep.any():
        return frame.new_zeros(())
    own = (true_emb * text).sum(-1, keepdim=True)  # [N, 1]
    other = torch.einsum("nvd,nd->nv", var, text)
    # mask after scaling: scale × (−inf) would give the scale a NaN gradient
    logits = (scale * torch.cat([own, other], dim=1)).masked_fill(~torch.cat([keep[:, None], ok], dim=1), float("-inf"))[keep]
    return F.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long, device=logits.device))
