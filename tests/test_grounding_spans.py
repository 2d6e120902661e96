"""The span table the fused decoder scores whole segments with: every span pooled once,
the true span of a phrase scoring highest, and bounded shapes for short and very long
takes. The encoder is a one-hot "oracle" whose right answer is known (as in
test_grounding_methods); the real encoder is exercised by the bench and engine tests."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from moground.grounding.fused import MAX_SPANS, FusedConfig, dp_step, fused_segments
from moground.grounding.metrics import iou
from moground.grounding.spans import MAX_SPAN_SHARE, span_count, span_pairs, span_similarity


class MeanPoolOracle:
    """Frame features are one-hot codes of the true sub-action; pool is the weighted mean
    (batched like the real encoders' pool)."""

    name, fps, dim = "oracle", 20.0, 4

    def pool(self, feats, weights):
        w = weights / weights.sum(-1, keepdim=True).clamp_min(1e-8)
        return F.normalize(w @ feats, dim=-1)


def one_hot(labels):
    return F.one_hot(torch.as_tensor(labels), 4).float()


def test_span_pairs_are_every_span_up_to_the_longest():
    pairs = span_pairs(5, 2)
    assert sorted(map(tuple, pairs)) == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (2, 4), (3, 4), (3, 5), (4, 5)]


def test_the_true_spans_win_and_decode_to_the_truth():
    truth = [(0, 60), (60, 100), (100, 200)]
    labels = np.concatenate([np.full(e - s, k) for k, (s, e) in enumerate(truth)])
    feats, text = one_hot(labels), torch.eye(4)[:3]
    step = 10
    table = span_similarity(MeanPoolOracle(), feats, text, step)
    cells = 20
    assert table.shape == (3, cells + 1, cells + 1)
    max_len = int(np.ceil(MAX_SPAN_SHARE * cells / 3))
    lengths = np.subtract.outer(np.arange(cells + 1), np.arange(cells + 1)).T  # [a, b] → b − a
    assert np.isnan(table[:, lengths > max_len]).all() and np.isnan(table[:, lengths < 1]).all()
    for k, (s, e) in enumerate(truth):  # the whole true span is among the best-matching spans of its phrase
        assert table[k, s // step, e // step] >= np.nanmax(table[k]) - 1e-6
    cfg = FusedConfig(w_span=3.0, w_text=0.0, w_novelty=0.0, w_duration=0.0, min_share=0.0)
    segs = fused_segments(np.zeros((3, 200)), np.zeros(200), 10, 20.0, cfg, table)
    assert [iou(p, t) for p, t in zip(segs, truth)] == pytest.approx([1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="span table"):
        fused_segments(np.zeros((3, 200)), np.zeros(200), 10, 20.0, cfg, None)


@pytest.mark.parametrize("t_count", [21, 37])
def test_a_short_take_still_gets_a_table(t_count):
    feats, text = one_hot(np.arange(t_count) * 2 // t_count), torch.eye(4)[:2]
    step = dp_step(t_count, 20.0, FusedConfig(), 2)
    table = span_similarity(MeanPoolOracle(), feats, text, step)
    assert table.shape[1] == -(-t_count // step) + 1 and np.isfinite(table[:, 0, -1]).all()


def test_a_very_long_take_is_pooled_on_a_bounded_grid():
    t_count = 30 * 60 * 20  # 30 minutes at 20 fps
    labels = (np.arange(t_count) >= t_count // 2).astype(int)
    feats, text = one_hot(labels), torch.eye(4)[:2]
    step = dp_step(t_count, 20.0, FusedConfig(), 2)
    table = span_similarity(MeanPoolOracle(), feats, text, step)
    cells = table.shape[1] - 1
    assert span_count(cells, 2) <= MAX_SPANS and np.isfinite(table).sum() == 2 * span_count(cells, 2)
    cfg = FusedConfig(w_span=3.0, w_text=0.0, w_novelty=0.0, w_duration=0.0, min_share=0.0)
    segs = fused_segments(np.zeros((2, t_count)), np.zeros(t_count), 10, 20.0, cfg, table)
    truth = [(0, t_count // 2), (t_count // 2, t_count)]
    assert min(iou(p, t) for p, t in zip(segs, truth)) > 0.99, segs


def test_many_sub_actions_in_a_long_take_keep_fine_cells():
    """Ten minutes, 30 sub-actions: spans are short, so the grid stays at 1 s or finer."""
    t_count = 10 * 60 * 20
    step = dp_step(t_count, 20.0, FusedConfig(), 30)
    assert step <= 20 and span_count(-(-t_count // step), 30) <= MAX_SPANS
    assert dp_step(1200, 20.0, FusedConfig(), 4) == 10  # a 60 s take, K=4: the 0.5 s cells


@pytest.mark.parametrize("t_count,k_count", [(25, 4), (16, 8), (8, 8), (61, 6)])
def test_short_takes_with_many_sub_actions_get_no_empty_segment(t_count, k_count):
    """A take with fewer 0.5 s cells than phrases (a 1.25 s clip of four) still gives every
    phrase a non-empty segment inside the clip (regression: docs/tuning/history.md)."""
    from moground.encoders import load_encoder
    from moground.grounding.methods import run_method

    enc = load_encoder("builtin")
    motion = torch.from_numpy(np.random.default_rng(0).normal(0, 0.05, (t_count, 22, 3)).astype(np.float32))
    text = enc.encode_text([f"phrase {i}" for i in range(k_count)])
    for method in ("fused", "zomg"):
        segs = run_method(method, enc, motion, text, min_len=2).segments
        assert segs[0][0] == 0 and segs[-1][1] == t_count, (method, segs)
        assert all(e > s for s, e in segs) and all(a[1] == b[0] for a, b in zip(segs, segs[1:])), (method, segs)
