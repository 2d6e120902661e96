"""SMPL-family motion through smplx: AMASS SMPL-H / SMPL-X npz, plain SMPL npz, Motion-X
npy, on generated body models (real ones are licensed; none is in the repository)."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import bodymodel_helpers as bm
from moground.wire.errors import BadMotion, MoGroundError, UnreadableFile
from moground.io import load_motion
from moground.rigmap import map_to_canonical
from moground.skeleton import CANONICAL_JOINTS, CANONICAL_PARENTS, JOINT_INDEX

T = 12


@pytest.fixture()
def models(tmp_path):
    root = tmp_path / "body_models"
    bm.write_model(root, "smplh", "male", layout="amass", seed=1)
    bm.write_model(root, "smplh", "female", layout="amass", seed=2)
    bm.write_model(root, "smplh", "neutral", layout="amass", seed=0)
    bm.write_model(root, "smplx", "neutral", seed=0)
    bm.write_model(root, "smpl", "neutral", ext="pkl", sparse=True, seed=0)
    return root


def amass_smplh(path, t=T, gender="male", betas=None, fps=120.0):
    poses = bm.standing_z_up_pose(t, width=156)
    trans = np.cumsum(np.full((t, 3), [0.01, 0.02, 0.0]), axis=0) + [0, 0, 0.9]
    betas = np.random.default_rng(3).normal(0, 1, 16) if betas is None else betas
    np.savez(path, poses=poses, trans=trans, betas=betas, gender=np.array(gender),
             mocap_framerate=np.array(fps), dmpls=np.zeros((t, 8)))
    return poses, trans, betas


def test_canonical_joints_are_smplx_body_joints_in_order():
    from smplx.joint_names import JOINT_NAMES

    assert CANONICAL_JOINTS == tuple(JOINT_NAMES[:22])
    assert CANONICAL_PARENTS == tuple(bm.PARENTS_22)


def test_amass_smplh_matches_hand_written_fk_and_is_y_up(models, tmp_path):
    f = tmp_path / "01_01_poses.npz"
    poses, trans, betas = amass_smplh(f)
    clip = load_motion(f, body_model=models)
    arrays = bm.model_arrays("smplh", seed=1)  # the male model: the file's gender
    ref = bm.z_up_to_y_up(bm.hand_fk(arrays, poses[:, :66], trans, betas))
    assert clip.positions.shape == (T, 22, 3)
    assert np.abs(clip.positions - ref).max() < 1e-5
    assert clip.fps == 120.0 and clip.up_axis == "Y" and clip.joint_names == list(CANONICAL_JOINTS)
    assert clip.meta["format"] == "amass-smplh" and clip.meta["gender"] == "male"
    assert clip.meta["source_up"] == "+Z" and clip.meta["warnings"] == []


def test_z_up_conversion_is_a_rotation_not_a_mirror(models, tmp_path):
    """Standing upright, and facing where the feet point: forward = lateral × up, as the
    canonical frame defines it. A mirrored conversion would face backwards."""
    f = tmp_path / "take.npz"
    amass_smplh(f)
    p = load_motion(f, body_model=models).positions
    J = JOINT_INDEX
    up = p[:, J["neck"]] - p[:, J["pelvis"]]
    assert (up[:, 1] / np.linalg.norm(up, axis=1) > 0.8).all()
    lateral = p[:, J["left_hip"]] - p[:, J["right_hip"]]
    forward = np.cross(lateral, up)
    toes = p[:, J["left_foot"]] - p[:, J["left_ankle"]] + p[:, J["right_foot"]] - p[:, J["right_ankle"]]
    forward[:, 1] = toes[:, 1] = 0
    cos = (forward * toes).sum(1) / np.linalg.norm(forward, axis=1) / np.linalg.norm(toes, axis=1)
    assert (cos > 0).all() and cos.mean() > 0.6, cos  # a mirror gives cos < 0
    canon = map_to_canonical(load_motion(f, body_model=models))
    assert canon.preset == "smpl" and canon.filled == []


def test_gender_and_betas_change_the_joints(models, tmp_path):
    a, b, c = tmp_path / "a.npz", tmp_path / "b.npz", tmp_path / "c.npz"
    amass_smplh(a, gender="male")
    amass_smplh(b, gender="female")
    amass_smplh(c, gender="male", betas=np.zeros(16))
    pa, pb, pc = (load_motion(x, body_model=models).positions for x in (a, b, c))
    assert np.abs(pa - pb).max() > 1e-2
    assert np.abs(pa - pc).max() > 1e-3


def test_bytes_gender_and_env_variable(models, tmp_path, monkeypatch):
    f = tmp_path / "bytes.npz"
    poses, trans, betas = amass_smplh(f)
    np.savez(f, poses=poses, trans=trans, betas=betas, gender=np.array(b"female"), mocap_framerate=60.0)
    monkeypatch.setenv("MOGROUND_BODY_MODELS", str(models))
    clip = load_motion(f)
    assert clip.meta["gender"] == "female" and clip.fps == 60.0


def test_missing_gender_model_falls_back_to_neutral_with_a_warning(models, tmp_path):
    f = tmp_path / "x.npz"
    poses = bm.standing_z_up_pose(T, width=165)
    np.savez(f, poses=poses, trans=np.zeros((T, 3)), betas=np.zeros(10), gender="female",
             surface_model_type="smplx", mocap_frame_rate=30.0)
    clip = load_motion(f, body_model=models)
    assert clip.meta["model_type"] == "smplx" and clip.meta["gender"] == "neutral"
    assert any("neutral" in w for w in clip.meta["warnings"])


def test_missing_model_names_the_expected_file(tmp_path, monkeypatch):
    f = tmp_path / "m.npz"
    amass_smplh(f)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UnreadableFile) as info:
        load_motion(f, body_model=empty)
    msg = str(info.value)
    assert "SMPLH_MALE.npz" in msg and "smplh/male/model.npz" in msg and "mano.is.tue.mpg.de" in msg
    assert "\n" not in msg and info.value.code == "unreadable_file"
    monkeypatch.delenv("MOGROUND_BODY_MODELS", raising=False)
    with pytest.raises(UnreadableFile, match="--body-model DIR or set MOGROUND_BODY_MODELS"):
        load_motion(f)


def test_amass_smplx_keys_and_motionx_npy(models, tmp_path):
    poses = bm.standing_z_up_pose(T, width=165)
    f = tmp_path / "smplx_stageii.npz"
    np.savez(f, root_orient=poses[:, :3], pose_body=poses[:, 3:66], pose_jaw=np.zeros((T, 3)),
             pose_hand=np.zeros((T, 90)), trans=np.zeros((T, 3)), betas=np.zeros(16), gender="neutral",
             surface_model_type="smplx", mocap_frame_rate=np.array(120.0))
    clip = load_motion(f, body_model=models)
    ref = bm.z_up_to_y_up(bm.hand_fk(bm.model_arrays("smplx"), poses[:, :66], np.zeros((T, 3)), np.zeros(10)))
    assert clip.meta["format"] == "amass-smplx" and np.abs(clip.positions - ref).max() < 1e-5

    # Motion-X: Y-up world (no root turn), 322 values per frame, 30 fps, no gender
    rows = np.zeros((T, 322))
    rows[:, 3:66] = np.random.default_rng(0).normal(0, 0.1, (T, 63))
    rows[:, 309:312] = [0.0, 0.9, 0.0]
    mx = tmp_path / "Act_Cute.npy"
    np.save(mx, rows.astype(np.float32))
    clip = load_motion(mx, body_model=models)
    ref = bm.hand_fk(bm.model_arrays("smplx"), rows[:, :66], rows[:, 309:312], np.zeros(10))
    assert clip.fps == 30.0 and clip.meta["format"] == "motionx-smplx" and clip.meta["source_up"] == "+Y"
    assert np.abs(clip.positions - ref).max() < 1e-4
    assert any("--format motionx" in w for w in clip.meta["warnings"])
    assert load_motion(mx, body_model=models, fmt="motionx", fps=60).fps == 60.0


def test_plain_smpl_npz_needs_a_frame_rate(models, tmp_path):
    f = tmp_path / "smpl_fit.npz"
    poses = np.random.default_rng(0).normal(0, 0.1, (T, 72))
    np.savez(f, poses=poses, trans=np.zeros((T, 3)), betas=np.zeros(10))
    with pytest.raises(UnreadableFile, match="--fps"):
        load_motion(f, body_model=models)
    clip = load_motion(f, body_model=models, fps=25)
    ref = bm.hand_fk(bm.model_arrays("smpl"), poses[:, :66], np.zeros((T, 3)), np.zeros(10))
    assert clip.fps == 25 and clip.meta["model_type"] == "smpl"
    assert np.abs(clip.positions - ref).max() < 1e-5  # neutral model (sparse J_regressor .pkl)


def test_joints_equal_smplx_create_forward(models):
    """The reader's joint-only FK gives what smplx's full model gives on the same file."""
    import smplx
    import torch

    from moground.io.smpl import SmplMotion, joints_from_params

    rng = np.random.default_rng(5)
    for mt, path, ext in (("smpl", models / "smpl" / "SMPL_NEUTRAL.pkl", "pkl"),
                          ("smplx", models / "smplx" / "SMPLX_NEUTRAL.npz", "npz")):
        poses = rng.normal(0, 0.3, (4, 72 if mt == "smpl" else 66))
        trans, betas = rng.normal(0, 1, (4, 3)), rng.normal(0, 1, 10)
        m = SmplMotion(mt, "neutral", betas, poses[:, :3], poses[:, 3:66], trans, 30.0, None, mt)
        ours, _, _ = joints_from_params(m, models)
        model = smplx.create(str(path), model_type=mt, gender="neutral", num_betas=10, use_pca=False,
                             ext=ext, batch_size=4)
        f = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
        out = model(global_orient=f(poses[:, :3]), body_pose=f(poses[:, 3:]), betas=f(np.tile(betas, (4, 1))),
                    transl=f(trans))
        assert np.abs(out.joints[:, :22].detach().numpy() - ours).max() < 1e-5, mt


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu(models, tmp_path):
    f = tmp_path / "c.npz"
    amass_smplh(f, t=300)
    cpu = load_motion(f, body_model=models).positions
    gpu = load_motion(f, body_model=models, device="cuda").positions
    assert np.abs(cpu - gpu).max() < 1e-4


def test_bad_files_get_one_line_coded_errors(models, tmp_path):
    cases = {
        "wide.npz": dict(poses=np.zeros((T, 100)), mocap_framerate=30.0),
        "shape.npz": dict(betas=np.zeros(16), gender="male"),
        "nan.npz": dict(poses=np.full((T, 156), np.nan), mocap_framerate=30.0),
        "other.npz": dict(foo=np.zeros(3)),
    }
    for name, arrays in cases.items():
        np.savez(tmp_path / name, **arrays)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    for name in [*cases, "junk.npz"]:
        with pytest.raises(MoGroundError) as info:
            load_motion(tmp_path / name, body_model=models)
        assert info.value.code in ("unreadable_file", "bad_motion") and "\n" not in str(info.value), name
    with pytest.raises(BadMotion, match="72 .SMPL., 156"):
        load_motion(tmp_path / "wide.npz", body_model=models)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_body_model_pickles_cannot_run_code(tmp_path):
    root = tmp_path / "models"
    (root / "smpl").mkdir(parents=True)
    arrays = bm.model_arrays("smpl")
    arrays["J_regressor"] = _Evil()
    (root / "smpl" / "SMPL_NEUTRAL.pkl").write_bytes(pickle.dumps(arrays, protocol=2))
    f = tmp_path / "s.npz"
    np.savez(f, poses=np.zeros((T, 72)), fps=30.0)
    with pytest.raises(UnreadableFile, match="refers to Python object"):
        load_motion(f, body_model=root)
    # the same inside an npz member
    bad = bm.model_arrays("smplx")
    bad["J_regressor"] = np.array([_Evil()], dtype=object)
    (root / "smplx").mkdir()
    np.savez(root / "smplx" / "SMPLX_NEUTRAL.npz", **bad)
    np.savez(f, poses=np.zeros((T, 165)), fps=30.0)
    with pytest.raises(UnreadableFile, match="refers to Python object"):
        load_motion(f, body_model=root)


def test_cli_grounds_an_amass_take(models, tmp_path, capsys):
    import json

    from moground.cli import main

    f = tmp_path / "walk_poses.npz"
    amass_smplh(f, t=240, fps=60.0)
    rc = main(["ground", "--motion", str(f), "--body-model", str(models), "--actions", "walk", "turn",
               "--method", "uniform", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["fps"] == 60.0 and len(out["segments"]) == 2
    rc = main(["ground", "--motion", str(f), "--body-model", str(tmp_path / "nowhere"), "--actions", "walk"])
    assert rc == 2 and "body model folder not found" in capsys.readouterr().err


@pytest.mark.blender
def test_from_mocap_imports_an_amass_take_as_an_armature(models, tmp_path, monkeypatch):
    """`segment --from-mocap` path: the take becomes an armature whose bone heads are the
    reader's joints (Blender's Z up), read back by the add-on's reader."""
    pytest.importorskip("bpy")
    from moground.batch.discover import expand_inputs
    from moground.wire.blender import motion_reader
    from moground.blender.mocap_import import import_take

    takes = tmp_path / "takes"
    takes.mkdir()
    f = takes / "01_01_poses.npz"
    amass_smplh(f, t=30, fps=30.0)
    np.savez(takes / "shape.npz", betas=np.zeros(16), gender="male")
    assert expand_inputs([takes], from_mocap=True) == [f.resolve()]
    monkeypatch.setenv("MOGROUND_BODY_MODELS", str(models))
    obj = import_take(f)
    motion = motion_reader.read_armature_motion(obj)
    clip = load_motion(f, body_model=models)
    order = [motion["bone_names"].index(n) for n in CANONICAL_JOINTS]
    z_up = np.stack([clip.positions[..., 0], -clip.positions[..., 2], clip.positions[..., 1]], axis=-1)
    assert motion["fps"] == 30.0 and np.abs(motion["positions"][:, order] - z_up).max() < 1e-4
