"""Preprocessing: facing direction on real walks, invariance to where and which way the
take was shot, resampling, and bad motion."""

from __future__ import annotations

import numpy as np
import pytest

from moground.wire.errors import BadMotion
from moground.io import load_bandai_clip, load_cmu_trial
from moground.paths import data_root
from moground.preprocess import canonicalize, prepare, resample, rotate_y
from moground.rigmap import CanonicalMotion, map_to_canonical
from moground.skeleton import JOINT_INDEX

DATA = data_root(required=False)
needs_data = pytest.mark.skipif(DATA is None, reason="shared mocap data folder not found (set MOGROUND_DATA)")
J = JOINT_INDEX


@needs_data
@pytest.mark.parametrize("clip_id, sign", [("dataset-2_walk_normal_001", 1), ("dataset-1_walk-back_happy_001", -1)])
def test_walks_face_and_move_along_z(clip_id: str, sign: int) -> None:
    p = prepare(map_to_canonical(load_bandai_clip(clip_id)), 20.0).positions
    np.testing.assert_allclose(p[0, J["pelvis"], [0, 2]], 0, atol=1e-5)
    assert p[0, J["left_hip"], 0] > p[0, J["right_hip"], 0]  # facing +Z: left side is +X
    travel = p[-1, J["pelvis"]] - p[0, J["pelvis"]]
    assert sign * travel[2] > 2.0 and abs(travel[0]) < 0.3 * abs(travel[2])
    feet = p[:, [J["left_ankle"], J["right_ankle"], J["left_foot"], J["right_foot"]], 1].min(1)
    assert abs(np.median(feet)) < 0.03 and 0.8 < np.median(p[:, J["pelvis"], 1]) < 1.1


@needs_data
def test_invariant_to_global_yaw_and_translation() -> None:
    canon = map_to_canonical(load_cmu_trial("02_01"))
    ref = prepare(canon, 20.0).positions
    for yaw, shift in ((2.0, (3.0, 0.4, -7.0)), (-1.0, (-0.5, -1.2, 0.25))):
        moved = rotate_y(canon.positions, yaw) + np.array(shift, dtype=np.float32)
        other = CanonicalMotion(moved, canon.fps, canon.frame_start, canon.preset, canon.filled, canon.mapping)
        np.testing.assert_allclose(prepare(other, 20.0).positions, ref, atol=2e-4)


@needs_data
def test_resample_round_trip_and_time_map() -> None:
    canon = map_to_canonical(load_bandai_clip("dataset-2_wave-left-hand_elderly_022"))
    x = canon.positions
    down = resample(x, 30.0, 20.0)
    assert down.shape[0] == round(x.shape[0] * 20 / 30)
    np.testing.assert_allclose(down[2], x[3], atol=1e-6)  # t = 0.1 s is source frame 3
    back = resample(down, 20.0, 30.0)
    assert abs(back.shape[0] - x.shape[0]) <= 1  # each way rounds to whole frames
    n = min(back.shape[0], x.shape[0]) - 2  # the last frames clamp at the end
    err = np.linalg.norm(back[:n] - x[:n], axis=-1)
    assert np.median(err) < 0.005 and err.max() < 0.05
    canon.frame_start = 101.0
    prep = prepare(canon, 20.0)
    assert prep.fps == 20.0 and prep.times_s[1] == pytest.approx(0.05)
    assert prep.source_frames == x.shape[0] and prep.to_source_offset(10) == 15  # 0.5 s at 30 fps
    assert [prep.to_source_offset(i) for i in range(3)] == [0, 2, 3]  # 1.5 rounds up
    assert prep.to_source_offset(len(prep.positions)) == x.shape[0]  # the clip's end


def test_resample_linear_exact() -> None:
    t = np.arange(50, dtype=np.float32) / 25.0
    x = np.stack([t, 2 * t, -t], -1)[:, None, :]  # a straight line is resampled exactly
    y = resample(x, 25.0, 60.0)
    assert y.shape[0] == 120
    ty = np.minimum(np.arange(120) / 60.0, 49 / 25.0)
    np.testing.assert_allclose(y[:, 0, 0], ty, atol=1e-5)


def test_canonicalize_facing_synthetic() -> None:
    """A figure facing +X (left side toward -Z) is turned to face +Z."""
    pos = np.zeros((3, 22, 3), dtype=np.float32)
    pos[:, J["left_hip"]] = (0, 0.9, -0.1)
    pos[:, J["right_hip"]] = (0, 0.9, 0.1)
    pos[:, J["left_shoulder"]] = (0, 1.4, -0.2)
    pos[:, J["right_shoulder"]] = (0, 1.4, 0.2)
    pos[:, J["pelvis"]] = (0, 0.95, 0)
    pos[:, J["head"]] = (0.1, 1.6, 0)  # nose side forward (+X)
    pos[:, [J["left_ankle"], J["right_ankle"]]] = (0, 0.3, 0)
    pos[:, [J["left_foot"], J["right_foot"]]] = (0.1, 0.25, 0)
    out = canonicalize(pos + np.array([5, 0.5, -3], dtype=np.float32))
    assert out[0, J["left_hip"], 0] == pytest.approx(0.1, abs=1e-6)
    assert out[0, J["head"], 2] > 0 and out[0, J["pelvis"], 1] == pytest.approx(0.7, abs=1e-6)


def test_clip_validate_is_the_one_check_of_a_readers_clip() -> None:
    from moground.motion import MotionClip

    pos = np.zeros((5, 2, 3), dtype=np.float32)
    pos[3, 1, 1] = np.nan
    with pytest.raises(BadMotion, match="frame 13.*'b'"):
        MotionClip(pos, ["a", "b"], [-1, 0], 30.0, frame_start=10.0).validate()
    with pytest.raises(BadMotion, match="1 frame"):
        MotionClip(np.zeros((1, 2, 3), np.float32), ["a", "b"], [-1, 0], 30.0).validate()
    # a wire clip was checked by the protocol decoder: not scanned again
    MotionClip(pos, ["a", "b"], [-1, 0], 30.0, checked=True).validate()


def test_bad_motion() -> None:
    with pytest.raises(BadMotion, match="22, 3"):
        prepare(CanonicalMotion(np.zeros((4, 21, 3), np.float32), 30.0), 20.0)


def test_heading_helpers_have_one_name_and_one_convention_in_numpy_and_torch() -> None:
    """features (torch, differentiable) and preprocess (numpy) compute the same heading
    and the same rotation into the heading frame; rotate_y turns the other way, by name."""
    import torch

    from moground import features
    from moground.preprocess import heading_yaws, rotate_y, to_heading_frame

    rng = np.random.default_rng(0)
    pos = rng.normal(size=(6, 22, 3))
    yaw = heading_yaws(pos)
    np.testing.assert_allclose(features.heading_yaws(torch.from_numpy(pos)).numpy(), yaw, atol=1e-12)
    vec = rng.normal(size=(6, 22, 3))
    np.testing.assert_allclose(features.to_heading_frame(torch.from_numpy(vec), torch.from_numpy(yaw)).numpy(),
                               to_heading_frame(vec, yaw), atol=1e-12)
    np.testing.assert_allclose(to_heading_frame(vec[:1], yaw[:1])[0], rotate_y(vec[0], -yaw[0]), atol=1e-5)
    # in its own heading frame every frame faces +Z
    np.testing.assert_allclose(heading_yaws(to_heading_frame(pos, yaw)), 0.0, atol=1e-9)
