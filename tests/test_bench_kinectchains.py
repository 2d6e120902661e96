"""The kinectchains takes load as real takes with the data set's own truth, and the
labelled-frame scores count a cut anywhere in a gap as right (the set's README)."""

from __future__ import annotations

import json

import numpy as np

from moground.bench.kinectchains import GAP_ACTIONS, labelled_iou, load_takes, score_take, single_queries
from moground.training.sources import FPS


def test_takes_carry_the_data_sets_segments_and_gaps(data_dir):
    index = json.loads((data_dir / "kinectchains" / "index.json").read_text())["trials"]
    takes = load_takes(data_dir)
    assert [t.id for t in takes] == [r["id"] for r in index] and len(takes) == 19
    assert len({t.subject for t in takes}) == 10
    for take, rec in zip(takes, index):
        assert take.motion.shape == (round(rec["duration_s"] * FPS), 22, 3) and take.motion.dtype == np.float32
        assert [s.label for s in take.segments] == [s["label"] for s in rec["segments"]]
        assert all(abs(s.start / FPS - r["start_s"]) <= 0.5 / FPS and abs(s.end / FPS - r["end_s"]) <= 0.5 / FPS
                   for s, r in zip(take.segments, rec["segments"]))
        assert all(a.end <= b.start for a, b in zip(take.segments, take.segments[1:]))
        # gaps are exactly the stretches between consecutive actions that no action claims
        between = [(a.end, b.start) for a, b in zip(take.segments, take.segments[1:]) if b.start > a.end]
        assert take.gaps == between
        labelled = take.labelled_mask()
        assert not labelled[np.concatenate([np.arange(s, e) for s, e in take.gaps])].any()
        assert labelled.sum() == sum(s.end - s.start for s in take.segments)
        assert np.array_equal(take.ignore_mask(), ~labelled)
        # a body of plausible size, upright (Y up, metres) after the Kinect preset
        head_up = np.median(take.motion[:, 15, 1] - take.motion[:, 0, 1])
        assert 0.4 < head_up < 0.8
    share = np.mean([t.labelled_mask().mean() for t in takes])
    assert 0.35 < share < 0.45  # README: 39 % labelled


def test_labelled_frame_scores_forgive_cuts_inside_gaps(data_dir):
    take = load_takes(data_dir)[0]
    truth = [(s.start, s.end) for s in take.segments]
    perfect = score_take(truth, take)
    assert (perfect.labelled_miou, perfect.gap_miou, perfect.frame_acc) == (1.0, 1.0, 1.0)
    # tile the take, cutting in the middle of each gap: right on labelled frames, not with gaps
    cuts = [0] + [(a.end + b.start) // 2 for a, b in zip(take.segments, take.segments[1:])] + [len(take.motion)]
    tiled = list(zip(cuts[:-1], cuts[1:]))
    s = score_take(tiled, take)
    assert s.labelled_miou == 1.0 and s.frame_acc == 1.0 and s.gap_miou < 0.9
    # moving a cut into an action costs labelled IoU on both sides
    a = take.segments[3]
    shifted = tiled[:3] + [(tiled[3][0], a.start + (a.end - a.start) // 2), (a.start + (a.end - a.start) // 2, tiled[4][1])] + tiled[5:]
    worse = score_take(shifted, take)
    assert worse.labelled_miou < 1.0 and worse.frame_acc < 1.0
    assert labelled_iou(shifted[3], truth[3], take) < 1.0 and labelled_iou(tiled[3], truth[3], take) == 1.0


def test_single_queries_leave_out_actions_also_done_in_the_gaps(data_dir):
    for take in load_takes(data_dir):
        chosen = {take.segments[i].label for i in single_queries(take)}
        assert len(chosen) == 8 and not chosen & GAP_ACTIONS


def test_bench_cases_resample_people_and_score_labelled_frames(data_dir):
    from dataclasses import replace

    from moground.bench.kinectchains import kinectchain_cases
    from moground.bench.runner import settings_for
    from moground.grounding.fused import FusedConfig

    cases = kinectchain_cases(data_dir)
    takes = [c for c in cases if c.kind == "take"]
    singles = [c for c in cases if c.kind == "single"]
    assert len(takes) == 19 * 2 and len(singles) == 19 * 8 * 2
    assert {c.vocab for c in cases} == {"verbatim", "open"}
    assert {c.clip_id for c in cases} == {f"s{i:02d}" for i in range(1, 11)}  # the bootstrap unit is the person
    for c in takes:
        assert len(c.phrases) == 10 and c.ignore is not None and c.ignore.shape == (len(c.motion),)
        # the control keeps the truth and moves every phrase off its own action
        assert all(p != q for p, q in zip(c.phrases, c.control_phrases))
        assert sorted(c.phrases) == sorted(c.control_phrases)
    open_takes = [c for c in takes if c.vocab == "open"]
    assert all(p not in c.labels for c in open_takes for p in c.phrases)
    # a subject's held-out settings reach its cases; realchains takes keep theirs
    held = {"s01": {"w_duration": 0.0, "min_share": 0.0}}
    cfg, _ = settings_for(takes[0], None, held)
    assert cfg == replace(FusedConfig(), w_duration=0.0, min_share=0.0)
    other = next(c for c in takes if c.clip_id != "s01")
    assert settings_for(other, None, held)[0] == FusedConfig()
