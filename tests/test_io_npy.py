"""HumanML3D joints (.npy [T, 22, 3], 20 fps, Y up) and the .npy layout rules."""

from __future__ import annotations

import json

import numpy as np
import pytest

from moground.wire.errors import MoGroundError
from moground.io import load_motion
from moground.rigmap import map_to_canonical
from moground.samples.procedural import joint_positions_cm, walk_jump_wave
from moground.skeleton import CANONICAL_JOINTS


def h3d_file(tmp_path, name="000021.npy"):
    """A HumanML3D-style new_joints file: the procedural sample's 22 joints at 20 fps."""
    from moground.preprocess import resample
    from moground.samples.procedural import NAMES

    src = walk_jump_wave()
    cm = joint_positions_cm(src)[:, [NAMES.index(n) for n in CANONICAL_JOINTS]]
    joints = resample(cm / 100.0, src.fps, 20.0)
    path = tmp_path / name
    np.save(path, joints.astype(np.float32))
    return path, joints


def test_h3d_joints_default_with_a_warning(tmp_path):
    path, joints = h3d_file(tmp_path)
    clip = load_motion(path)
    assert clip.fps == 20.0 and clip.up_axis == "Y" and clip.joint_names == list(CANONICAL_JOINTS)
    assert np.array_equal(clip.positions, joints)
    (warning,) = clip.meta["warnings"]
    assert "HumanML3D" in warning and "--format h3d-joints" in warning and "20 fps" in warning
    named = load_motion(path, fmt="h3d-joints", fps=30)
    assert named.fps == 30.0 and named.meta["warnings"] == []
    assert map_to_canonical(named).filled == []


def test_npy_layouts_that_are_not_joints_get_coded_errors(tmp_path):
    cases = {
        "vecs.npy": np.zeros((40, 263), np.float32),  # HumanML3D new_joint_vecs
        "odd.npy": np.zeros((40, 5), np.float32),
        "strings.npy": np.array(["a", "b"]),
    }
    for name, a in cases.items():
        np.save(tmp_path / name, a)
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    for name in [*cases, "objects.npy", "junk.npy"]:
        with pytest.raises(MoGroundError) as info:
            load_motion(tmp_path / name)
        assert info.value.code in ("unreadable_file", "bad_motion") and "\n" not in str(info.value), name
    with pytest.raises(MoGroundError, match="new_joint_vecs"):
        load_motion(tmp_path / "vecs.npy")
    with pytest.raises(MoGroundError, match="h3d-joints"):
        load_motion(tmp_path / "vecs.npy", fmt="h3d-joints")


def test_cli_grounds_h3d_joints(tmp_path, capsys):
    from moground.cli import main

    path, _ = h3d_file(tmp_path)
    rc = main(["ground", "--motion", str(path), "--actions", "walk", "jump", "wave",
               "--method", "uniform", "--json"])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert rc == 0 and out["fps"] == 20.0 and len(out["segments"]) == 3
    assert "--format h3d-joints" in captured.err and "--format h3d-joints" in out["warnings"][0]
    rc = main(["ground", "--motion", str(path), "--format", "h3d-joints", "--fps", "20",
               "--actions", "walk", "--method", "uniform", "--json"])
    assert rc == 0 and "warning" not in capsys.readouterr().err
