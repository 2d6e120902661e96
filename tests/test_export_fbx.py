"""Game-ready export: baked sub-actions with names, handles and root motion choices, FBX
files named by pattern, in Unreal or Unity units, re-imported by Blender's own importer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moground.wire.blender.export_names import ExportSettings, ExportSettingsError, file_name

bpy = pytest.importorskip("bpy")
pytestmark = pytest.mark.blender

SEGMENTS = [{"label": "walk", "index": 0, "start_frame": 10, "end_frame": 60, "score": 0.9},
            {"label": "jump / hop", "index": 1, "start_frame": 60, "end_frame": 120, "score": 0.9},
            {"label": "walk", "index": 2, "start_frame": 120, "end_frame": 190, "score": 0.9}]


def _z_up(y_up: np.ndarray) -> np.ndarray:
    return np.stack([y_up[..., 0], -y_up[..., 2], y_up[..., 1]], axis=-1)


@pytest.fixture()
def take(data_dir):
    root = data_dir / "realchains"
    skel = json.loads((root / "skeleton.json").read_text())
    with np.load(root / "positions.npz") as z:
        pos = _z_up(z["86_05"][:200].astype(np.float64))
    return skel["joints"], skel["parents"], pos


def _build(name, take):
    from moground.blender_import import armature_from_positions

    names, parents, pos = take
    return armature_from_positions(name, pos, names, parents, 24.0)


def _positions(obj, names) -> np.ndarray:
    from moground.wire.blender.motion_reader import read_armature_motion

    m = read_armature_motion(obj)
    order = [m["bone_names"].index(n) for n in names]
    return m["positions"][:, order] * float(m.get("units_to_m", 1.0))


def test_settings_are_checked_and_names_sanitised():
    assert file_name("{take}_{index:02d}_{label}", take="cmu 86/05", index=3, label="jump / hop",
                     name="jump / hop") == "cmu_86_05_03_jump_hop.fbx"
    with pytest.raises(ExportSettingsError, match="take"):
        ExportSettings(pattern="{shot}_{label}")
    with pytest.raises(ExportSettingsError, match="handles"):
        ExportSettings(pre_roll=-1)
    with pytest.raises(ExportSettingsError, match="unity"):
        ExportSettings(fbx_scale="maya")
    s = ExportSettings(pre_roll=3, post_roll=4, in_place=True, fbx_scale="unity")
    assert ExportSettings.from_json(s.to_json()) == s


@pytest.mark.parametrize("scale", ["unreal", "unity"])
def test_exported_sub_action_reimports_as_one_named_action(tmp_path, take, scale):
    """Item 5: one action named "<armature>|<strip>", the baked frame range (with
    handles), rotation curves, the source's bone names and its motion."""
    from moground.wire.blender import bake
    from moground.blender_import import fresh_scene, import_fbx

    names, _, pos = take
    fresh_scene()
    obj = _build("cmu_86_05", take)
    acts = bake.bake_actions(obj, {"segments": SEGMENTS}, handles=(5, 5))
    assert [a.name for a in acts] == ["walk", "jump / hop", "walk (2)"]
    settings = ExportSettings(pre_roll=5, post_roll=5, fbx_scale=scale)
    paths = bake.export_fbx(obj, acts, str(tmp_path), take="86_05", settings=settings)
    assert [Path(p).name for p in paths] == ["86_05_01_walk.fbx", "86_05_02_jump_hop.fbx", "86_05_03_walk.fbx"]
    assert bpy.context.scene.name == "Scene"  # the take name was borrowed and given back
    strips = [json.loads(a[bake.BAKE_KEY])["name"] for a in acts]
    for path, strip, (start, end) in zip(paths, strips, [(5, 65), (55, 125), (115, 195)]):
        fresh_scene()
        imported = import_fbx(Path(path))
        action = imported.animation_data.action
        assert imported.name == "cmu_86_05" and len(bpy.data.actions) == 1
        assert action.name == f"cmu_86_05|{strip}"
        first, last = action.frame_range
        assert last - first == end - start
        curves = bake.source_fcurves(imported)
        rotated = {fc.data_path.split('"')[1] for fc in curves if fc.data_path.endswith("rotation_quaternion")}
        assert rotated == set(names) == {b.name for b in imported.data.bones}
        scene = bpy.context.scene
        scene.frame_start, scene.frame_end = int(first), int(last)
        got = _positions(imported, names)
        assert np.abs(got - pos[start - 1:end]).max() < 2e-3  # frame 1 is row 0 of the take


def test_in_place_keeps_height_and_drops_travel(take):
    from moground.wire.blender import bake
    from moground.blender_import import fresh_scene

    names, _, pos = take
    fresh_scene()
    obj = _build("cmu_86_05", take)
    walk = bake.bake_actions(obj, {"segments": SEGMENTS[:1]}, in_place=True)[0]
    anim = obj.animation_data
    anim.action = walk
    if hasattr(anim, "action_slot") and len(walk.slots):
        anim.action_slot = walk.slots[0]
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = int(walk.frame_range[0]), int(walk.frame_range[1])
    root = _positions(obj, names)[:, 0]
    src = pos[9:60, 0]
    assert np.ptp(src[:, :2], axis=0).max() > 0.3  # the source walks
    assert np.abs(root[:, :2] - root[0, :2]).max() < 1e-4
    assert np.abs(root[:, 2] - src[:, 2]).max() < 1e-3
    assert json.loads(walk[bake.BAKE_KEY])["in_place"] is True


def test_bakes_of_two_takes_in_one_file_never_collide(take):
    from moground.wire.blender import bake
    from moground.blender_import import fresh_scene

    fresh_scene()
    first = _build("take_a", take)
    second = _build("take_b", take)
    a = bake.bake_actions(first, {"segments": SEGMENTS})
    b = bake.bake_actions(second, {"segments": SEGMENTS})
    assert [x.name for x in a] == ["walk", "jump / hop", "walk (2)"]
    assert [x.name for x in b] == ["take_b_motion|walk", "take_b_motion|jump / hop", "take_b_motion|walk (2)"]
    again = bake.bake_actions(second, {"segments": SEGMENTS})  # re-baking replaces in place
    assert [x.name for x in again] == [x.name for x in b]
    assert not any(x.name.endswith(".001") for x in bpy.data.actions)


def test_segment_refuses_bad_export_settings_before_any_file():
    import subprocess
    import sys

    for flags, needle in ((["--export-pattern", "{shot}"], "{take}"), (["--handles", "2,x"], "PRE,POST")):
        proc = subprocess.run([sys.executable, "-m", "moground.cli", "segment", "missing.blend", "--prompt", "walk",
                               *flags], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and "bad_request" in proc.stderr and needle in proc.stderr, proc.stderr
