"""A 20-step training run on a tiny real subset: the loss falls and the weights load."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moground.paths import data_root

pytestmark = pytest.mark.skipif(data_root(required=False) is None, reason="shared data folder not found")


def _subset():
    from moground.training.sources import load_records

    recs = load_records()
    hml = lambda r: any(c.kind == "hml" for c in r.captions)  # noqa: E731
    pick = lambda src, split, n, cond=None: [r for r in recs if r.source == src and r.split == split and (cond is None or cond(r))][:n]  # noqa: E731
    return pick("cmu", "train", 6, hml) + pick("cmu", "val", 2, hml) + pick("bandai", "train", 4) + pick("msrc12", "train", 4)


def test_losses_mask_false_negatives():
    from moground.training.train import contrastive_losses, negatives_mask

    raw = torch.nn.functional.normalize(torch.tensor([[1.0, 0, 0], [1.0, 0.01, 0], [0, 1.0, 0]]), dim=-1)
    fn = negatives_mask(raw, [None, None, "a"], [("x", 0, 10), ("y", 0, 10), ("x", 20, 30)], 0.9)
    assert fn[0, 1] and fn[1, 0] and not fn[0, 2] and not fn.diagonal().any()
    m = torch.nn.functional.normalize(torch.randn(3, 8), dim=-1)
    clip, seg = contrastive_losses(m, m, torch.tensor(10.0), fn, torch.tensor([0, 0, 1]))
    assert torch.isfinite(clip) and torch.isfinite(seg)


@pytest.mark.slow
def test_smoke_training_lowers_loss_and_saves_loadable_weights(tmp_path):
    from moground.encoders.builtin import load_builtin
    from moground.training.train import TrainConfig, Trainer

    cfg = TrainConfig(cache=str(tmp_path / "cache"), out=str(tmp_path / "w" / "builtin.pt"), max_steps=20,
                      eval_every=10, sequences=6, segment_frames=40, lr=3e-3, test_eval=False, progress=False,
                      config={"width": 64, "layers": 1, "heads": 2, "text_hidden": 128, "embed_dim": 64})
    trainer = Trainer(cfg, _subset())
    result = trainer.fit()
    losses = [h["loss"] for h in trainer.history]
    assert len(losses) == 20 and all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    path = trainer.save(result)
    assert path.is_file() and (path.parent / "MODEL_CARD.md").is_file()
    enc = load_builtin(path)
    assert enc.trained and enc.meta["seed"] == 0
    assert torch.allclose(enc.motion.feat_std, trainer.encoder.motion.feat_std)
    motion = torch.from_numpy(trainer.cache.positions(trainer.train_recs[0].uid))
    feats = enc.frame_features(motion)
    emb = enc.pool(feats, torch.ones(1, len(feats)))
    assert emb.shape == (1, 64) and torch.isfinite(emb).all()
    assert enc.encode_text(["a person walks"]).shape == (1, 64)


def test_same_seed_same_steps(tmp_path):
    from moground.training.train import TrainConfig, Trainer

    def run():
        cfg = TrainConfig(cache=str(tmp_path / "cache"), out=str(tmp_path / "w.pt"), max_steps=4, eval_every=100,
                          sequences=4, segment_frames=40, test_eval=False, progress=False, seed=3,
                          config={"width": 32, "layers": 1, "heads": 2, "text_hidden": 64, "embed_dim": 32})
        t = Trainer(cfg, _subset())
        t.fit()
        return [h["loss"] for h in t.history], t.encoder.trainable_state_dict()

    (l1, s1), (l2, s2) = run(), run()
    assert l1 == l2
    assert all(torch.equal(s1[k], s2[k]) for k in s1)


def test_text_tune_layers_trains_and_ships_the_tuned_layer(tmp_path):
    from moground.encoders.builtin import load_builtin
    from moground.training.train import TrainConfig, Trainer

    cfg = TrainConfig(cache=str(tmp_path / "cache"), out=str(tmp_path / "w" / "builtin.pt"), max_steps=2, eval_every=100,
                      sequences=3, segment_frames=40, test_eval=False, progress=False, text_tune_layers=1,
                      config={"width": 32, "layers": 1, "heads": 2, "text_hidden": 64, "embed_dim": 32})
    t = Trainer(cfg, _subset())
    layer = t.encoder.text_model.model.encoder.layer[-1].output.dense.weight
    before = layer.detach().clone()
    t.fit()
    assert not torch.equal(before, layer.detach())
    enc = load_builtin(t.save({"steps": 2}))
    assert torch.allclose(enc.text_model.model.encoder.layer[-1].output.dense.weight, layer.detach(), atol=1e-2)


def test_extent_masks_are_the_true_span_shifted_extended_or_truncated():
    from moground.training.extent import VARIANTS, perturbed_masks

    weights = np.zeros((2, 2, 40), np.float32)
    weights[0, 0, 0:10], weights[0, 1, 10:30] = 1, 1
    weights[1, 0, 5:20] = 1
    valid = np.array([[True, True], [True, False]])
    pad = np.zeros((2, 40), bool)
    pad[0, 30:] = True  # sequence 0 has 30 real frames
    masks, usable = perturbed_masks(weights, valid, pad, np.random.default_rng(0))
    assert masks.shape == (2, 2, VARIANTS, 40) and not usable[1, 1].any()
    for s, k in [(0, 0), (0, 1), (1, 0)]:
        true = weights[s, k] > 0
        for v in np.flatnonzero(usable[s, k]):
            m = masks[s, k, v] > 0
            assert m.any() and not np.array_equal(m, true)
            assert not m[~(~pad[s])].any()  # never on padding
            frames = np.flatnonzero(m)
            assert np.all(np.diff(frames) == 1)  # one contiguous span


def test_extent_term_trains_with_the_mean_mix_pooler(tmp_path):
    """The extent term is finite, falls with training, and the learned mix ships."""
    from moground.encoders.builtin import load_builtin
    from moground.training.train import TrainConfig, Trainer

    cfg = TrainConfig(cache=str(tmp_path / "cache"), out=str(tmp_path / "w" / "builtin.pt"), max_steps=16,
                      eval_every=100, sequences=6, segment_frames=40, lr=3e-3, test_eval=False, progress=False,
                      extent_weight=1.0,
                      config={"width": 64, "layers": 1, "heads": 2, "text_hidden": 128, "embed_dim": 64,
                              "pool_mean_mix": True})
    trainer = Trainer(cfg, _subset())
    trainer.fit()
    extent = [h["extent"] for h in trainer.history]
    assert all(np.isfinite(extent)) and max(extent) > 0
    path = trainer.save({})
    enc = load_builtin(path)
    assert enc.cfg.pool_mean_mix and enc.pooler.mix is not None
    assert torch.allclose(enc.pooler.mix, trainer.encoder.pooler.mix.detach(), atol=1e-3)  # saved as float16
