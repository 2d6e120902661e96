"""Per-frame kinematic features of canonical motion, used by the built-in encoder.

Everything is expressed in the body's heading frame (rotation about Y that makes the
pelvis face +Z), so features do not depend on where the actor stands or which way
they face; root motion is kept as heading-frame velocity and yaw rate, which is what
distinguishes "turn left" from "walk forward".
"""

from __future__ import annotations

import torch

from .skeleton import FOOT_JOINTS, JOINT_INDEX

_L_HIP, _R_HIP = JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]
_L_SHO, _R_SHO = JOINT_INDEX["left_shoulder"], JOINT_INDEX["right_shoulder"]
_PELVIS = JOINT_INDEX["pelvis"]
_FEET = list(FOOT_JOINTS)

NUM_JOINTS = 22
FEATURE_DIM = 1 + 3 + 1 + NUM_JOINTS * 3 + NUM_JOINTS * 3 + 4  # = 141


def heading_yaws(positions: torch.Tensor) -> torch.Tensor:
    """Heading angle of every frame ``[T]`` (radians about +Y, 0 = facing +Z; forward =
    lateral × up): ``preprocess.heading_yaws`` in torch, same name, same convention.

    Facing +Z with left at +X means the right→left hip/shoulder axis points to +X.
    """
    across = (positions[:, _L_HIP] - positions[:, _R_HIP]) + (positions[:, _L_SHO] - positions[:, _R_SHO])
    # forward = up x across ... with left=+X and forward=+Z: forward = across rotated by -90° about Y
    fwd_x, fwd_z = -across[:, 2], across[:, 0]
    return torch.atan2(fwd_x, fwd_z)


def to_heading_frame(vectors: torch.Tensor, yaw: torch.Tensor) -> torch.Tensor:
    """Rotate ``[T, ..., 3]`` world vectors by ``-yaw[T]`` about +Y into each frame's
    heading frame: ``preprocess.to_heading_frame`` in torch, same name and convention."""
    c = torch.cos(yaw).view(-1, *([1] * (vectors.dim() - 2)))
    s = torch.sin(yaw).view(-1, *([1] * (vectors.dim() - 2)))
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    return torch.stack((c * x - s * z, y, s * x + c * z), dim=-1)


def motion_features(positions: torch.Tensor, fps: float) -> torch.Tensor:
    """[T, 22, 3] canonical positions (metres, Y up) → [T, FEATURE_DIM] features.

    Layout: pelvis height, heading-frame root velocity (3, m/s), yaw rate (rad/s),
    pelvis-relative joint positions in the heading frame (66), their velocities (66,
    m/s), and foot heights above the clip's floor (4).
    """
    if positions.dim() != 3 or positions.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError(f"expected [T, 22, 3] positions, got {tuple(positions.shape)}")
    pos = positions.float()
    yaw = heading_yaws(pos)
    root = pos[:, _PELVIS]
    # velocities by central differences (edge frames one-sided), in units per second
    if pos.shape[0] > 1:
        vel = torch.gradient(pos, dim=0)[0] * fps
        yaw_unwrapped = _unwrap(yaw)
        yaw_rate = torch.gradient(yaw_unwrapped, dim=0)[0] * fps
    else:
        vel = torch.zeros_like(pos)
        yaw_rate = torch.zeros_like(yaw)
    local = to_heading_frame(pos - root[:, None], yaw)
    local_vel = to_heading_frame(vel - vel[:, _PELVIS : _PELVIS + 1], yaw)
    root_vel = to_heading_frame(vel[:, _PELVIS], yaw)
    floor = torch.quantile(pos[:, _FEET, 1].reshape(-1), 0.05) if pos.shape[0] > 0 else pos.new_zeros(())
    foot_h = pos[:, _FEET, 1] - floor
    return torch.cat(
        [
            (root[:, 1:2] - floor),
            root_vel,
            yaw_rate[:, None],
            local.reshape(len(pos), -1),
            local_vel.reshape(len(pos), -1) * 0.25,
            foot_h,
        ],
        dim=1,
    )


def _unwrap(angle: torch.Tensor) -> torch.Tensor:
    """Remove 2π jumps so that differences are true rotation rates."""
    d = torch.diff(angle)
    d = (d + torch.pi) % (2 * torch.pi) - torch.pi
    return torch.cat([angle[:1], angle[:1] + torch.cumsum(d, 0)])
