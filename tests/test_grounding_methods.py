"""ZOMG's optimiser and the baselines on an encoder whose right answer is known.

The "oracle" encoder implements the real MotionTextEncoder interface with frame
features that are one-hot codes of the true sub-action, so a correct optimiser must
move boundaries from a wrong initialisation to the truth; a broken objective cannot.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from moground.grounding.baselines import changepoint_segments, uniform_segments
from moground.grounding.metrics import iou
from moground.grounding.methods import run_method
from moground.grounding.masks import ZomgConfig, decode_masks, optimise_masks


class OracleEncoder:
    name, fps, dim = "oracle", 20.0, 4

    def __init__(self, labels: np.ndarray):
        self.labels = torch.as_tensor(labels)

    def motion(self):
        """A motion tensor that carries the true label in one coordinate, so crops of
        it (the window baseline re-encodes crops) keep their labels."""
        m = torch.zeros(len(self.labels), 22, 3)
        m[:, 0, 0] = self.labels.float()
        return m

    def encode_text(self, phrases):
        # "a0".."a3" name a label; any other phrase (a lone query's contrast phrases) means "nothing"
        return torch.eye(self.dim)[[int(p[-1]) if p[-1].isdigit() else 3 for p in phrases]]

    def frame_features(self, motion):
        lab = motion[:, 0, 0].round().long()
        return F.one_hot(lab, self.dim).float() + 0.05 * torch.sin(torch.arange(len(lab)))[:, None]

    def pool(self, feats, weights):
        w = weights / weights.sum(-1, keepdim=True).clamp_min(1e-8)
        return F.normalize(w @ feats, dim=-1)

    def describe(self):
        return {"name": self.name, "trained": True}


def truth_labels(spans, t):
    lab = np.full(t, 3)  # 3 = "nothing"
    for i, (s, e) in enumerate(spans):
        lab[s:e] = i
    return lab


@pytest.mark.parametrize("spans", [[(0, 40), (40, 70), (70, 160)], [(10, 90), (100, 120), (125, 150)]])
def test_zomg_moves_wrong_boundaries_to_the_truth(spans):
    t = 160
    enc = OracleEncoder(truth_labels(spans, t))
    motion = enc.motion()
    text = enc.encode_text(["a0", "a1", "a2"])
    feats = enc.frame_features(motion)
    init = uniform_segments(t, 3)
    masks, info = optimise_masks(enc, feats, text, init, min_len=10, cfg=ZomgConfig(steps=200))
    segs = decode_masks(masks, min_len=10)
    ious = [iou(a, b) for a, b in zip(segs, spans)]
    init_ious = [iou(a, b) for a, b in zip(init, spans)]
    assert min(ious) > 0.8, (segs, ious)
    assert np.mean(ious) > np.mean(init_ious) + 0.1
    assert torch.allclose(masks.sum(0), torch.ones(t), atol=1e-5)


def test_zomg_single_query_finds_its_span_inside_a_long_clip():
    t, span = 200, (120, 160)
    lab = np.full(t, 3)
    lab[span[0] : span[1]] = 0
    lab[:60] = 1  # other activity the query must not claim
    enc = OracleEncoder(lab)
    out = run_method("zomg", enc, enc.motion(), enc.encode_text(["a0"]), min_len=10)
    assert iou(out.segments[0], span) > 0.7, out.segments
    assert 0.0 <= out.scores[0] <= 1.0


def test_zomg_is_deterministic():
    spans = [(0, 50), (50, 90), (90, 140)]
    enc = OracleEncoder(truth_labels(spans, 140))
    text = enc.encode_text(["a0", "a1", "a2"])
    a = run_method("zomg", enc, enc.motion(), text, min_len=8)
    b = run_method("zomg", enc, enc.motion(), text, min_len=8)
    assert a.segments == b.segments and a.scores == b.scores


def test_changepoint_finds_feature_changes():
    spans = [(0, 37), (37, 101), (101, 150)]
    enc = OracleEncoder(truth_labels(spans, 150))
    feats = enc.frame_features(enc.motion())
    segs = changepoint_segments(feats, 3, fps=20.0, min_len=10)
    assert all(abs(a[0] - b[0]) <= 3 for a, b in zip(segs, spans))


def test_window_baseline_orders_and_scores():
    spans = [(0, 60), (60, 120), (120, 180)]
    enc = OracleEncoder(truth_labels(spans, 180))
    out = run_method("window", enc, enc.motion(), enc.encode_text(["a0", "a1", "a2"]), min_len=10)
    assert [s for s, _ in out.segments] == sorted(s for s, _ in out.segments)
    assert np.mean([iou(a, b) for a, b in zip(out.segments, spans)]) > 0.5


def test_uniform_split():
    assert uniform_segments(10, 3) == [(0, 3), (3, 7), (7, 10)]


def test_scores_fall_when_a_cut_is_forced_where_the_motion_does_not_change():
    """Four phrases but only three activities: some cut must land inside one activity,
    and the segments on either side of it score lower than the ones cut at real changes."""
    spans = [(0, 60), (60, 120), (120, 240)]
    enc = OracleEncoder(truth_labels(spans, 240))
    out = run_method("fused", enc, enc.motion(), enc.encode_text(["a0", "a1", "a2", "a2"]), min_len=10)
    sharp = out.info["cut_sharpness"]
    assert min(sharp) < 0.5 <= max(sharp), sharp
    assert out.scores == pytest.approx([p * c for p, c in zip(out.info["text_scores"], sharp)])
    forced = [i for i, c in enumerate(sharp) if c < 0.5]
    assert max(out.scores[i] for i in forced) < min(out.scores[i] for i in range(4) if i not in forced)
    # a single query has no forced cut: its score is the text score alone
    single = run_method("zomg", enc, enc.motion(), enc.encode_text(["a1"]), min_len=10)
    assert single.info["cut_sharpness"] == [1.0] and single.scores == single.info["text_scores"]
