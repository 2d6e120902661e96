"""Mocap → armature for ``--from-mocap``: the AMC path's armature builder and the BVH import."""

from __future__ import annotations

import json

import numpy as np
import pytest

import batch_helpers as h
from moground.paths import data_root

bpy = pytest.importorskip("bpy")
pytestmark = pytest.mark.blender
ROOT = data_root(required=False)


@pytest.mark.skipif(ROOT is None or not (ROOT / "cmu").is_dir(), reason="shared CMU data not found")
def test_armature_from_positions_reproduces_the_joint_positions():
    """Bones driven by translation only must put every head on its joint, every frame."""
    from moground.wire.blender.motion_reader import read_armature_motion
    from moground.blender_import import armature_from_positions, fresh_scene

    skel = json.loads((ROOT / "cmu" / "skeleton.json").read_text())
    names = skel.get("joint_names") or skel.get("joints") or skel.get("names")
    parents = skel.get("parents")
    assert names and parents, sorted(skel)
    with np.load(ROOT / "cmu" / "positions-00.npz") as z:
        key = sorted(z.files)[0]
        y_up = z[key][:40].astype(np.float64)
    z_up = np.stack([y_up[..., 0], -y_up[..., 2], y_up[..., 1]], axis=-1)
    fresh_scene()
    obj = armature_from_positions("cmu_clip", z_up, list(names), list(parents), fps=24.0)
    assert bpy.context.scene.render.fps == 24 and bpy.context.scene.frame_end == 40
    motion = read_armature_motion(obj)
    order = [list(names).index(n) for n in motion["bone_names"]]
    assert motion["positions"].shape == (40, len(names), 3)
    err = np.abs(motion["positions"] - z_up[:, order]).max()
    assert err < 1e-4, err
    assert [motion["parents"][i] for i in range(len(order))] == [
        order.index(parents[j]) if parents[j] >= 0 else -1 for j in order]


@pytest.mark.skipif(h.bvh_dir() is None, reason="shared data (bandai/raw_bvh) not found")
def test_bvh_in_centimetres_is_scaled_to_metres(tmp_path):
    from moground.blender.mocap_import import import_take

    obj = import_take(h.bvh_dir() / f"{h.BANDAI_TAKES[0]}.bvh")
    assert obj.type == "ARMATURE" and obj.animation_data.action is not None
    assert tuple(obj.scale) == pytest.approx((0.01, 0.01, 0.01))
    scene = bpy.context.scene
    assert scene.render.fps == 30 and scene.frame_end > scene.frame_start
    with pytest.raises(Exception) as info:
        bad = tmp_path / "broken.bvh"
        bad.write_text("HIERARCHY\nROOT oops {\n")
        import_take(bad)
    assert getattr(info.value, "code", "") == "unreadable_file"
