"""Motion readers: real Bandai BVH files against the shared positions, an ASF/AMC pair
written here with hand-computed forward kinematics, the npz round trip, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moground.wire.errors import UnreadableFile
from moground.io import load_bandai_clip, load_cmu_trial, load_motion, save_npz
from moground.paths import data_root

DATA = data_root(required=False)
needs_data = pytest.mark.skipif(DATA is None, reason="shared mocap data folder not found (set MOGROUND_DATA)")
RAW = (DATA / "bandai" / "raw_bvh") if DATA else None


def _bvh_files() -> list[Path]:
    return sorted(RAW.glob("*.bvh")) if RAW and RAW.is_dir() else []


@needs_data
@pytest.mark.parametrize("stem", ["dataset-1_kick_normal_001", "dataset-2_walk-turn-left_normal_001"])
def test_bvh_matches_shared_positions(stem: str) -> None:
    clip = load_motion(RAW / f"{stem}.bvh")
    assert clip.fps == 30.0
    assert clip.units_to_m == 0.01  # guessed: Bandai BVH is in centimetres
    ref = load_bandai_clip(stem)
    idx = [clip.joint_names.index(n) for n in ref.joint_names]
    assert [clip.parents[i] for i in idx][1:] == [idx[p] for p in ref.parents[1:]]
    err = np.abs(clip.positions[:, idx] * clip.units_to_m - ref.positions)
    assert ref.positions.shape == (clip.num_frames, 22, 3)
    assert err.max() < 0.002  # float16 rounding in the shard is at most 1.9 mm


@needs_data
def test_all_raw_bvh_read_with_end_sites() -> None:
    files = _bvh_files()
    assert len(files) >= 10
    for f in files[::4]:
        clip = load_motion(f)
        ends = [n for n in clip.joint_names if n.endswith("_end")]
        assert {"Head_end", "Toes_L_end"} <= set(ends), f.name
        assert clip.units_to_m == 0.01


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


SMALL_BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Yrotation Xrotation Zrotation
  JOINT Leg
  {
    OFFSET 0 -40 0
    CHANNELS 3 Xrotation Yrotation Zrotation
    End Site
    {
      OFFSET 0 -45 0
    }
  }
  JOINT Arm
  {
    OFFSET 20 50 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 50 0 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.04
0 90 0  0 0 0  0 0 0  0 0 0
1 90 2  90 0 0  90 0 0  90 0 0
"""


def test_bvh_channel_orders_and_fk(tmp_path: Path) -> None:
    clip = load_motion(_write(tmp_path, "s.bvh", SMALL_BVH), units="cm")
    assert clip.joint_names == ["Hips", "Leg", "Leg_end", "Arm", "Arm_end"]
    assert clip.parents == [-1, 0, 1, 0, 3]
    assert clip.fps == 25.0 and clip.units_to_m == 0.01
    p0, p1 = clip.positions
    np.testing.assert_allclose(p0[2], [0, 90 - 85, 0], atol=1e-4)
    # Frame 1: hips yaw 90° about Y (+X → -Z, -Z → -X); the leg bends 90° about X
    # (its -Y bone goes to -Z in hip axes, so -X in the world); the arm rolls 90°
    # about Z (its +X bone goes to +Y).
    np.testing.assert_allclose(p1[0], [1, 90, 2], atol=1e-4)
    np.testing.assert_allclose(p1[1], [1, 50, 2], atol=1e-4)  # leg offset is along Y: yaw keeps it
    np.testing.assert_allclose(p1[2], [1 - 45, 50, 2], atol=1e-4)
    np.testing.assert_allclose(p1[3], [1, 140, 2 - 20], atol=1e-4)
    np.testing.assert_allclose(p1[4], [1, 190, 2 - 20], atol=1e-4)


def test_bvh_unit_guess(tmp_path: Path) -> None:
    metres = SMALL_BVH.replace("-40", "-0.4").replace("-45", "-0.45").replace("20 50 0", "0.2 0.5 0").replace("50 0 0", "0.5 0 0")
    assert load_motion(_write(tmp_path, "m.bvh", metres)).units_to_m == 1.0
    assert load_motion(_write(tmp_path, "c.bvh", SMALL_BVH)).units_to_m == 0.01
    assert load_motion(_write(tmp_path, "c2.bvh", SMALL_BVH), units=0.0254).units_to_m == 0.0254


@pytest.mark.parametrize(
    "mangle, msg",
    [
        (lambda s: s[: s.index("1 90 2")], "truncated"),
        (lambda s: s.replace("Frames: 2", "Frames: 3"), "truncated"),
        (lambda s: s.replace("0 90 0  0", "0 9x 0  0"), "not a number"),
        (lambda s: s[: s.index("MOTION")], "no MOTION"),
        (lambda s: s.replace("HIERARCHY", "HELLO"), "HIERARCHY"),
        (lambda s: s.replace("CHANNELS 3 Xrotation", "CHANNELS 3 Wrotation"), "CHANNELS"),
        (lambda s: s.replace("  }\n  JOINT Arm", "  JOINT Arm", 1), "braces"),
        (lambda s: "", "HIERARCHY"),
    ],
)
def test_bad_bvh_files(tmp_path: Path, mangle, msg: str) -> None:
    with pytest.raises(UnreadableFile, match=msg):
        load_motion(_write(tmp_path, "bad.bvh", mangle(SMALL_BVH)))


def test_unreadable_inputs(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="not found"):
        load_motion(tmp_path / "nope.bvh")
    with pytest.raises(UnreadableFile, match="binary"):
        load_motion(_write(tmp_path, "bin.bvh", b"HIERARCHY\x00\x01\x02"))
    with pytest.raises(UnreadableFile, match="unsupported"):
        load_motion(_write(tmp_path, "x.c3d", "Kaydara"))
    with pytest.raises(UnreadableFile, match="npz"):
        load_motion(_write(tmp_path, "x.npz", b"PK\x03\x04garbage"))
    np.savez(tmp_path / "other.npz", data=np.zeros(3))
    with pytest.raises(UnreadableFile, match="missing keys"):
        load_motion(tmp_path / "other.npz")
    with pytest.raises(UnreadableFile, match="--asf"):
        load_motion(_write(tmp_path, "a.amc", "1\nroot 0 0 0 0 0 0\n"))


def test_npz_round_trip(tmp_path: Path) -> None:
    clip = load_motion(_write(tmp_path, "s.bvh", SMALL_BVH), units="cm")
    clip.frame_start = 7.0
    save_npz(tmp_path / "s.npz", clip)
    back = load_motion(tmp_path / "s.npz")
    np.testing.assert_array_equal(back.positions, clip.positions)
    assert (back.joint_names, back.parents, back.fps, back.frame_start, back.units_to_m) == (
        clip.joint_names, clip.parents, 25.0, 7.0, 0.01)


ASF = """# a small CMU-style skeleton
:version 1.10
:name test
:units
  mass 1.0
  length 0.45
  angle deg
:documentation
  written by the test
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name lhipjoint
     direction 1 0 0
     length 2
     axis 0 0 0  XYZ
  end
  begin
     id 2
     name lfemur
     direction 0 -1 0
     length 10
     axis 0 0 20  XYZ
    dof rx ry rz
    limits (-160.0 20.0)
           (-70.0 70.0)
           (-60.0 70.0)
  end
  begin
     id 3
     name ltibia
     direction 1 0 0
     length 5
     axis 0 0 90  XYZ
    dof rx
    limits (-10.0 170.0)
  end
  begin
     id 4
     name lowerback
     direction 0 1 0
     length 3
     axis 0 0 0  XYZ
    dof rx ry rz
    limits (-20 45) (-30 30) (-30 30)
  end
:hierarchy
  begin
    root lhipjoint lowerback
    lhipjoint lfemur
    lfemur ltibia
  end
"""

AMC = """#!OML:ASF test.asf
:FULLY-SPECIFIED
:DEGREES
1
root 1 2 3 0 0 0
lowerback 0 0 0
lfemur 0 0 0
ltibia 0
2
root 1 2 3 0 90 0
lowerback 0 0 0
lfemur 0 0 0
ltibia 90
3
root 0 0 0 0 0 0
lowerback 0 0 90
lfemur 90 0 0
ltibia 0
"""


def test_asf_amc_forward_kinematics(tmp_path: Path) -> None:
    asf = _write(tmp_path, "t.asf", ASF)
    clip = load_motion(_write(tmp_path, "t.amc", AMC), asf=asf)
    assert clip.joint_names == ["root", "lhipjoint", "lowerback", "lfemur", "ltibia"]
    assert clip.parents == [-1, 0, 0, 1, 3]
    assert clip.frame_start == 1.0 and clip.fps == 120.0
    assert clip.units_to_m == pytest.approx(0.0254 / 0.45)
    f1, f2, f3 = clip.positions.astype(np.float64)
    J = {n: i for i, n in enumerate(clip.joint_names)}
    # Frame 1, rest pose: bone ends along their directions from (1, 2, 3).
    np.testing.assert_allclose(f1[J["lhipjoint"]], [3, 2, 3], atol=1e-5)
    np.testing.assert_allclose(f1[J["lfemur"]], [3, -8, 3], atol=1e-5)
    np.testing.assert_allclose(f1[J["ltibia"]], [8, -8, 3], atol=1e-5)
    np.testing.assert_allclose(f1[J["lowerback"]], [1, 5, 3], atol=1e-5)
    # Frame 2: root yaw 90° (+X → -Z). ltibia's axis is rotated 90° about Z, so its
    # rx dof turns about the parent's Y axis: its +X direction goes to -Z, then the
    # root yaw takes -Z to -X.
    np.testing.assert_allclose(f2[J["lhipjoint"]], [1, 2, 1], atol=1e-5)
    np.testing.assert_allclose(f2[J["lfemur"]], [1, -8, 1], atol=1e-5)
    np.testing.assert_allclose(f2[J["ltibia"]], [1 - 5, -8, 1], atol=1e-5)
    # Frame 3: femur rx 90 (its axis is rotated 20° about Z, so the swing is about a
    # tilted axis); lowerback rz 90 tips +Y to -X.
    np.testing.assert_allclose(f3[J["lowerback"]], [-3, 0, 0], atol=1e-5)
    a = np.deg2rad(20)
    axis = np.array([np.cos(a), np.sin(a), 0.0])  # C·x
    v = np.array([0.0, -10.0, 0.0])  # Rodrigues rotation of v by 90° about axis
    expect = np.cross(axis, v) + axis * axis.dot(v)
    np.testing.assert_allclose(f3[J["lfemur"]] - f3[J["lhipjoint"]], expect, atol=1e-5)


def test_asf_amc_errors(tmp_path: Path) -> None:
    asf = _write(tmp_path, "t.asf", ASF)
    with pytest.raises(UnreadableFile, match="lacks bone 'ltibia'"):
        load_motion(_write(tmp_path, "cut.amc", AMC[: AMC.rindex("ltibia")]), asf=asf)
    with pytest.raises(UnreadableFile, match="not in the ASF"):
        load_motion(_write(tmp_path, "odd.amc", AMC.replace("lowerback 0 0 90", "spine 0 0 90")), asf=asf)
    with pytest.raises(UnreadableFile, match="1 values"):
        load_motion(_write(tmp_path, "few.amc", AMC.replace("lfemur 90 0 0", "lfemur 90")), asf=asf)
    with pytest.raises(UnreadableFile, match="unknown bone"):
        load_motion(_write(tmp_path, "t.amc", AMC), asf=_write(tmp_path, "b.asf", ASF.replace("lfemur ltibia", "lfemur shin")))
    with pytest.raises(UnreadableFile, match="not found"):
        load_motion(_write(tmp_path, "t.amc", AMC), asf=tmp_path / "missing.asf")


@needs_data
def test_shards() -> None:
    cmu = load_cmu_trial("01_01")
    index = json.loads((DATA / "cmu" / "index.json").read_text())
    rec = next(r for r in index["trials"] if r["id"] == "01_01")
    assert cmu.positions.shape == (rec["frames"], 23, 3) and cmu.fps == rec["fps"]
    assert cmu.joint_names[0] == "hip" and cmu.parents[0] == -1
    assert load_cmu_trial("01_01").positions is not cmu.positions  # fresh array per call
    b = load_bandai_clip("dataset-2_walk_normal_001")
    assert b.fps == 30.0 and b.positions.dtype == np.float32
    from moground.wire.errors import BadRequest
    with pytest.raises(BadRequest, match="no cmu clip"):
        load_cmu_trial("13_01")  # the private evaluation subject is not in the data


@needs_data
def test_truncated_real_bvh(tmp_path: Path) -> None:
    raw = (RAW / "dataset-1_kick_normal_001.bvh").read_bytes()
    with pytest.raises(UnreadableFile, match="truncated after frame"):
        load_motion(_write(tmp_path, "cut.bvh", raw[: int(len(raw) * 0.7)]))
    with pytest.raises(UnreadableFile, match="no MOTION"):  # cut at a line end
        load_motion(_write(tmp_path, "cut2.bvh", raw[: raw.index(b"\n", 1500)]))
