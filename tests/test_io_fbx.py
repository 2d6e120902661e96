"""FBX on the command line through bpy: an armature with an action made in Blender,
exported to FBX, read back by ``load_motion`` and grounded by ``moground ground``."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from moground.wire.errors import BadRequest, UnreadableFile
from moground.io import load_motion
from moground.samples.procedural import NAMES, PARENTS, joint_positions_cm, walk_jump_wave

FRAMES = 60


def _z_up_m() -> np.ndarray:
    y_up = joint_positions_cm(walk_jump_wave())[:FRAMES] / 100.0
    return np.stack([y_up[..., 0], -y_up[..., 2], y_up[..., 1]], axis=-1)


@pytest.fixture(scope="module")
def fbx_files(tmp_path_factory):
    bpy = pytest.importorskip("bpy")
    from moground.blender_import import armature_from_positions, fresh_scene

    folder = tmp_path_factory.mktemp("fbx")
    pos = _z_up_m()
    fresh_scene()
    armature_from_positions("Actor", pos, NAMES, PARENTS, fps=30.0)
    one = folder / "take.fbx"
    bpy.ops.export_scene.fbx(filepath=str(one), object_types={"ARMATURE"}, bake_anim=True,
                             add_leaf_bones=False)
    second = armature_from_positions("Prop", pos + [1.0, 0, 0], NAMES, PARENTS, fps=30.0)
    second.location = (0, 0, 0)
    two = folder / "two_actors.fbx"
    bpy.ops.export_scene.fbx(filepath=str(two), object_types={"ARMATURE"}, bake_anim=True,
                             add_leaf_bones=False)
    return one, two, pos


@pytest.mark.blender
def test_fbx_reads_the_armature_world_positions(fbx_files):
    one, _, pos = fbx_files
    clip = load_motion(one)
    assert clip.meta["format"] == "fbx" and clip.up_axis == "Z" and clip.fps == 30.0
    assert clip.num_frames == FRAMES and clip.frame_start == 1.0
    order = [clip.joint_names.index(n) for n in NAMES]
    err = np.abs(clip.positions[:, order] * clip.units_to_m - pos).max()
    assert err < 2e-3, err


@pytest.mark.blender
def test_several_armatures_need_armature(fbx_files):
    _, two, pos = fbx_files
    with pytest.raises(BadRequest, match="--armature"):
        load_motion(two)
    clip = load_motion(two, armature="Prop")
    assert clip.meta["armature"] == "Prop"
    order = [clip.joint_names.index(n) for n in NAMES]
    assert np.abs(clip.positions[:, order] * clip.units_to_m - (pos + [1.0, 0, 0])).max() < 2e-3
    with pytest.raises(BadRequest, match="no animated armature named 'Nobody'"):
        load_motion(two, armature="Nobody")


@pytest.mark.blender
def test_cli_grounds_an_fbx(fbx_files, capsys):
    from moground.cli import main

    one, _, _ = fbx_files
    rc = main(["ground", "--motion", str(one), "--actions", "walk", "jump", "--method", "uniform", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and len(out["segments"]) == 2 and out["segments"][0]["start_frame"] >= 1.0


def test_fbx_without_bpy_says_how_to_get_it(tmp_path, monkeypatch):
    path = tmp_path / "take.fbx"
    path.write_bytes(b"Kaydara FBX Binary  \x00")
    monkeypatch.setitem(sys.modules, "bpy", None)  # import bpy → ImportError
    with pytest.raises(UnreadableFile, match=r"moground\[dev\]"):
        load_motion(path)


@pytest.mark.blender
def test_a_broken_fbx_gets_a_one_line_error(tmp_path):
    pytest.importorskip("bpy")
    path = tmp_path / "x.fbx"
    path.write_text("; FBX 7.4.0 project file\nKaydara")
    with pytest.raises(UnreadableFile) as info:
        load_motion(path)
    assert "\n" not in str(info.value) and "x.fbx" in str(info.value)
