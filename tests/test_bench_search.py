"""The library search benchmark: its metrics on rankings whose answer is known, and its
machinery (queries, corpus, three methods, scoring) on a two-take corpus of real mocap."""

from __future__ import annotations

import dataclasses
import json
from itertools import combinations

import numpy as np
import pytest

from moground.bench.search_bench import (GENERIC_LABELS, MethodRun, Query, Span, WindowPyramid, chance_recall,
                                         first_correct_rank, format_rows, format_top_hits, hml_queries, plot_rows,
                                         realchains_queries, run_library, run_pyramid, score_group, score_runs,
                                         span_iou, take_descriptions, take_id)
from moground.encoders import load_encoder
from moground.io import save_npz
from moground.io.shards import load_cmu_trial, open_shard, skeleton
from moground.library.build import IndexOptions, build_index
from moground.library.search import Searcher, best_distinct
from moground.library.store import LibraryIndex
from moground.library.threads import one_torch_thread
from moground.motion import MotionClip

REAL_TAKE, HML_TRIAL = "86_11", "111_39"  # 47 s of arm rotations; a test trial with a 4 s caption span


def test_span_iou_needs_the_same_take():
    a = Span("x", 1.0, 3.0)
    assert span_iou(a, Span("x", 2.0, 4.0)) == pytest.approx(1 / 3)
    assert span_iou(a, Span("y", 1.0, 3.0)) == 0.0
    assert span_iou(a, a) == 1.0


def test_first_correct_rank_on_a_constructed_ranking():
    answers = [Span("t", 10.0, 14.0), Span("u", 0.0, 2.0)]
    ranked = [Span("t", 0.0, 4.0), Span("t", 11.0, 15.0), Span("u", 0.0, 2.0)]
    # rank 2 overlaps the first answer with IoU 3/5, rank 3 matches the second exactly
    assert first_correct_rank(ranked, answers, 0.5) == 2
    assert first_correct_rank(ranked, answers, 0.7) == 3
    assert first_correct_rank(ranked[:2], answers, 0.7) is None


def test_chance_recall_is_the_share_of_random_k_subsets_with_a_correct_item():
    for pool, correct, k in [(10, 1, 1), (10, 2, 5), (7, 3, 2), (6, 0, 3)]:
        subsets = list(combinations(range(pool), k))
        share = np.mean([any(i < correct for i in s) for s in subsets])
        assert chance_recall(pool, correct, k) == pytest.approx(share)
    assert chance_recall(5, 1, 10) == 1.0  # k beyond the pool: the answer is always listed


def test_best_distinct_skips_overlaps_within_a_take_only():
    spans = np.array([[0, 0, 20], [0, 5, 25], [1, 5, 25], [0, 40, 60], [0, 0, 40]])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.95])
    # [0, 40) is best; [0, 20) and [5, 25) lie inside it (IoU 0.5); take 1 and [40, 60) do not overlap it
    assert best_distinct(np.arange(5), scores, spans, 10) == [4, 2, 3]
    assert best_distinct(np.arange(5), scores, spans, 2) == [4, 2]
    assert best_distinct(np.arange(5), scores, spans, 10, max_iou=0.6) == [4, 0, 1, 2, 3]
    assert best_distinct(np.array([1, 2]), scores[[1, 2]], spans, 10) == [1, 2]
    assert best_distinct(np.array([], dtype=int), np.array([]), spans, 3) == []


def test_best_distinct_partial_sort_matches_a_full_sort():
    rng = np.random.default_rng(1)
    starts = rng.integers(0, 500, 2000)
    spans = np.stack([rng.integers(0, 4, 2000), starts, starts + rng.choice([20, 40, 80], 2000)], axis=1)
    scores = rng.normal(size=2000)
    order = np.argsort(-scores, kind="stable")[:60]  # what a full sort considers: the best 6 * count
    expected = []
    for w in order.tolist():
        if not any(spans[k, 0] == spans[w, 0] and
                   min(spans[k, 2], spans[w, 2]) - max(spans[k, 1], spans[w, 1]) >
                   0.3 * (max(spans[k, 2], spans[w, 2]) - min(spans[k, 1], spans[w, 1])) for k in expected):
            expected.append(w)
    assert best_distinct(np.arange(2000), scores, spans, 10) == expected[:10]


def test_search_runs_on_one_torch_thread_and_restores_the_count():
    import torch

    before = torch.get_num_threads()
    with one_torch_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_take_id_names_shard_clips_and_single_take_files():
    assert take_id("/x/positions.npz", "86_05") == "86_05"
    assert take_id("/x/cmu_test/111_39.npz", "") == "111_39"


def test_queries_leave_out_walk_and_carry_every_segment_of_their_label(data_dir):
    queries = realchains_queries(data_dir)
    labels = {q.label for q in queries}
    assert labels and not labels & GENERIC_LABELS
    assert {q.group for q in queries} == {"realchains/verbatim", "realchains/open"}
    throw = next(q for q in queries if q.label == "throw ball" and q.group.endswith("verbatim"))
    assert len(throw.answers) == 2 and {a.take for a in throw.answers} == {"86_14"}
    hml = hml_queries("test", data_dir)
    assert hml and all(len(q.answers) == 1 and q.answers[0].end_s > q.answers[0].start_s for q in hml)
    assert any(q.answers[0].take == HML_TRIAL for q in hml)


@pytest.fixture(scope="module")
def tiny(data_dir, tmp_path_factory):
    """An index of two takes: one realchains take and one CMU test trial, as npz files."""
    folder = tmp_path_factory.mktemp("corpus")
    names, parents = skeleton(str(data_dir / "realchains"))
    shard = open_shard(str(data_dir / "realchains" / "positions.npz"))
    rec = next(r for r in json.loads((data_dir / "realchains" / "index.json").read_text())["trials"]
               if r["id"] == REAL_TAKE)
    save_npz(folder / f"{REAL_TAKE}.npz", MotionClip(positions=shard[REAL_TAKE].astype(np.float32),
                                                     joint_names=list(names), parents=list(parents), fps=rec["fps"]))
    save_npz(folder / f"{HML_TRIAL}.npz", load_cmu_trial(HML_TRIAL, data_dir))
    encoder = load_encoder("builtin")
    out = tmp_path_factory.mktemp("lib") / "index"
    build_index(IndexOptions(paths=[str(folder)], out=str(out)), encoder=encoder)
    index = LibraryIndex.open(out)
    present = {REAL_TAKE, HML_TRIAL}
    queries = []
    for q in realchains_queries(data_dir, vocabs=("verbatim",)) + hml_queries("test", data_dir):
        answers = [a for a in q.answers if a.take in present]
        if answers:
            queries.append(dataclasses.replace(q, answers=answers))
    return index, encoder, queries


def test_bench_machinery_on_a_two_take_corpus(tiny, tmp_path):
    index, encoder, queries = tiny
    assert {q.group for q in queries} == {"realchains/verbatim", "hml/test"}
    pyramid = WindowPyramid.build(index, encoder)
    # the baseline ranks the same windows as the index stores, each encoded on its own
    assert np.array_equal(pyramid.spans, np.asarray(index.spans, dtype=np.int64))
    assert not np.allclose(pyramid.emb.numpy(), np.asarray(index.windows, dtype=np.float32), atol=1e-2)
    searcher = Searcher(index, encoder)
    runs = [run_library(searcher, queries, 10, refine=True), run_library(searcher, queries, 10, refine=False),
            run_pyramid(pyramid, encoder, queries, 10)]
    durations = {take_id(t.file, t.take): t.duration_s for t in index.takes}
    for run in runs:
        assert len(run.ranked) == len(queries) and all(0 < len(r) <= 10 for r in run.ranked)
        for spans in run.ranked:
            assert all(s.take in durations and 0 <= s.start_s < s.end_s <= durations[s.take] + 1e-6 for s in spans)
    rows = score_runs(runs, queries, index, top=10)
    assert len(rows) == 2 * len(runs)
    for row in rows:
        assert row.pool == index.spans.shape[0]
        for iou in ("0.3", "0.5"):
            recalls = [row.recall[f"R@{k}@{iou}"][0] for k in (1, 5, 10)]
            assert recalls == sorted(recalls)
            chances = [row.chance[f"R@{k}@{iou}"] for k in (1, 5, 10)]
            assert 0 < chances[0] <= chances[1] <= chances[2] < 1
        assert all(row.recall[f"R@{k}@0.5"][0] <= row.recall[f"R@{k}@0.3"][0] <= row.recall[f"R@{k}@any"][0]
                   for k in (1, 5, 10))
    assert "library (refined)" in format_rows(rows, 10)
    listing = format_top_hits(runs[0], queries, take_descriptions())
    assert "Yoga" in listing  # 111_39's CMU description, shown beside its hits
    plot_rows(rows, tmp_path / "bars.png")
    assert (tmp_path / "bars.png").stat().st_size > 10_000


def test_scores_of_constructed_rankings(tiny):
    index, _, _ = tiny
    answer = Span(REAL_TAKE, 10.0, 14.0)
    queries = [Query(f"q{i}", "g", "label", [answer]) for i in range(4)]
    wrong = Span(HML_TRIAL, 0.0, 4.0)
    at = lambda r: [wrong] * (r - 1) + [answer] + [wrong] * (10 - r)  # noqa: E731
    run = MethodRun("m", [at(1), at(3), at(7), [wrong] * 10], [0.1] * 4)
    row = score_group(run, queries, [0, 1, 2, 3], index, top=10)
    for iou in ("0.3", "0.5"):
        assert row.recall[f"R@1@{iou}"][0] == pytest.approx(0.25)
        assert row.recall[f"R@5@{iou}"][0] == pytest.approx(0.5)
        assert row.recall[f"R@10@{iou}"][0] == pytest.approx(0.75)
        assert row.median_rank[iou] == pytest.approx(5.0)  # ranks 1, 3, 7 and 11 (not found)
        est, lo, hi = row.recall[f"R@5@{iou}"]
        assert 0.0 <= lo <= est <= hi <= 1.0 and hi > lo
    assert row.answers_per_query == 1.0 and row.ms_per_query == pytest.approx(100.0)
    # chance: the stored windows that overlap the 4 s answer, out of every window
    assert 0 < row.chance["R@1@0.5"] <= row.chance["R@1@0.3"] < 0.05


def test_cli_refuses_a_bad_top_before_writing_anything(tmp_path, capsys):
    from moground.cli import main

    assert main(["bench-search", "--top", "0", "--work", str(tmp_path / "work")]) == 2
    assert "top must be" in capsys.readouterr().err
    assert not (tmp_path / "work").exists()
