"""Training data: sources, feature cache, items from every source, mirroring, batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moground.features import motion_features
from moground.paths import data_root

pytestmark = pytest.mark.skipif(data_root(required=False) is None, reason="shared data folder not found")


def _subset():
    from moground.training.sources import load_records

    recs = load_records()
    out = []
    has_hml = lambda r: any(c.kind == "hml" for c in r.captions)  # noqa: E731
    for src, n, cond in (("cmu", 3, has_hml), ("bandai", 2, None), ("msrc12", 2, None), ("hdm05", 2, None),
                         ("msr_action3d", 1, None), ("utkinect", 1, None)):
        out += [r for r in recs if r.source == src and r.split == "train" and (cond is None or cond(r))][:n]
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from moground.training.cache import build_cache

    recs = _subset()
    cache = build_cache(recs, tmp_path_factory.mktemp("cache"), progress=False)
    return recs, cache


def test_records_cover_every_source_and_split_actions_by_subject():
    from moground.training.sources import ACTION_PARTS, load_records

    recs = load_records()
    sources = {r.source for r in recs}
    assert {"cmu", "bandai", *ACTION_PARTS} <= sources
    for part in ACTION_PARTS:
        subj = {s: {r.subject for r in recs if r.source == part and r.split == s} for s in ("train", "val", "test")}
        assert subj["train"] and subj["val"] and subj["test"], part
        assert not (subj["train"] & subj["test"]) and not (subj["train"] & subj["val"]) and not (subj["val"] & subj["test"])
    kinds = {c.kind for r in recs if r.source == "cmu" for c in r.captions}
    assert {"desc", "kit", "hml"} <= kinds


def test_cache_and_items_from_every_source(small):
    from moground.training.dataset import BatchSampler, TextTable, build_items

    recs, cache = small
    assert all(r.uid in cache for r in recs)
    f = cache.features(recs[0].uid)
    assert f.shape[1] == 141 and np.isfinite(f).all()
    table = TextTable()
    groups = build_items(recs, cache, table)
    assert set(groups) == {"hml", "cmu_text", "bandai", "actions", "describer"}
    for items in groups.values():
        for it in items:
            assert 0 <= it.start < it.end <= cache.length(it.uid) and it.texts
            assert all(table.texts[i].strip() for i in it.texts)
    batch = BatchSampler(groups, cache, seed=1).batch(6, table)
    assert np.isfinite(batch.feats).all()
    v = batch.valid
    assert (batch.weights[v].sum(-1) > 0).all() and (batch.text_ids[v] >= 0).all()
    # segment masks never cover padding and never overlap inside a sequence
    assert not (batch.weights * batch.pad[:, None, :] * v[..., None]).any()
    assert (((batch.weights * v[..., None]).sum(1)) <= 1).all()


def test_feature_mirror_equals_features_of_mirrored_motion(small):
    from moground.training.dataset import feature_mirror, mirror_positions

    recs, cache = small
    pos = cache.positions(recs[0].uid)
    idx, sign = feature_mirror()
    f = motion_features(torch.from_numpy(pos), 20.0).numpy()
    fm = motion_features(torch.from_numpy(mirror_positions(pos)), 20.0).numpy()
    np.testing.assert_allclose(f[:, idx] * sign, fm, atol=1e-4)
    assert not np.allclose(f, fm, atol=1e-3)  # the mirror really changes something


def test_mirror_swaps_words_and_table_keeps_twins():
    from moground.training.captions import mirror_text
    from moground.training.dataset import TextTable

    assert mirror_text("Left hand up, then turn right clockwise") == "Right hand up, then turn left counterclockwise"
    t = TextTable()
    i = t.add("raises the left arm")
    j = t.mirror[i]
    assert t.texts[j] == "raises the right arm" and t.mirror[j] == i
    k = t.add("walks forward")
    assert t.mirror[k] == k


def test_retrieval_metrics_ranks():
    from moground.training.retrieval import retrieval_metrics

    rng = np.random.default_rng(0)
    n = 20
    sim = rng.normal(size=(n, n))
    sim[np.arange(n), np.arange(n)] += 10  # every text's own motion scores best
    m = retrieval_metrics(sim, [{i} for i in range(n)])
    assert m["t2m_r1"] == 1.0 and m["m2t_r1"] == 1.0 and m["t2m_medr"] == 1.0
    sim[np.arange(n), np.arange(n)] -= 20  # now the worst
    m = retrieval_metrics(sim, [{i} for i in range(n)])
    assert m["t2m_r10"] == 0.0 and m["t2m_medr"] == n
