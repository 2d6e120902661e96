"""Rotation matrices and forward kinematics shared by the BVH and ASF/AMC readers.

Both formats describe a joint by a local offset plus Euler angles about named axes;
only the bookkeeping differs, so the maths lives here once, vectorised over frames.
"""

from __future__ import annotations

import numpy as np


def axis_rotation(axis: str, angles_rad: np.ndarray) -> np.ndarray:
    """``[T, 3, 3]`` rotations about one coordinate axis ('X', 'Y' or 'Z')."""
    c, s = np.cos(angles_rad), np.sin(angles_rad)
    one, zero = np.ones_like(c), np.zeros_like(c)
    if axis == "X":
        rows = [[one, zero, zero], [zero, c, -s], [zero, s, c]]
    elif axis == "Y":
        rows = [[c, zero, s], [zero, one, zero], [-s, zero, c]]
    elif axis == "Z":
        rows = [[c, -s, zero], [s, c, zero], [zero, zero, one]]
    else:  # pragma: no cover - callers validate axis letters
        raise ValueError(f"unknown rotation axis {axis!r}")
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def euler_matrix(order: str, angles_rad: np.ndarray) -> np.ndarray:
    """Rotation for angles ``[T, len(order)]`` about the axes in ``order``.

    The first axis is the outermost factor (R = R_a0 @ R_a1 @ R_a2), which is the BVH
    convention for a channel list and the ASF convention for 'axis XYZ' read right to
    left by the caller.
    """
    t = angles_rad.shape[0]
    out = np.broadcast_to(np.eye(3), (t, 3, 3)).copy()
    for k, ax in enumerate(order):
        out = out @ axis_rotation(ax, angles_rad[:, k])
    return out


def chain_positions(
    parents: list[int], local_rot: np.ndarray, local_trans: np.ndarray
) -> np.ndarray:
    """World positions ``[T, J, 3]`` from per-joint local rotations ``[T, J, 3, 3]``
    and translations ``[T, J, 3]`` (expressed in the parent's frame).

    Parents must precede children (both readers emit joints depth-first)."""
    t, j = local_trans.shape[:2]
    world_r = np.empty((t, j, 3, 3))
    world_p = np.empty((t, j, 3))
    for i, p in enumerate(parents):
        if p < 0:
            world_r[:, i] = local_rot[:, i]
            world_p[:, i] = local_trans[:, i]
        else:
            world_r[:, i] = world_r[:, p] @ local_rot[:, i]
            world_p[:, i] = world_p[:, p] + np.einsum("tab,tb->ta", world_r[:, p], local_trans[:, i])
    return world_p
