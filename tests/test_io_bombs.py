"""Files that explode in memory (issue 27, items 1-2): an npz whose members declare far
more than the budget, and skeletons of more joints than ``max_bones``, are refused from
their headers, before the arrays are inflated or the frames parsed. Allocation is
measured with tracemalloc (numpy reports its buffers to it), so no timing is involved."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from moground.wire.errors import TooLarge, UnreadableFile
from moground.io import load_motion
from moground.wire.limits import LIMITS


def _npz_of_zeros(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez_compressed(path, **arrays)
    return path


def _peak_bytes(fn) -> tuple[BaseException | None, int]:
    tracemalloc.start()
    try:
        fn()
        err = None
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        err = exc
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return err, peak


FRAMES_OVER = LIMITS["max_frames"] + 8_000  # 80,000 frames: 28.8 MB as [T, 30, 3] float32, 30 KB zipped
BONES = [f"b{i}" for i in range(30)]
BOUND = 8_000_000  # what a refusal may allocate (imports included)


def test_moground_npz_over_the_frame_budget_is_refused_before_inflating(tmp_path):
    path = _npz_of_zeros(tmp_path / "bomb.npz", {
        "positions": np.zeros((FRAMES_OVER, 30, 3), np.float32), "joint_names": np.array(BONES),
        "parents": np.arange(-1, 29), "fps": np.float64(30.0)})
    assert path.stat().st_size < 200_000
    err, peak = _peak_bytes(lambda: load_motion(path))
    assert isinstance(err, TooLarge) and err.details["limit"] == "max_frames", err
    assert peak < BOUND, f"{peak:,} bytes allocated before the refusal"


def test_unused_members_of_a_moground_npz_are_never_inflated(tmp_path):
    """A valid take plus a 40 MB member nobody reads: read, without inflating it."""
    path = _npz_of_zeros(tmp_path / "extra.npz", {
        "positions": np.zeros((10, 2, 3), np.float32), "joint_names": np.array(["a", "b"]),
        "parents": np.array([-1, 0]), "fps": np.float64(30.0), "junk": np.zeros(10_000_000, np.float32)})
    err, peak = _peak_bytes(lambda: load_motion(path))
    assert err is None, err
    assert peak < 5_000_000, f"{peak:,} bytes allocated for a 240-byte take"


def test_smpl_npz_over_the_frame_budget_is_refused_before_inflating(tmp_path):
    path = _npz_of_zeros(tmp_path / "smpl_bomb.npz", {
        "poses": np.zeros((FRAMES_OVER, 72), np.float32), "trans": np.zeros((FRAMES_OVER, 3), np.float32),
        "betas": np.zeros(10), "mocap_framerate": np.float64(120.0), "gender": np.array("neutral")})
    err, peak = _peak_bytes(lambda: load_motion(path, fmt="smpl"))
    assert isinstance(err, TooLarge) and err.details["limit"] == "max_frames", err
    assert peak < BOUND, f"{peak:,} bytes allocated before the refusal"


def test_a_zip_entry_larger_than_its_npy_header_is_refused(tmp_path):
    """The zip declares 5 MB for a member whose header says 12 bytes."""
    path = tmp_path / "liar.npz"
    good = tmp_path / "good.npz"
    np.savez(good, positions=np.zeros((1, 1, 3), np.float32), joint_names=np.array(["a"]),
             parents=np.array([-1]), fps=np.float64(30.0))
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, data + (b"\0" * 5_000_000 if info.filename == "positions.npy" else b""))
    with pytest.raises(UnreadableFile, match="header declares"):
        load_motion(path)


def test_moground_index_skips_a_bomb_in_a_folder_without_inflating_it(tmp_path):
    """The index builder reads files through the same guarded readers."""
    from moground.library.sources import discover, read_takes

    (tmp_path / "lib").mkdir()
    _npz_of_zeros(tmp_path / "lib" / "bomb.npz", {
        "positions": np.zeros((FRAMES_OVER, 30, 3), np.float32), "joint_names": np.array(BONES),
        "parents": np.arange(-1, 29), "fps": np.float64(30.0)})
    [found] = discover([str(tmp_path / "lib")])
    err, peak = _peak_bytes(lambda: read_takes(found))
    assert isinstance(err, TooLarge), err
    assert peak < BOUND


# ------------------------------------------------------------------ joint bombs

def _bvh_chain(n_joints: int, frames: int = 2) -> str:
    """A chain of ``n_joints`` joints, each with 3 rotation channels."""
    head = ["HIERARCHY", "ROOT j0", "{", "OFFSET 0 0 0",
            "CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"]
    for i in range(1, n_joints):
        head += [f"JOINT j{i}", "{", "OFFSET 0 1 0", "CHANNELS 3 Zrotation Xrotation Yrotation"]
    head += ["}"] * n_joints
    channels = 6 + 3 * (n_joints - 1)
    rows = [" ".join(["0"] * channels)] * frames
    return "\n".join(head + ["MOTION", f"Frames: {frames}", "Frame Time: 0.0333333"] + rows) + "\n"


def test_bvh_with_more_joints_than_max_bones_is_refused_while_parsing(tmp_path):
    """20,000 joints x 2 frames: refused at joint 257, before the frames are parsed."""
    path = tmp_path / "joints.bvh"
    path.write_text(_bvh_chain(20_000))
    err, peak = _peak_bytes(lambda: load_motion(path))
    assert isinstance(err, TooLarge) and err.details["limit"] == "max_bones", err
    assert "BVH" in err.message
    # the file's lines are read (a few MB); no [T, J, 3, 3] rotation arrays are built
    assert peak < 40_000_000, f"{peak:,} bytes"


def test_bvh_at_max_bones_still_reads(tmp_path):
    path = tmp_path / "ok.bvh"
    path.write_text(_bvh_chain(LIMITS["max_bones"]))
    clip = load_motion(path)
    assert len(clip.joint_names) == LIMITS["max_bones"]


def test_asf_with_more_bones_than_max_bones_is_refused(tmp_path):
    n = LIMITS["max_bones"] + 10
    bones = "".join(f"  begin\n    id {i}\n    name b{i}\n    direction 0 1 0\n    length 1\n"
                    f"    axis 0 0 0 XYZ\n    dof rx ry rz\n  end\n" for i in range(n))
    hierarchy = "  root b0\n" + "".join(f"  b{i} b{i + 1}\n" for i in range(n - 1))
    asf = tmp_path / "big.asf"
    asf.write_text(":version 1.10\n:name big\n:units\n  length 1\n  angle deg\n:root\n  order TX TY TZ RX RY RZ\n"
                   "  axis XYZ\n  position 0 0 0\n  orientation 0 0 0\n:bonedata\n" + bones +
                   ":hierarchy\n  begin\n" + hierarchy + "  end\n")
    amc = tmp_path / "big.amc"
    amc.write_text(":FULLY-SPECIFIED\n:DEGREES\n1\nroot 0 0 0 0 0 0\n")
    with pytest.raises(TooLarge) as info:
        load_motion(amc, asf=asf)
    assert info.value.details["limit"] == "max_bones"


def test_npz_with_more_bones_than_max_bones_is_refused_from_its_header(tmp_path):
    n = LIMITS["max_bones"] + 1
    path = _npz_of_zeros(tmp_path / "wide.npz", {
        "positions": np.zeros((4, n, 3), np.float32), "joint_names": np.array([f"j{i}" for i in range(n)]),
        "parents": np.arange(-1, n - 1), "fps": np.float64(30.0)})
    with pytest.raises(TooLarge) as info:
        load_motion(path)
    assert info.value.details["limit"] == "max_bones"


def test_fbx_with_more_bones_than_max_bones_is_refused_before_sampling(tmp_path):
    bpy = pytest.importorskip("bpy")
    from moground.blender_import import fresh_scene

    fresh_scene()
    arm = bpy.data.armatures.new("Big")
    obj = bpy.data.objects.new("Big", arm)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for i in range(LIMITS["max_bones"] + 4):
        bone = arm.edit_bones.new(f"b{i}")
        bone.head, bone.tail = (i * 0.01, 0, 0), (i * 0.01, 0, 0.1)
    bpy.ops.object.mode_set(mode="OBJECT")
    obj.keyframe_insert("location", frame=1)
    obj.location.x = 1.0
    obj.keyframe_insert("location", frame=10)
    path = tmp_path / "big.fbx"
    bpy.ops.export_scene.fbx(filepath=str(path), object_types={"ARMATURE"}, bake_anim=True)
    with pytest.raises(TooLarge) as info:
        load_motion(path)
    assert info.value.details["limit"] == "max_bones"
