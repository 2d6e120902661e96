"""ZOMG's sub-cell refinement and the baselines on an encoder whose right answer is known.

The "oracle" encoder implements the real MotionTextEncoder interface with frame
features that are one-hot codes of the true sub-action, so a correct refinement must
move a cut that sits on a cell edge to the true frame; a broken objective cannot.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from moground.grounding.baselines import changepoint_segments, uniform_segments
from moground.grounding.metrics import iou
from moground.grounding.methods import run_method
from moground.grounding.refine import RefineConfig, refine_cuts


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


@pytest.mark.parametrize("spans", [[(0, 43), (43, 77), (77, 160)], [(0, 96), (96, 121), (121, 150)]])
def test_refinement_moves_cell_edge_cuts_to_the_true_frames(spans):
    """Cuts on 10-frame cell edges next to the truth end on the true frames (the
    oracle's text term alone decides: no novelty)."""
    t = spans[-1][1]
    enc = OracleEncoder(truth_labels(spans, t))
    text = enc.encode_text(["a0", "a1", "a2"])
    feats = enc.frame_features(enc.motion())
    cells = [(round(s, -1), round(e, -1)) for s, e in spans]
    cells[-1] = (cells[-1][0], t)
    assert cells != spans
    segs = refine_cuts(enc, feats, text, cells, np.zeros(t), step=10, min_len=10, cfg=RefineConfig(w_novelty=0.0))
    assert segs == spans


def test_refinement_stays_within_its_radius_and_keeps_segments_long_enough():
    spans = [(0, 40), (40, 70), (70, 160)]
    enc = OracleEncoder(truth_labels(spans, 160))
    text = enc.encode_text(["a0", "a1", "a2"])
    feats = enc.frame_features(enc.motion())
    start = [(0, 60), (60, 100), (100, 160)]  # 20-30 frames off: more than one 10-frame cell
    segs = refine_cuts(enc, feats, text, start, np.zeros(160), step=10, min_len=10)
    assert [e for _, e in segs[:-1]] == [50, 90]  # as far toward the truth as one cell allows
    assert segs[0][0] == 0 and segs[-1][1] == 160
    assert all(b[0] == a[1] for a, b in zip(segs, segs[1:]))
    tight = refine_cuts(enc, feats, text, [(0, 12), (12, 100), (100, 160)], np.zeros(160), step=10, min_len=10)
    assert all(e - s >= 10 for s, e in tight)


def test_a_heavy_novelty_weight_pulls_the_cut_to_the_motion_change():
    """Weighted heavily, a novelty peak six frames off outweighs the text's exact cut;
    with no novelty weight the text keeps the cut where it is."""
    spans = [(0, 80), (80, 160)]
    enc = OracleEncoder(truth_labels(spans, 160))
    text = enc.encode_text(["a0", "a1"])
    feats = enc.frame_features(enc.motion())
    novelty = np.zeros(160)
    novelty[86] = 1.0
    moved = refine_cuts(enc, feats, text, [(0, 80), (80, 160)], novelty, step=10, min_len=10,
                        cfg=RefineConfig(w_novelty=100.0))
    assert moved[0][1] == 86
    kept = refine_cuts(enc, feats, text, [(0, 80), (80, 160)], novelty, step=10, min_len=10,
                       cfg=RefineConfig(w_novelty=0.0))
    assert kept[0][1] == 80


def test_zomg_refines_what_fused_cut_on_cells():
    spans = [(0, 47), (47, 103), (103, 160)]
    enc = OracleEncoder(truth_labels(spans, 160))
    text = enc.encode_text(["a0", "a1", "a2"])
    fused = run_method("fused", enc, enc.motion(), text, min_len=10)
    zomg = run_method("zomg", enc, enc.motion(), text, min_len=10)
    assert zomg.info["fused_segments"] == fused.segments
    assert all(e % 10 == 0 for _, e in fused.segments)  # cell edges (0.5 s at 20 fps)
    assert np.mean([iou(a, b) for a, b in zip(zomg.segments, spans)]) > np.mean(
        [iou(a, b) for a, b in zip(fused.segments, spans)])


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
