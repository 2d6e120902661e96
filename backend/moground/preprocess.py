"""From canonical joint positions to what encoders see: resampled to the encoder's
frame rate and put in one body-centred frame (Y up, metres, pelvis above the origin,
feet on y = 0, facing +Z at the first frame), with the map back to source frames.

Canonicalizing removes what says nothing about the action (where the take was shot,
which way the actor faced) so that the same motion gives the same features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .wire.errors import BadMotion
from .rigmap import CanonicalMotion
from .skeleton import FOOT_JOINTS, JOINT_INDEX

FLOOR_PERCENTILE = 5.0  # of the lowest foot joint per frame: robust to a few bad frames


def resample(positions: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """Linear resampling of ``[T, ...]`` frames that keeps the clip's duration:
    ``round(T · fps_out / fps_in)`` output frames at times ``j / fps_out``."""
    if fps_in <= 0 or fps_out <= 0:
        raise BadMotion(f"frame rates must be positive (got {fps_in} → {fps_out})")
    x = np.asarray(positions, dtype=np.float32)
    t_in = x.shape[0]
    if fps_in == fps_out:
        return x.copy()
    t_out = max(1, int(round(t_in * fps_out / fps_in)))
    src = np.minimum(np.arange(t_out) * (fps_in / fps_out), t_in - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, t_in - 1)
    w = (src - lo).astype(np.float32).reshape((-1,) + (1,) * (x.ndim - 1))
    return x[lo] * (1 - w) + x[hi] * w


def _lateral(p: np.ndarray) -> np.ndarray:
    """Right-to-left body axis ``[..., 3]`` from ``[..., 22, 3]``: hips plus shoulders."""
    J = JOINT_INDEX
    return (p[..., J["left_hip"], :] - p[..., J["right_hip"], :]) + (
        p[..., J["left_shoulder"], :] - p[..., J["right_shoulder"], :]
    )


def heading_yaws(positions: np.ndarray) -> np.ndarray:
    """Heading angle of every frame ``[T]`` (radians about +Y, 0 = facing +Z;
    forward = lateral × up), not unwrapped."""
    lateral = _lateral(np.asarray(positions))
    return np.arctan2(-lateral[..., 2], lateral[..., 0])


def facing_yaw(positions: np.ndarray, frame: int = 0) -> float:
    """Heading angle (radians, about +Y, 0 = facing +Z) of the body at ``frame``,
    from the hips' and shoulders' left-right axis: forward = lateral × up."""
    lateral = _lateral(np.asarray(positions)[frame])
    if np.hypot(lateral[0], lateral[2]) < 1e-6:
        return 0.0  # lying sideways: no heading to speak of
    return float(np.arctan2(-lateral[2], lateral[0]))


def to_heading_frame(vectors: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Rotate ``[T, ..., 3]`` world vectors by ``-yaw[T]`` about +Y, frame by frame, into
    each frame's heading frame (x = the body's left, z = forward)."""
    c = np.cos(yaw).reshape(-1, *([1] * (vectors.ndim - 2)))
    s = np.sin(yaw).reshape(-1, *([1] * (vectors.ndim - 2)))
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    return np.stack((c * x - s * z, y, s * x + c * z), axis=-1)


def rotate_y(positions: np.ndarray, angle: float) -> np.ndarray:
    """Rotate ``[..., 3]`` points by ``+angle`` radians about +Y (right-handed), one
    angle for all: ``to_heading_frame(v, yaw)`` equals ``rotate_y(v, -yaw)`` per frame."""
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]], dtype=np.float32)
    return positions @ rot.T


def floor_height(positions: np.ndarray) -> float:
    """The floor's height (Y) under canonical ``[T, 22, 3]`` positions: the
    FLOOR_PERCENTILE-th percentile of the lowest foot joint per frame."""
    return float(np.percentile(np.asarray(positions)[:, list(FOOT_JOINTS), 1].min(axis=1), FLOOR_PERCENTILE))


def canonicalize(positions: np.ndarray) -> np.ndarray:
    """Canonical ``[T, 22, 3]`` (Y up, metres) → pelvis x/z at the origin at frame 0,
    floor at y = 0 (low percentile of the lowest foot joint), facing +Z at frame 0
    (so the body's left side points to +X)."""
    p = np.asarray(positions, dtype=np.float32)
    floor = floor_height(p)
    root = p[0, JOINT_INDEX["pelvis"]]
    p = p - np.array([root[0], floor, root[2]], dtype=np.float32)
    return rotate_y(p, -facing_yaw(p)).astype(np.float32)


@dataclass
class PreparedMotion:
    """Encoder-ready motion and the clock that maps it back to the source clip."""

    positions: np.ndarray  # [T', 22, 3] float32, canonical frame
    fps: float
    times_s: np.ndarray  # [T'] seconds from the clip's first frame
    source_fps: float
    source_frame_start: float
    source_frames: int  # frames of the source clip

    def to_source_offset(self, model_frame: int) -> int:
        """A segment boundary at ``model_frame`` (end exclusive) as whole source frames
        from the clip's first frame: the source frame that starts nearest to that time,
        halves rounded up; the end of the clip is the end of its last source frame, so
        the last segment always includes the last frame."""
        if model_frame >= len(self.positions):
            return self.source_frames
        return min(self.source_frames, int(math.floor(model_frame / self.fps * self.source_fps + 0.5)))


def prepare(canon: CanonicalMotion, fps_out: float) -> PreparedMotion:
    """Resample to ``fps_out`` and canonicalize. The input comes from a validated clip
    (``MotionClip.validate`` or the wire decoder): finite, at least two frames."""
    pos = np.asarray(canon.positions)
    if pos.ndim != 3 or pos.shape[1:] != (len(JOINT_INDEX), 3):
        raise BadMotion(f"canonical positions must be [T, 22, 3], got {tuple(pos.shape)}")
    out = canonicalize(resample(pos, canon.fps, fps_out))
    return PreparedMotion(
        positions=out,
        fps=float(fps_out),
        times_s=(np.arange(out.shape[0]) / fps_out).astype(np.float64),
        source_fps=float(canon.fps),
        source_frame_start=float(canon.frame_start),
        source_frames=int(pos.shape[0]),
    )
