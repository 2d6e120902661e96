"""Retrieval numbers carry their pool size and chance level; the large pool keeps queries fixed."""

from __future__ import annotations

import numpy as np

from moground.training.retrieval import EvalSet, chance_recall, restrict_queries, retrieval_metrics


def test_chance_recall_matches_the_closed_form_and_a_simulation():
    assert abs(chance_recall(np.array([1]), 24, 5) - 5 / 24) < 1e-12
    rng = np.random.default_rng(0)
    hits = [bool(set(rng.permutation(20)[:5]) & {0, 1}) for _ in range(20000)]
    assert abs(chance_recall(np.array([2]), 20, 5) - np.mean(hits)) < 0.01


def test_metrics_report_pool_and_chance():
    m = retrieval_metrics(np.eye(4), [{0}, {1}, {2}, {3}])
    assert m["motions"] == 4 and m["t2m_r1"] == 1.0 and m["t2m_r1_chance"] == 0.25


def test_large_pool_keeps_only_the_split_queries():
    es = EvalSet("x", [("a", 0, 1), ("b", 0, 1), ("c", 0, 1)], ["t0", "t1", "t2"], [{0}, {1}, {1, 2}])
    out = restrict_queries(es, lambda m: m[0] in ("a", "b"))
    assert out.motions == es.motions and out.texts == ["t0", "t1"]
