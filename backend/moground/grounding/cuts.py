"""The ordered cut DP: K contiguous segments in prompt order, chosen by their cut points.

``ordered_cuts`` is exact over cut positions and quadratic in length, so it runs on a
grid of cells (``cell_reduce``), never more than ``MAX_CELLS`` of them: it is what the
fused decoder and the text-free change-point baseline decode with.
"""

from __future__ import annotations

import numpy as np

NEG = -1e18
MAX_CELLS = 600  # the cut DP is O(K·cells²): a take longer than 5 min at 0.5 s gets coarser cells


def fit_min_len(t_count: int, k_count: int, min_len: int) -> int:
    """The minimum segment length that K segments can have in T frames: ``min_len``,
    shrunk to T // K when the clip is too short for it (the one rule for it)."""
    min_len = max(1, int(min_len))
    if k_count > 0 and t_count < k_count * min_len:
        min_len = max(1, t_count // k_count)
    return min_len


def cell_reduce(x: np.ndarray, step: int, reduce=np.max) -> np.ndarray:
    """Reduce the last axis over cells of ``step`` frames (zero-padded at the end), so a
    quadratic DP can run on a short grid."""
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, -x.shape[-1] % step)])
    return reduce(padded.reshape(*x.shape[:-1], -1, step), axis=-1)


def boundaries_to_segments(bounds: list[int], t_count: int) -> list[tuple[int, int]]:
    """K-1 sorted cut points → K contiguous half-open intervals covering [0, T)."""
    edges = [0, *bounds, t_count]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def best_boundaries(
    cut_gain: np.ndarray, k_count: int, min_len: int, length_penalty: float = 1.0
) -> list[int]:
    """K-1 cut points maximising Σ cut_gain[b] − penalty·Σ((len − T/K)/(T/K))² (no text)."""
    return ordered_cuts(np.zeros((k_count, len(cut_gain) + 1)), cut_gain, min_len, length_penalty)


def ordered_cuts(
    cum_scores: np.ndarray, cut_gain: np.ndarray, min_len: int, length_penalty: float = 1.0,
    span_scores: np.ndarray | None = None, span_weight: float = 1.0,
) -> list[int]:
    """K-1 cut points maximising, over the K segments in order,
    Σ_k (its frames' scores for sub-action k) + span_weight·Σ_k span_scores[k, start_k, end_k]
    + Σ cut_gain[cut] − penalty·Σ((len − T/K)/(T/K))².

    ``cum_scores`` [K, T+1] are cumulative per-frame scores (row k: sub-action k), so a
    segment's per-frame score is a difference of two entries. ``span_scores``
    [K, T+1, T+1], when given, scores each segment as a whole: ``[k, a, b]`` for
    sub-action k spanning positions a..b-1 (NaN: not allowed); it is read one
    sub-action at a time, never summed into a second table. The duration prior keeps
    segments near equal length unless text or motion change outweighs it. Exact DP over
    cut positions, O(K·T²): run it on a short grid (cells, not frames).
    """
    k_count, t_count = cum_scores.shape[0], cum_scores.shape[1] - 1
    if k_count <= 1:
        return []
    min_len = fit_min_len(t_count, k_count, min_len)
    mean_len = t_count / k_count
    pos = np.arange(t_count + 1)
    seg_len = pos[:, None] - pos[None, :]  # [end b, start a]
    dur_cost = length_penalty * ((np.clip(seg_len, 0, t_count) - mean_len) / mean_len) ** 2
    too_short = seg_len < min_len
    gain = np.concatenate([np.asarray(cut_gain, dtype=np.float64), [0.0]])
    # best[k][b]: best score of the first k segments, the k-th ending at b
    best = np.full(t_count + 1, NEG)
    best[0] = 0.0
    args = []
    for k in range(k_count):
        text = cum_scores[k][:, None] - cum_scores[k][None, :]  # [end b, start a]
        if span_scores is not None:
            text = text + np.nan_to_num(span_weight * span_scores[k].T, nan=NEG)
        cand = best[None, :] + text - dur_cost
        cand[too_short] = NEG
        args.append(cand.argmax(axis=1))
        best = cand.max(axis=1)
        if k < k_count - 1:
            best = best + gain
            best[t_count] = NEG  # only the last segment may end at T
    b, cuts = t_count, []
    for k in range(k_count - 1, 0, -1):
        b = int(args[k][b])
        cuts.append(b)
    return sorted(cuts)
