"""Rotation keys solved from joint positions: round trip, rest pose, continuity (numpy only)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from moground.wire.errors import BadMotion
from moground.io.kinematics import axis_rotation
from moground.solve_rotations import (
    continuous_signs, matrix_to_quaternion, positions_from_keys, quaternion_to_matrix, round_trip_error, solve,
)


def _z_up(y_up: np.ndarray) -> np.ndarray:
    return np.stack([y_up[..., 0], -y_up[..., 2], y_up[..., 1]], axis=-1)


def _family(data_dir, name: str):
    root = data_dir / name
    skel = json.loads((root / "skeleton.json").read_text())
    with np.load(root / "positions.npz") as z:
        takes = {k: _z_up(z[k].astype(np.float64)) for k in sorted(z.files)}
    return skel["joints"], skel["parents"], takes


# A small figure: pelvis (3 children), spine, chest (3 children), neck, head, two arms, two legs.
FIG_PARENTS = [-1, 0, 1, 2, 3, 2, 5, 6, 2, 8, 9, 0, 11, 12, 13, 0, 15, 16, 17]
FIG_OFFSETS = np.array([
    [0, 0, 1.0], [0, 0, 0.15], [0, 0, 0.25], [0, 0, 0.15], [0, 0, 0.1],       # pelvis..head
    [0.18, 0, 0.1], [0, 0, -0.28], [0, 0, -0.25],                              # left arm hanging
    [-0.18, 0, 0.1], [0, 0, -0.28], [0, 0, -0.25],                             # right arm
    [0.1, 0, -0.05], [0, 0, -0.42], [0, 0, -0.4], [0, -0.12, -0.05],           # left leg + foot
    [-0.1, 0, -0.05], [0, 0, -0.42], [0, 0, -0.4], [0, -0.12, -0.05],          # right leg + foot
])


def _figure_motion(frames: int = 120, seed: int = 0) -> np.ndarray:
    """Positions by forward kinematics from random smooth joint rotations (Z up, facing -Y)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, frames)
    world_r = np.empty((frames, len(FIG_PARENTS), 3, 3))
    pos = np.empty((frames, len(FIG_PARENTS), 3))
    for j, p in enumerate(FIG_PARENTS):
        amp = rng.uniform(0.2, 0.9, 3)
        phase = rng.uniform(0, 2 * np.pi, 3)
        local = (axis_rotation("X", amp[0] * np.sin(t + phase[0])) @ axis_rotation("Y", amp[1] * np.sin(2 * t + phase[1]))
                 @ axis_rotation("Z", amp[2] * np.sin(t + phase[2])))
        if p < 0:
            local = axis_rotation("Z", t) @ axis_rotation("X", 0.2 * np.sin(t))  # the body turns a full circle
            world_r[:, j], pos[:, j] = local, FIG_OFFSETS[j] + np.stack([np.sin(t), t, 0 * t], -1)
        else:
            world_r[:, j] = world_r[:, p] @ local
            pos[:, j] = pos[:, p] + world_r[:, p] @ FIG_OFFSETS[j]
    return pos


def test_quaternion_conversions_round_trip():
    rng = np.random.default_rng(1)
    q = rng.normal(size=(500, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    back = matrix_to_quaternion(quaternion_to_matrix(q))
    assert np.allclose(np.abs(np.sum(back * q, -1)), 1.0, atol=1e-9)
    steady = continuous_signs(np.cumsum(0.01 * q, 0) + np.array([1.0, 0, 0, 0]))
    assert np.all(np.sum(steady[1:] * steady[:-1], -1) > 0)


def test_rigid_figure_is_reproduced_exactly_and_rests_in_a_t_pose():
    pos = _figure_motion()
    solved = solve(pos, FIG_PARENTS)
    back = positions_from_keys(solved.rest, FIG_PARENTS, solved.quaternions, solved.locations)
    assert np.abs(back - pos).max() < 1e-6
    heads = solved.rest.heads
    # arms straight out sideways, left arm (the figure's +X) to +X; legs straight down; feet forward (-Y)
    for shoulder, hand in ((6, 7), (9, 10)):
        assert abs(heads[hand, 2] - heads[shoulder, 2]) < 1e-9
    assert heads[7, 0] > heads[6, 0] > 0 > heads[9, 0] > heads[10, 0]
    assert np.allclose(heads[13, :2], heads[12, :2]) and heads[13, 2] < heads[12, 2]
    assert heads[14, 1] < heads[13, 1] and abs(heads[14, 2] - heads[13, 2]) < 1e-9
    assert np.allclose(solved.rest.lengths[1:], np.linalg.norm(FIG_OFFSETS[1:], axis=-1))
    # every bone's tail on its primary child: a connected armature
    assert sum(solved.rest.connected) == len(FIG_PARENTS) - 1 - 4  # pelvis, chest: one connected child each
    q = solved.quaternions
    assert np.all(np.sum(q[1:] * q[:-1], -1) >= 0)  # no sign flips between frames


def test_minimal_twist_single_child_bones_have_no_twist_about_their_axis():
    pos = _figure_motion(seed=3)
    solved = solve(pos, FIG_PARENTS)
    q = solved.quaternions
    for j in (6, 7, 12, 13, 3):  # one-child bones: basis has no component about the bone's own Y axis
        assert np.abs(q[:, j, 2]).max() < 1e-9, j


def test_bad_skeletons_are_refused():
    pos = _figure_motion(frames=4)
    with pytest.raises(BadMotion, match="one root"):
        solve(pos, [-1] + FIG_PARENTS[1:-1] + [-1])
    bad = pos.copy()
    bad[2, 3, 1] = np.nan
    with pytest.raises(BadMotion, match="NaN"):
        solve(bad, FIG_PARENTS)
    with pytest.raises(BadMotion, match="cycle"):
        solve(pos, [-1, 2, 1] + FIG_PARENTS[3:])


def test_optical_mocap_round_trip_within_a_centimetre(data_dir):
    """realchains (CMU, rigid skeleton, float16): every take, every joint, every frame."""
    names, parents, takes = _family(data_dir, "realchains")
    errs, steps = [], []
    for pos in takes.values():
        solved = solve(pos, parents)
        back = positions_from_keys(solved.rest, parents, solved.quaternions, solved.locations)
        errs.append(np.linalg.norm(back - pos, axis=-1).ravel())
        dots = np.sum(solved.quaternions[1:] * solved.quaternions[:-1], -1)
        assert dots.min() >= 0  # quaternion signs continuous
        steps.append(2 * np.degrees(np.arccos(np.clip(dots, 0, 1))).max())
    err = np.concatenate(errs)
    assert np.percentile(err, 99) <= 0.01, np.percentile(err, 99)
    assert max(steps) < 90.0  # a fast punch turns the forearm ~70° in a frame at 24 fps; a flip is ~180°


def test_kinect_bone_lengths_are_median_and_stretch_keys_make_it_exact(data_dir):
    """Kinect bones vary in length: rigid bones (median length) leave centimetres of error,
    stretch keys remove it."""
    _, parents, takes = _family(data_dir, "kinectchains")
    pos = takes["s01_e01"][:300]
    rigid = round_trip_error(pos, parents)
    assert 0.005 < np.median(rigid) < 0.06, np.median(rigid)
    solved = solve(pos, parents)
    lengths = np.linalg.norm(pos[:, 1:] - pos[:, np.array(parents[1:])], axis=-1)
    assert np.allclose(solved.rest.lengths[1:], np.median(lengths, axis=0))
    assert round_trip_error(pos, parents, stretch=True).max() < 1e-6
