"""Ordered frame assignment: per-frame scores to K segments in prompt order, with gaps.

``ordered_segments`` cuts T frames into K contiguous segments in prompt order, each at
least ``min_len`` long, with optional gaps (frames that belong to no sub-action),
maximising the summed per-frame scores. It is a left-to-right Viterbi pass over
``K * min_len + K + 1`` states, so it is linear in T. The sliding-window baseline and
ZOMG's mask decoding use it.
"""

from __future__ import annotations

import numpy as np

from .cuts import NEG, fit_min_len


def ordered_segments(
    seg_scores: np.ndarray,
    gap_scores: np.ndarray | None = None,
    min_len: int = 1,
    allow_gaps: bool = True,
) -> list[tuple[int, int]]:
    """Best ordered segmentation.

    seg_scores: [K, T] score of frame t belonging to sub-action k (log-probabilities
        or any additive score).
    gap_scores: [T] score of frame t belonging to no sub-action (default 0).
    Returns K half-open ``(start, end)`` frame intervals in order.
    """
    k_count, t_count = seg_scores.shape
    if k_count == 0:
        return []
    min_len = fit_min_len(t_count, k_count, min_len)
    if t_count < k_count:
        raise ValueError(f"{t_count} frames cannot hold {k_count} segments")
    gap = np.zeros(t_count) if gap_scores is None else np.asarray(gap_scores, dtype=np.float64)
    seg = np.asarray(seg_scores, dtype=np.float64)

    # State layout: gap_0, [seg_k chain 0..min_len-1 (last one self-loops), gap_k+1] for k
    per = min_len + 1
    n_states = 1 + k_count * per
    gap_idx = np.array([0] + [1 + k * per + min_len for k in range(k_count)])
    chain_first = np.array([1 + k * per for k in range(k_count)])

    emit = np.empty((t_count, n_states))
    for k in range(k_count):
        emit[:, chain_first[k] : chain_first[k] + min_len] = seg[k][:, None]
    emit[:, gap_idx] = gap[:, None] if allow_gaps else NEG

    # predecessors of every state: itself (self-loop states only), the state before
    # it, and for the first state of segment k the end of segment k-1 (no gap)
    states = np.arange(n_states)
    self_loop = np.zeros(n_states, dtype=bool)
    self_loop[gap_idx] = True
    self_loop[chain_first + min_len - 1] = True
    skip_src = np.full(n_states, -1)
    skip_src[chain_first[1:]] = chain_first[:-1] + min_len - 1
    preds = np.stack([np.where(self_loop, states, -1), states - 1, skip_src])  # [3, S]
    valid = preds >= 0
    preds_safe = np.where(valid, preds, 0)

    score = np.full(n_states, NEG)
    score[0] = emit[0, 0]
    score[chain_first[0]] = emit[0, chain_first[0]]
    back = np.zeros((t_count, n_states), dtype=np.int64)
    for t in range(1, t_count):
        cand = np.where(valid, score[preds_safe], NEG)
        choice = cand.argmax(axis=0)
        back[t] = preds_safe[choice, states]
        score = cand[choice, states] + emit[t]
    # end in the last gap or the last segment's self-loop state
    finals = [gap_idx[-1], chain_first[-1] + min_len - 1]
    state = max(finals, key=lambda s: score[s])
    path = np.empty(t_count, dtype=np.int64)
    for t in range(t_count - 1, -1, -1):
        path[t] = state
        state = back[t, state]
    out = []
    for k in range(k_count):
        frames = np.nonzero((path >= chain_first[k]) & (path < chain_first[k] + min_len))[0]
        out.append((int(frames[0]), int(frames[-1]) + 1))
    return out
