"""The benchmark measures what users face: real takes, honest joins, fixed truth, open vocabulary."""

from __future__ import annotations

import numpy as np
import pytest

from moground.bench.motion_change import boundary_percentiles
from moground.bench.open_vocab import open_vocab, vocab_report
from moground.bench.realchains import load_takes
from moground.bench.runner import boundary_report, format_table, run_cases, summarize_runs
from moground.bench.sets import derange, realchain_cases, splice, spliced_cases
from moground.bench.stats import auroc, bootstrap_ci
from moground.training.motion_io import load_canonical
from moground.training.sources import load_records

SEAM_TOLERANCE = 6.0  # percentile points; seed-to-seed spread of the median is about ±3


def test_splice_keeps_the_body_continuous(data_dir):
    recs = [r for r in load_records(data_dir, splits=("test",), sources=("bandai",))][:3]
    pieces = [load_canonical(r)[:60] for r in recs]
    seq, spans = splice(pieces, blend=12, search=20)
    assert spans[0][0] == 0 and spans[-1][1] == len(seq)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    root_step = np.linalg.norm(np.diff(seq[:, 0], axis=0), axis=1)
    assert root_step.max() < 0.2  # no teleport at the joins (20 fps)


def test_realchains_takes_carry_human_boundaries(data_dir):
    takes = load_takes(data_dir)
    assert [t.id for t in takes] == ["86_05", "86_10", "86_11", "86_13", "86_14"]
    assert sum(len(t.segments) for t in takes) == 40
    for t in takes:
        assert t.segments[0].start == 0 and t.segments[-1].end == len(t.motion)
        assert all(a.end == b.start for a, b in zip(t.segments, t.segments[1:]))
        assert all(s.transition[0] <= s.end <= s.transition[1] for s in t.segments[:-1])


def test_spliced_seams_are_no_easier_than_real_boundaries(data_dir):
    real = [p for t in load_takes(data_dir) for p in boundary_percentiles(t.motion, 20.0, [s.start for s in t.segments[1:]])]
    reference = float(np.median(real))
    seams = boundary_report(spliced_cases("test", data_dir, count=30, seed=0))
    assert set(seams) == {"spliced-cmu", "spliced-bandai"}
    for name, median in seams.items():
        assert median <= reference + SEAM_TOLERANCE, f"{name}: seams at percentile {median} vs human boundaries {reference}"


def test_spliced_sequences_keep_one_source_and_distinct_labels(data_dir):
    cases = spliced_cases("test", data_dir, count=3, seed=2)
    test_ids = {r.uid for r in load_records(data_dir, splits=("test",))}
    assert test_ids
    for c in cases:
        assert 3 <= len(c.phrases) <= 5 and len(set(c.labels)) == len(c.labels)
        assert c.spans[0][0] == 0 and c.spans[-1][1] == len(c.motion)


def test_the_text_control_never_moves_the_truth(data_dir, engine):
    cases = [c for c in realchain_cases(data_dir) if c.clip_id == "86_10"]
    for c in cases:
        assert len(c.control_phrases) == len(c.phrases)
        # no segment keeps a phrase of its own label (labels repeat: walk ×3)
        own = {lab: ph for lab, ph in zip(c.labels, c.phrases)}
        assert all(p != own[lab] for p, lab in zip(c.control_phrases, c.labels))
    take = [c for c in cases if c.kind == "take" and c.vocab == "verbatim"]
    runs, diag = run_cases(engine.encoder, take, methods=("changepoint", "uniform", "fused"))
    summary = summarize_runs(runs, diag)["realchains/take/verbatim"]
    # text-blind methods score the same with deranged phrases: the truth did not move
    for m in ("changepoint", "uniform"):
        assert summary["methods"][m]["gap"][0] == 0.0
        assert summary["methods"][m]["control_miou"][0] == summary["methods"][m]["miou"][0]
    assert summary["methods"]["fused"]["gap"][0] > 0.1
    assert "fused" in format_table("realchains/take/verbatim", summary)


def test_derangement_with_repeated_labels():
    rng = np.random.default_rng(0)
    labels = ["walk", "sit", "walk", "stand", "run", "walk"]
    for _ in range(20):
        p = derange(labels, rng)
        assert sorted(p) == list(range(6)) and all(labels[j] != labels[i] for i, j in enumerate(p))
    with pytest.raises(ValueError):
        derange(["walk", "walk", "jump"], rng)


def test_open_vocabulary_phrases_were_never_training_text(data_dir):
    table = open_vocab()
    phrases = sorted({p for part in ("realchains", "kinectchains", "bandai") for p in table[part].values()})
    report = vocab_report(phrases, data_dir)
    for r in report:
        assert not r.verbatim, f"{r.phrase!r} is a training caption"
        if r.phrase not in table["justified"]:
            assert r.max_cosine <= table["max_cosine"], f"{r.phrase!r} ~ {r.nearest!r} ({r.max_cosine:.3f})"


def test_bootstrap_and_auroc():
    groups = [np.array([1.0, 1.0]), np.array([0.0]), np.array([0.5, 0.5, 0.5])]
    est, lo, hi = bootstrap_ci(groups, n_boot=500)
    assert lo <= est <= hi and lo >= 0.0 and hi <= 1.0 and hi > lo
    assert bootstrap_ci([np.array([0.3, 0.5])])[1:] == (0.4, 0.4)
    assert auroc([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert auroc([0.1, 0.9], [True, False]) == 0.0
    assert np.isnan(auroc([0.5], [True]))
