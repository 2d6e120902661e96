"""Video-pose skeletons (BlazePose 33, COCO-17, Human3.6M-17): presets, .npy reading, and
an armature from their keypoints, each on a generated skeleton."""

from __future__ import annotations

import numpy as np
import pytest

from moground.io import load_motion
from moground.motion import MotionClip
from moground.rigmap import map_to_canonical
from moground.samples.keypoints import keypoints_from_canonical
from moground.samples.procedural import NAMES, joint_positions_cm, walk_jump_wave
from moground.skeleton import CANONICAL_JOINTS, DIRECTLY_READ, JOINT_INDEX
from moground.video_pose import LAYOUTS


def _canonical() -> np.ndarray:
    pos = joint_positions_cm(walk_jump_wave())[:90] / 100.0
    return pos[:, [NAMES.index(n) for n in CANONICAL_JOINTS]].astype(np.float32)


@pytest.mark.parametrize("layout,preset,estimated", [
    ("blazepose33", "blazepose_coco", []),
    ("coco17", "blazepose_coco", ["left_foot", "right_foot"]),
    ("h36m17", "h36m17", ["left_foot", "right_foot"]),
])
def test_preset_maps_a_generated_skeleton(layout, preset, estimated):
    canon = _canonical()
    names, parents = LAYOUTS[layout]
    kp = keypoints_from_canonical(canon, layout)
    assert kp.shape[1] == len(names) == len(parents) and sum(p < 0 for p in parents) == 1
    m = map_to_canonical(MotionClip(kp, list(names), list(parents), fps=30.0))
    assert m.preset == preset
    for joint in ("left_hip", "right_knee", "left_ankle", "right_shoulder", "left_elbow", "right_wrist"):
        np.testing.assert_allclose(m.positions[:, JOINT_INDEX[joint]], canon[:, JOINT_INDEX[joint]], atol=1e-6)
    # no pelvis in BlazePose/COCO: halfway between the hips
    mid = (canon[:, JOINT_INDEX["left_hip"]] + canon[:, JOINT_INDEX["right_hip"]]) / 2
    want = canon[:, JOINT_INDEX["pelvis"]] if layout == "h36m17" else mid
    np.testing.assert_allclose(m.positions[:, JOINT_INDEX["pelvis"]], want, atol=1e-6)
    assert [j for j in m.filled if j in DIRECTLY_READ] == estimated


def test_keypoint_npy_reads_with_format_and_blazepose_is_turned_upright(tmp_path):
    canon = _canonical()
    kp = keypoints_from_canonical(canon, "blazepose33")
    y_down = kp * np.array([1, -1, -1], dtype=np.float32)  # as MediaPipe writes world landmarks
    np.save(tmp_path / "pose.npy", y_down)
    clip = load_motion(tmp_path / "pose.npy", fmt="blazepose33")
    assert clip.fps == 30.0 and clip.joint_names[0] == "nose"
    np.testing.assert_allclose(clip.positions, kp, atol=1e-6)
    np.save(tmp_path / "coco.npy", keypoints_from_canonical(canon, "coco17"))
    assert load_motion(tmp_path / "coco.npy", fmt="h36m17", fps=50).joint_names[0] == "Hip"
    with pytest.raises(Exception, match=r"\[T, 33, 3\]"):
        load_motion(tmp_path / "coco.npy", fmt="blazepose33")


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_keypoints_build_a_rotation_armature(layout):
    """The solver takes the keypoint trees as they are (no pelvis, face points)."""
    from moground.solve_rotations import round_trip_error

    canon = _canonical()
    kp = keypoints_from_canonical(canon, layout).astype(np.float64)
    z_up = np.stack([kp[..., 0], -kp[..., 2], kp[..., 1]], axis=-1)
    err = round_trip_error(z_up, list(LAYOUTS[layout][1]))
    assert np.percentile(err, 50) < 0.01, np.percentile(err, 50)
    assert round_trip_error(z_up, list(LAYOUTS[layout][1]), stretch=True).max() < 1e-5
