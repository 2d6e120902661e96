"""A lone sub-action is scored against alternatives it can lose to (issue 21): on a
real take, the whole take labelled with something it does not show scores low."""

from __future__ import annotations

import torch

from moground.bench.realchains import load_takes
from moground.grounding.scoring import segment_scores


def _whole_take_score(engine, motion, label: str) -> float:
    encoder = engine.encoder
    with torch.no_grad():
        feats = encoder.frame_features(torch.from_numpy(motion).to(engine.device))
    text = encoder.encode_text([label])
    return segment_scores(encoder, feats, text, [(0, feats.shape[0])], None)[0]


def test_a_wrong_single_label_on_a_real_take_scores_below_half(data_dir, engine):
    take = next(t for t in load_takes(data_dir) if {s.label for s in t.segments} >= {"walk", "sit"})
    wrong = _whole_take_score(engine, take.motion, "swim the breaststroke")
    right = _whole_take_score(engine, take.motion, "walk")
    assert wrong < 0.5
    assert right > wrong
