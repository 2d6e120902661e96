"""How well every contiguous span of a take matches each phrase, as a whole.

The fused decoder scores a candidate segment by pooling its frames once, with the
encoder's own ``pool``, and comparing the result with its phrase. A per-frame evidence
curve cannot do this: it averages windows that straddle the segment's ends, so a span
that is a little too long or shifted scores as well as the true one. The default
encoder was trained so that a true span outscores its shifted, stretched and truncated
copies (``training/extent.py``); pooling whole spans is how decoding uses that.

Spans run on a grid of cells (``FusedConfig.cell_s``). Each phrase's similarities are
standardised over all spans computed, so phrases that match everything a little do not
outweigh the others. Spans longer than ``MAX_SPAN_SHARE`` × the mean segment length are
not computed (the duration prior rules them out anyway), and a long take is pooled at
most ``MAX_POOL_FRAMES`` frames apart so the cost stays bounded.
"""

from __future__ import annotations

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder

MAX_SPAN_SHARE = 3.0
MAX_POOL_FRAMES = 2400
CHUNK = 512
FAST_CHUNK = 16_384  # spans per pool_spans call: [N, H] rows, no [N, T] masks


def pooled_range(edges: np.ndarray, sub: int, pooled_count: int) -> tuple[np.ndarray, np.ndarray]:
    """(first, end) indices into ``feats[::sub]`` of the frames inside each span of
    ``edges`` [N, 2] (frames [a, b)); a span with no such frame (shorter than the
    pooling stride) takes the frames within ``sub`` of it instead."""
    first = np.minimum(-(-edges[:, 0] // sub), pooled_count)
    end = np.minimum(-(-edges[:, 1] // sub), pooled_count)
    empty = end <= first
    first[empty] = np.maximum(-(-(edges[empty, 0] - sub) // sub), 0)
    end[empty] = np.minimum(-(-(edges[empty, 1] + sub) // sub), pooled_count)
    return first, end


def max_span_cells(cells: int, k_count: int) -> int:
    """The longest span computed: ``MAX_SPAN_SHARE`` mean segment lengths."""
    return min(cells, int(np.ceil(MAX_SPAN_SHARE * cells / max(1, k_count))))


def span_count(cells: int, k_count: int) -> int:
    """How many spans ``span_similarity`` pools on a grid of ``cells``."""
    longest = max_span_cells(cells, k_count)
    return longest * cells - longest * (longest - 1) // 2


def span_pairs(cells: int, max_len: int) -> np.ndarray:
    """[N, 2] (first cell, end cell) of every span of 1..``max_len`` cells."""
    starts, lengths = np.meshgrid(np.arange(cells), np.arange(1, max_len + 1), indexing="ij")
    pairs = np.stack([starts.ravel(), (starts + lengths).ravel()], axis=1)
    return pairs[pairs[:, 1] <= cells]


def span_similarity(encoder: MotionTextEncoder, feats: torch.Tensor, text: torch.Tensor,
                    step: int) -> np.ndarray:
    """[K, C+1, C+1] standardised similarity of the span of cells [a, b) to phrase k, at
    ``[k, a, b]``; NaN where no span was computed. ``step`` is the cell size in frames."""
    t_count, k_count = feats.shape[0], text.shape[0]
    cells = -(-t_count // step)
    pairs = span_pairs(cells, max_span_cells(cells, k_count))
    sub = -(-t_count // MAX_POOL_FRAMES)  # pool every sub-th frame of a very long take
    pooled_feats = feats[::sub]
    first, end = pooled_range(np.minimum(pairs * step, t_count), sub, pooled_feats.shape[0])
    fast = getattr(encoder, "pool_spans", None)  # optional (encoders.base): same result, no [N, T] masks
    frame = torch.arange(pooled_feats.shape[0], device=feats.device)[None, :]
    chunk = CHUNK if fast is None else FAST_CHUNK
    sims = []
    with torch.no_grad():
        for i in range(0, len(pairs), chunk):
            lo = torch.as_tensor(first[i : i + chunk], device=feats.device)
            hi = torch.as_tensor(end[i : i + chunk], device=feats.device)
            if fast is not None:
                pooled = fast(pooled_feats, lo, hi)
            else:
                pooled = encoder.pool(pooled_feats, ((frame >= lo[:, None]) & (frame < hi[:, None])).float())
            sims.append((pooled @ text.T).cpu())
    sims_np = torch.cat(sims).numpy().T.astype(np.float64)  # [K, N]
    sims_np = (sims_np - sims_np.mean(1, keepdims=True)) / (sims_np.std(1, keepdims=True) + 1e-6)
    out = np.full((k_count, cells + 1, cells + 1), np.nan)
    out[:, pairs[:, 0], pairs[:, 1]] = sims_np
    return out
