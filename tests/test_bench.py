"""Benchmark sets are built from held-out data only and scored consistently."""

from __future__ import annotations

import numpy as np

from moground.bench.runner import format_table, run_cases, summarize_set
from moground.bench.sets import real_cmu_cases, splice, spliced_cases
from moground.training.motion_io import load_canonical
from moground.training.sources import load_records


def test_splice_keeps_the_body_continuous(data_dir):
    recs = [r for r in load_records(data_dir, splits=("test",), sources=("bandai",))][:3]
    pieces = [load_canonical(r)[:60] for r in recs]
    seq, spans = splice(pieces, blend=6)
    assert spans[0][0] == 0 and spans[-1][1] == len(seq)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    root_step = np.linalg.norm(np.diff(seq[:, 0], axis=0), axis=1)
    assert root_step.max() < 0.2  # no teleport at the joins (20 fps)


def test_sets_come_from_the_test_split_and_score(data_dir, engine):
    real = real_cmu_cases("test", data_dir, variants=1, max_trials=3)
    test_ids = {r.id for r in load_records(data_dir, splits=("test",), sources=("cmu",))}
    assert real and all(c.clip_id in test_ids for c in real)
    for case in real:
        assert all(0 <= s < e <= len(case.motion) for s, e in case.spans)
    spliced = spliced_cases("test", data_dir, count=2, seed=1)
    assert all(2 <= len(c.phrases) <= 6 for c in spliced)
    results = run_cases(engine.encoder, real[:2] + spliced, methods=("changepoint", "uniform"))
    summary = summarize_set(results["spliced"])
    assert set(summary["methods"]) == {"changepoint", "uniform"}
    assert 0.0 <= summary["methods"]["uniform"]["miou"] <= 1.0
    assert "uniform" in format_table("spliced", summary)
