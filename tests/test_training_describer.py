"""Kinematic describer on real CMU trials, lexicon expansion, vocabulary coverage."""

from __future__ import annotations

import json

import numpy as np
import pytest

from moground.paths import data_root

ROOT = data_root(required=False)
needs_data = pytest.mark.skipif(ROOT is None, reason="shared data folder not found")


def _trials_described(words: tuple[str, ...], limit: int = 4) -> list[str]:
    """CMU trial ids whose own description is exactly one of ``words``."""
    trials = json.loads((ROOT / "cmu" / "index.json").read_text())["trials"]
    return [t["id"] for t in trials if (t["description"] or "").strip() in words and t["duration_s"] >= 1.0][:limit]


def _describe(trial_id: str) -> list[str]:
    from moground.training.describer import describe
    from moground.training.motion_io import load_canonical
    from moground.training.sources import load_records

    rec = next(r for r in load_records() if r.id == trial_id and r.source == "cmu")
    return describe(load_canonical(rec)[:200]).tags


@needs_data
@pytest.mark.parametrize("words,tag", [(("walk",), "walk"), (("jump", "forward jump"), "jump"), (("run", "run/jog"), "run")])
def test_describer_names_real_cmu_motion(words, tag):
    ids = _trials_described(words)
    assert len(ids) >= 3
    hits = [tag in _describe(i) for i in ids]
    assert sum(hits) >= len(ids) - 1, (ids, hits)


@needs_data
def test_describer_does_not_call_a_walk_a_jump():
    for i in _trials_described(("walk",)):
        assert "jump" not in _describe(i) and "run" not in _describe(i)


def test_describer_on_synthetic_raise_and_still():
    from moground.skeleton import JOINT_INDEX as J
    from moground.training.describer import describe

    # a T-posed figure standing still, then the left wrist goes above the head
    base = np.zeros((22, 3))
    heights = {"pelvis": 0.95, "left_hip": 0.9, "right_hip": 0.9, "left_knee": 0.5, "right_knee": 0.5,
               "left_ankle": 0.08, "right_ankle": 0.08, "left_foot": 0.02, "right_foot": 0.02, "spine1": 1.05,
               "spine2": 1.15, "spine3": 1.3, "neck": 1.5, "head": 1.65, "left_collar": 1.45, "right_collar": 1.45,
               "left_shoulder": 1.45, "right_shoulder": 1.45, "left_elbow": 1.2, "right_elbow": 1.2,
               "left_wrist": 0.95, "right_wrist": 0.95}
    for name, y in heights.items():
        x = 0.1 if name.startswith("left") else -0.1 if name.startswith("right") else 0.0
        x *= 2 if ("shoulder" in name or "elbow" in name or "wrist" in name) else 1
        base[J[name]] = (x, y, 0.0)
    still = np.repeat(base[None], 60, axis=0)
    assert describe(still).tags == ["still"]
    raised = still.copy()
    raised[20:50, J["left_wrist"]] = (0.25, 1.9, 0.0)
    raised[20:50, J["left_elbow"]] = (0.22, 1.65, 0.0)
    tags = describe(raised).tags
    assert "raise_left" in tags and "raise_right" not in tags


def test_lexicon_expands_common_actions():
    from moground.text.actions import LEXICON, expand_phrase

    assert len(LEXICON) >= 150
    out = expand_phrase("do some jumping jacks")
    assert out[0] == "do some jumping jacks" and any("jump" in d and "arms" in d for d in out[1:])
    assert any("squat" in d for d in expand_phrase("squats")[1:])
    assert expand_phrase("zxqv blorp") == ["zxqv blorp"]


@needs_data
def test_coverage_counts_lexicon_words():
    from moground.training.coverage import coverage, read_vocab, vocabulary

    phrases = read_vocab(ROOT)
    assert len(phrases) > 2000
    vocab = vocabulary(["a person jumps the feet apart and together while raising both arms above the head",
                        "jumps and spreads the legs while lifting the arms up and down"])
    plain = coverage(["jumping jacks"], vocab, use_lexicon=False)
    lex = coverage(["jumping jacks"], vocab, use_lexicon=True)
    assert plain["phrase_coverage"] == 0.0 and lex["phrase_coverage"] == 1.0
