"""HumanML3D's 263-dim motion representation ("guoh3dfeats") from the 22 canonical joints.

TMR's published checkpoints were trained on these features, so this module reproduces
HumanML3D's recipe step by step, including two quirks of the reference implementation
that every HumanML3D-trained model has seen (changing them would shift the inputs away
from the training distribution):

* the per-frame facing used for the root rotation is computed with the two hips in
  swapped order (``(l_hip - r_hip) + (r_sho - l_sho)``), then smoothed with a Gaussian
  (sigma 20 frames); the facing at frame 0 that rotates the whole clip uses the right
  order;
* the first bone of every kinematic chain is expressed relative to the root rotation,
  also for the arm chains that start at spine3.

Layout of one frame (indices into the 263 channels):

====  =======  =====================================================
from  size     content
====  =======  =====================================================
0     1        root angular velocity around Y (rad / frame)
1     2        root linear velocity (x, z) in the root's facing frame
3     1        root height
4     21 x 3   joint positions relative to the root, in its facing frame ("ric")
67    21 x 6   local joint rotations, first two matrix columns ("6D")
193   22 x 3   joint velocities in the root's facing frame
259   4        foot contacts: left ankle, left foot, right ankle, right foot
====  =======  =====================================================

The recipe yields T-1 rows for T frames (velocities need a next frame). Input joints
are in the order of ``moground.skeleton.CANONICAL_JOINTS`` (the SMPL/HumanML3D order),
metres, Y up; in HumanML3D's rest pose the character faces +Z and its left is +X.
"""

from __future__ import annotations

import numpy as np

from ...wire.errors import BadMotion
from ...skeleton import CANONICAL_JOINTS, CANONICAL_PARENTS, JOINT_INDEX, mirror_permutation

NFEATS = 263
N_JOINTS = 22
FPS = 20.0
FOOT_CONTACT_THRESHOLD = 0.002  # squared displacement per frame (m^2), as in HumanML3D
FACING_SIGMA = 20.0  # frames

# Unit direction of each joint from its parent in the rest pose (Y up, facing +Z, left = +X).
_X, _Y, _Z = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)
_NEG = lambda v: tuple(-c for c in v)  # noqa: E731
_REST_DIRECTION = {
    "pelvis": (0.0, 0.0, 0.0),
    "left_hip": _X, "right_hip": _NEG(_X), "spine1": _Y,
    "left_knee": _NEG(_Y), "right_knee": _NEG(_Y), "spine2": _Y,
    "left_ankle": _NEG(_Y), "right_ankle": _NEG(_Y), "spine3": _Y,
    "left_foot": _Z, "right_foot": _Z, "neck": _Y,
    "left_collar": _X, "right_collar": _NEG(_X), "head": _Z,
    "left_shoulder": _NEG(_Y), "right_shoulder": _NEG(_Y),
    "left_elbow": _NEG(_Y), "right_elbow": _NEG(_Y),
    "left_wrist": _NEG(_Y), "right_wrist": _NEG(_Y),
}
REST_DIRECTIONS = np.array([_REST_DIRECTION[n] for n in CANONICAL_JOINTS], dtype=np.float64)

# HumanML3D's kinematic chains; the first bone of each chain is taken relative to the root.
_CHAINS = (
    ("pelvis", "right_hip", "right_knee", "right_ankle", "right_foot"),
    ("pelvis", "left_hip", "left_knee", "left_ankle", "left_foot"),
    ("pelvis", "spine1", "spine2", "spine3", "neck", "head"),
    ("spine3", "right_collar", "right_shoulder", "right_elbow", "right_wrist"),
    ("spine3", "left_collar", "left_shoulder", "left_elbow", "left_wrist"),
)
CHAINS = tuple(tuple(JOINT_INDEX[n] for n in chain) for chain in _CHAINS)

_J = JOINT_INDEX
_FEET_L = (_J["left_ankle"], _J["left_foot"])
_FEET_R = (_J["right_ankle"], _J["right_foot"])
_LEG = (_J["right_knee"], _J["right_ankle"])  # bones whose length sets the scale ratio


# -- quaternions (w, x, y, z), vectorised over leading axes ------------------------------
def _qmul(q: np.ndarray, r: np.ndarray) -> np.ndarray:
    w1, x1, y1, z1 = np.moveaxis(q, -1, 0)
    w2, x2, y2, z2 = np.moveaxis(r, -1, 0)
    return np.stack((
        w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
        w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
        w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
        w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
    ), axis=-1)


def _qinv(q: np.ndarray) -> np.ndarray:
    return q * np.array([1.0, -1.0, -1.0, -1.0])


def _qrot(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    qv = q[..., 1:]
    uv = np.cross(qv, v)
    return v + 2.0 * (q[..., :1] * uv + np.cross(qv, uv))


def _qbetween(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Shortest-arc rotation taking direction u to direction v (identity if degenerate)."""
    w = np.sqrt((u * u).sum(-1) * (v * v).sum(-1)) + (u * v).sum(-1)
    q = np.concatenate([w[..., None], np.cross(u, v)], axis=-1)
    norm = np.linalg.norm(q, axis=-1, keepdims=True)
    ident = np.zeros_like(q)
    ident[..., 0] = 1.0
    return np.where(norm > 1e-12, q / np.maximum(norm, 1e-12), ident)


def _qmat_cols01(q: np.ndarray) -> np.ndarray:
    """First two columns of the rotation matrix of unit quaternions q, concatenated (6D)."""
    w, x, y, z = np.moveaxis(q, -1, 0)
    col0 = np.stack((1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y)), axis=-1)
    col1 = np.stack((2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x)), axis=-1)
    return np.concatenate([col0, col1], axis=-1)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian filter along axis 0 with edge replication (scipy's mode='nearest')."""
    radius = int(4.0 * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    idx = np.clip(np.arange(len(x))[:, None] + offsets[None, :], 0, len(x) - 1)
    return np.einsum("tk,tk...->t...", np.broadcast_to(kernel, idx.shape), x[idx])


def _forward(joints: np.ndarray, hips_swapped: bool) -> np.ndarray:
    """Forward direction (per frame): up × (across the hips + across the shoulders)."""
    l_hip, r_hip, l_sho, r_sho = (joints[..., _J[n], :] for n in ("left_hip", "right_hip", "left_shoulder", "right_shoulder"))
    hips = (l_hip - r_hip) if hips_swapped else (r_hip - l_hip)
    across = _unit(hips + (r_sho - l_sho))
    return np.cross(np.array([0.0, 1.0, 0.0]), across)


# -- the recipe ------------------------------------------------------------------------
def bone_lengths(joints: np.ndarray) -> np.ndarray:
    """[22] distance of each joint to its parent in one frame [22, 3] (0 for the root)."""
    parents = np.array(CANONICAL_PARENTS)
    out = np.zeros(N_JOINTS)
    out[1:] = np.linalg.norm(joints[1:] - joints[parents[1:]], axis=-1)
    return out


def retarget_lengths(joints: np.ndarray, target_lengths: np.ndarray) -> np.ndarray:
    """Keep every bone's direction, give it the target skeleton's length.

    HumanML3D does this by inverse then forward kinematics onto one reference skeleton;
    since its rest offsets are unit axes the result is the same as this direct form. The
    root trajectory is scaled by the ratio of the (right) lower-leg lengths at frame 0.
    """
    src = bone_lengths(joints[0])
    ratio = float(target_lengths[list(_LEG)].sum() / max(src[list(_LEG)].sum(), 1e-9))
    out = np.empty_like(joints)
    out[:, 0] = joints[:, 0] * ratio
    for j in range(1, N_JOINTS):  # parents come before children in the canonical order
        p = CANONICAL_PARENTS[j]
        out[:, j] = out[:, p] + _unit(joints[:, j] - joints[:, p]) * target_lengths[j]
    return out


def joints_to_guoh3dfeats(joints: np.ndarray, target_lengths: np.ndarray | None = None) -> np.ndarray:
    """[T, 22, 3] joints (metres, Y up) → [T-1, 263] float64 HumanML3D features.

    ``target_lengths`` ([22], from HumanML3D's example skeleton) retargets the bones
    first, as HumanML3D does; None keeps the input's own bone lengths.
    """
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (N_JOINTS, 3):
        raise BadMotion(f"guoh3dfeats needs joints of shape [T, 22, 3], got {list(joints.shape)}")
    if len(joints) < 2:
        raise BadMotion("guoh3dfeats needs at least 2 frames")
    if not np.isfinite(joints).all():
        raise BadMotion("joint positions contain NaN or infinite values")
    pos = retarget_lengths(joints, np.asarray(target_lengths, dtype=np.float64)) if target_lengths is not None else joints.copy()

    # Put on the floor, root at the origin in XZ at frame 0, facing +Z at frame 0.
    pos[..., 1] -= pos[..., 1].min()
    pos -= pos[0, 0] * np.array([1.0, 0.0, 1.0])
    forward0 = _unit(_forward(pos[0], hips_swapped=False))
    q0 = _qbetween(forward0, np.array([0.0, 0.0, 1.0]))
    pos = _qrot(np.broadcast_to(q0, pos.shape[:-1] + (4,)), pos)

    # Foot contacts: the foot joint moved less than the threshold to the next frame.
    step = ((pos[1:] - pos[:-1]) ** 2).sum(-1)
    feet_l = (step[:, list(_FEET_L)] < FOOT_CONTACT_THRESHOLD).astype(np.float64)
    feet_r = (step[:, list(_FEET_R)] < FOOT_CONTACT_THRESHOLD).astype(np.float64)

    # Root rotation per frame: smoothed (quirky) facing onto +Z; frame 0 is identity.
    forward = _unit(_gaussian_smooth(_forward(pos, hips_swapped=True), FACING_SIGMA))
    r_rot = _qbetween(forward, np.broadcast_to([0.0, 0.0, 1.0], forward.shape))
    r_rot[0] = (1.0, 0.0, 0.0, 0.0)

    # Local joint rotations by inverse kinematics along HumanML3D's chains.
    local = np.zeros(pos.shape[:-1] + (4,))
    local[..., 0] = 1.0
    local[:, 0] = r_rot
    for chain in CHAINS:
        parent_global = r_rot
        for a, b in zip(chain[:-1], chain[1:]):
            bone_global = _qbetween(np.broadcast_to(REST_DIRECTIONS[b], (len(pos), 3)), _unit(pos[:, b] - pos[:, a]))
            local[:, b] = _qmul(_qinv(parent_global), bone_global)
            parent_global = bone_global
    rot_data = _qmat_cols01(local[:, 1:]).reshape(len(pos), -1)

    # Root velocities in the facing frame of the next frame, and the turn between frames.
    root_vel = _qrot(r_rot[1:], pos[1:, 0] - pos[:-1, 0])
    turn = _qmul(r_rot[1:], _qinv(r_rot[:-1]))
    rot_vel = np.arcsin(np.clip(turn[:, 2:3], -1.0, 1.0))

    # Root-relative joint positions in the facing frame ("ric").
    rel = pos.copy()
    rel[..., 0] -= pos[:, :1, 0]
    rel[..., 2] -= pos[:, :1, 2]
    rel = _qrot(np.broadcast_to(r_rot[:, None], rel.shape[:-1] + (4,)), rel)
    root_y = rel[:, 0, 1:2]
    ric = rel[:, 1:].reshape(len(pos), -1)

    local_vel = _qrot(np.broadcast_to(r_rot[:-1, None], pos[1:].shape[:-1] + (4,)), pos[1:] - pos[:-1])

    feats = np.concatenate([
        rot_vel, root_vel[:, [0, 2]], root_y[:-1], ric[:-1], rot_data[:-1],
        local_vel.reshape(len(pos) - 1, -1), feet_l, feet_r,
    ], axis=-1)
    assert feats.shape[1] == NFEATS
    return feats


def mirror_features(feats: np.ndarray) -> np.ndarray:
    """The features of the left-right mirrored motion (X negated, left ↔ right joints).

    Used to check the recipe and for augmentation: a mirror conjugates every rotation,
    so 6D columns change sign as (+,-,-) and (-,+,+), positions and velocities negate X.
    """
    perm = mirror_permutation()
    f = np.array(feats, dtype=np.float64, copy=True)
    out = f.copy()
    out[..., 0] = -f[..., 0]
    out[..., 1] = -f[..., 1]
    ric = f[..., 4:67].reshape(f.shape[:-1] + (21, 3))
    rot = f[..., 67:193].reshape(f.shape[:-1] + (21, 6))
    vel = f[..., 193:259].reshape(f.shape[:-1] + (22, 3))
    sub = [perm[j] - 1 for j in range(1, N_JOINTS)]
    out[..., 4:67] = (ric[..., sub, :] * np.array([-1.0, 1.0, 1.0])).reshape(ric.shape[:-2] + (-1,))
    out[..., 67:193] = (rot[..., sub, :] * np.array([1.0, -1.0, -1.0, -1.0, 1.0, 1.0])).reshape(rot.shape[:-2] + (-1,))
    out[..., 193:259] = (vel[..., perm, :] * np.array([-1.0, 1.0, 1.0])).reshape(vel.shape[:-2] + (-1,))
    out[..., 259:261], out[..., 261:263] = f[..., 261:263], f[..., 259:261]
    return out
