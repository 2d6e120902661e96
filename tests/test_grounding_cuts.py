"""The ordered DP decoders against brute force on small random problems."""

from itertools import combinations

import numpy as np
import pytest

from moground.grounding.cuts import best_boundaries, boundaries_to_segments
from moground.grounding.assign import ordered_segments


def brute_ordered(seg, gap, min_len):
    """Best score over every ordered placement of K segments (gaps allowed)."""
    k, t = seg.shape

    def rec(i, pos):
        if i == k:
            return sum(gap[pos:])
        best = -np.inf
        for s in range(pos, t):
            for e in range(s + min_len, t + 1):
                val = sum(gap[pos:s]) + sum(seg[i, s:e]) + rec(i + 1, e)
                best = max(best, val)
        return best

    return rec(0, 0)


def score_of(segs, seg, gap):
    lab = np.full(seg.shape[1], -1)
    for i, (s, e) in enumerate(segs):
        lab[s:e] = i
    return sum(seg[lab[f], f] if lab[f] >= 0 else gap[f] for f in range(seg.shape[1]))


@pytest.mark.parametrize("seed", range(12))
def test_ordered_segments_is_optimal(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 4))
    t = int(rng.integers(k * 2, 11))
    min_len = int(rng.integers(1, 3))
    seg, gap = rng.normal(size=(k, t)), rng.normal(size=t)
    segs = ordered_segments(seg, gap, min_len=min_len)
    assert len(segs) == k
    assert all(e - s >= min_len for s, e in segs)
    assert all(segs[i][1] <= segs[i + 1][0] for i in range(k - 1))
    assert score_of(segs, seg, gap) == pytest.approx(brute_ordered(seg, gap, min_len))


def test_ordered_segments_without_gaps_cover_everything():
    rng = np.random.default_rng(3)
    segs = ordered_segments(rng.normal(size=(3, 20)), None, min_len=2, allow_gaps=False)
    assert segs[0][0] == 0 and segs[-1][1] == 20
    assert all(segs[i][1] == segs[i + 1][0] for i in range(2))


@pytest.mark.parametrize("seed", range(6))
def test_best_boundaries_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    t, k, min_len = 14, 3, 2
    gain = rng.random(t)
    cuts = best_boundaries(gain, k, min_len, length_penalty=0.7)
    mean = t / k

    def value(c):
        segs = boundaries_to_segments(list(c), t)
        if any(e - s < min_len for s, e in segs):
            return -np.inf
        return sum(gain[b] for b in c) - 0.7 * sum(((e - s - mean) / mean) ** 2 for s, e in segs)

    best = max(value(c) for c in combinations(range(1, t), k - 1))
    assert value(cuts) == pytest.approx(best)


def test_cut_sharpness_reads_the_weaker_inner_cut():
    from moground.grounding.novelty import cut_sharpness

    novelty = np.zeros(100)
    novelty[30] = 1.0  # a sharp change near the first cut
    novelty[71] = 0.2  # a lull near the second
    segs = [(0, 29), (29, 70), (70, 100)]
    # the take's own ends count as sharp; each segment is as weak as its weaker cut
    assert cut_sharpness(novelty, segs, radius=2) == [1.0, 0.2, 0.2]
    # a cut farther than the radius from any change reads the novelty at the cut: 0
    assert cut_sharpness(novelty, [(0, 50), (50, 100)], radius=2) == [0.0, 0.0]
    assert cut_sharpness(novelty, [(0, 100)], radius=2) == [1.0]


def test_confidence_reason_names_the_weaker_part():
    from moground.grounding.confidence import LOW_CONFIDENCE_SCORE, confidence_flag

    assert confidence_flag(LOW_CONFIDENCE_SCORE) == (False, None)
    flag, reason = confidence_flag(LOW_CONFIDENCE_SCORE / 2, cut_sharpness=0.1)
    assert flag and "motion hardly changes" in reason
    flag, reason = confidence_flag(LOW_CONFIDENCE_SCORE / 2, cut_sharpness=0.9)
    assert flag and reason.startswith("weak text match")
