"""A procedural, clearly synthetic mocap clip: walk forward, then jump, then wave.

It exists so that the quick-start works on a machine with no mocap at all, and so
that every reader and the whole pipeline can be exercised on a file the project
made itself. Motion is generated as joint rotations on a 22-joint SMPL-named
skeleton (Y up, facing +Z, centimetres, 30 fps), so it can be written as a real BVH.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# name, parent, offset from parent in cm (rest pose: standing, arms down)
SKELETON: tuple[tuple[str, str | None, tuple[float, float, float]], ...] = (
    ("pelvis", None, (0.0, 95.0, 0.0)),
    ("left_hip", "pelvis", (9.0, -7.0, 0.0)),
    ("left_knee", "left_hip", (0.0, -42.0, 0.0)),
    ("left_ankle", "left_knee", (0.0, -41.0, 0.0)),
    ("left_foot", "left_ankle", (0.0, -6.0, 13.0)),
    ("right_hip", "pelvis", (-9.0, -7.0, 0.0)),
    ("right_knee", "right_hip", (0.0, -42.0, 0.0)),
    ("right_ankle", "right_knee", (0.0, -41.0, 0.0)),
    ("right_foot", "right_ankle", (0.0, -6.0, 13.0)),
    ("spine1", "pelvis", (0.0, 11.0, -1.0)),
    ("spine2", "spine1", (0.0, 13.0, 0.0)),
    ("spine3", "spine2", (0.0, 6.0, 1.0)),
    ("neck", "spine3", (0.0, 21.0, -1.0)),
    ("head", "neck", (0.0, 9.0, 2.0)),
    ("left_collar", "spine3", (7.0, 14.0, 0.0)),
    ("left_shoulder", "left_collar", (11.0, 2.0, 0.0)),
    ("left_elbow", "left_shoulder", (0.0, -27.0, 0.0)),
    ("left_wrist", "left_elbow", (0.0, -25.0, 0.0)),
    ("right_collar", "spine3", (-7.0, 14.0, 0.0)),
    ("right_shoulder", "right_collar", (-11.0, 2.0, 0.0)),
    ("right_elbow", "right_shoulder", (0.0, -27.0, 0.0)),
    ("right_wrist", "right_elbow", (0.0, -25.0, 0.0)),
)
NAMES = [s[0] for s in SKELETON]
PARENTS = [(-1 if p is None else NAMES.index(p)) for _, p, _ in SKELETON]
OFFSETS = np.array([s[2] for s in SKELETON], dtype=np.float64)


@dataclass
class ProceduralClip:
    """Joint rotations (degrees, BVH Z-X-Y order) plus root translation, and the truth."""

    fps: float
    root_cm: np.ndarray  # [T, 3]
    euler_zxy_deg: np.ndarray  # [T, J, 3] as (z, x, y)
    segments: list[tuple[str, int, int]]  # (label, start frame, end frame exclusive)


def _smooth_step(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def walk_jump_wave(fps: float = 30.0, walk_s: float = 4.0, jump_s: float = 2.0, wave_s: float = 3.0, pause_s: float = 0.5) -> ProceduralClip:
    """Walk forward, stand, jump in place, stand, wave with the right hand."""
    spans = [("walk forward", walk_s), ("pause", pause_s), ("jump", jump_s), ("pause", pause_s), ("wave", wave_s)]
    n = int(round(sum(s for _, s in spans) * fps))
    t = np.arange(n) / fps
    rot = np.zeros((n, len(NAMES), 3))  # (z, x, y) degrees
    root = np.tile(OFFSETS[0], (n, 1))
    j = {name: i for i, name in enumerate(NAMES)}
    bounds, start = [], 0.0
    for label, dur in spans:
        bounds.append((label, start, start + dur))
        start += dur

    def window(a: float, b: float, ramp: float = 0.3) -> np.ndarray:
        return _smooth_step((t - a) / ramp) * (1 - _smooth_step((t - (b - ramp)) / ramp))

    # walk: 1 stride cycle per second, hip swing ±25°, knees bend on swing, arms counter-swing
    a, b = bounds[0][1], bounds[0][2]
    w = window(a, b)
    phase = 2 * np.pi * 1.0 * (t - a)
    rot[:, j["left_hip"], 1] = -25 * np.sin(phase) * w
    rot[:, j["right_hip"], 1] = 25 * np.sin(phase) * w
    rot[:, j["left_knee"], 1] = 35 * np.clip(np.sin(phase + 1.2), 0, None) * w
    rot[:, j["right_knee"], 1] = 35 * np.clip(-np.sin(phase + 1.2), 0, None) * w
    rot[:, j["left_shoulder"], 1] = 20 * np.sin(phase) * w
    rot[:, j["right_shoulder"], 1] = -20 * np.sin(phase) * w
    speed = 120.0 * w  # cm/s
    root[:, 2] += np.cumsum(speed) / fps
    root[:, 1] += 2.5 * np.abs(np.sin(phase)) * w

    # jump: crouch (0–0.6 s), flight (0.6–1.1 s), landing crouch (1.1–1.6 s)
    a = bounds[2][1]
    crouch = np.exp(-(((t - (a + 0.45)) / 0.18) ** 2)) + np.exp(-(((t - (a + 1.3)) / 0.2) ** 2))
    for side in ("left", "right"):
        rot[:, j[f"{side}_hip"], 1] += -50 * crouch
        rot[:, j[f"{side}_knee"], 1] += 90 * crouch
        rot[:, j[f"{side}_ankle"], 1] += -35 * crouch
        rot[:, j[f"{side}_shoulder"], 1] += -60 * np.exp(-(((t - (a + 0.8)) / 0.25) ** 2))
    root[:, 1] -= 28 * crouch
    tf = (t - (a + 0.6)) / 0.5
    flight = np.where((tf >= 0) & (tf <= 1), 4 * tf * (1 - tf), 0.0)
    root[:, 1] += 45 * flight

    # wave: right arm raised to the side, forearm swings ±30° twice a second
    a, b = bounds[4][1], bounds[4][2]
    w = window(a, b, ramp=0.5)
    rot[:, j["right_shoulder"], 0] = -150 * w
    rot[:, j["right_elbow"], 0] = (-20 + 30 * np.sin(2 * np.pi * 2.0 * (t - a))) * w
    rot[:, j["spine3"], 0] = 4 * w

    segments = [(label, int(round(s * fps)), int(round(e * fps))) for label, s, e in bounds if label != "pause"]
    return ProceduralClip(fps=fps, root_cm=root, euler_zxy_deg=rot, segments=segments)


def _rot_zxy(deg: np.ndarray) -> np.ndarray:
    """[..., 3] (z, x, y) degrees → [..., 3, 3] matrices R = Rz·Rx·Ry."""
    z, x, y = np.deg2rad(deg[..., 0]), np.deg2rad(deg[..., 1]), np.deg2rad(deg[..., 2])
    cz, sz, cx, sx, cy, sy = np.cos(z), np.sin(z), np.cos(x), np.sin(x), np.cos(y), np.sin(y)
    one, zero = np.ones_like(z), np.zeros_like(z)
    rz = np.stack([np.stack([cz, -sz, zero], -1), np.stack([sz, cz, zero], -1), np.stack([zero, zero, one], -1)], -2)
    rx = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, cx, -sx], -1), np.stack([zero, sx, cx], -1)], -2)
    ry = np.stack([np.stack([cy, zero, sy], -1), np.stack([zero, one, zero], -1), np.stack([-sy, zero, cy], -1)], -2)
    return rz @ rx @ ry


def joint_positions_cm(clip: ProceduralClip) -> np.ndarray:
    """Forward kinematics of the clip: [T, J, 3] world positions in centimetres."""
    local = _rot_zxy(clip.euler_zxy_deg)
    world = np.empty_like(local)
    pos = np.empty(clip.euler_zxy_deg.shape)
    for i, p in enumerate(PARENTS):
        if p < 0:
            world[:, i] = local[:, i]
            pos[:, i] = clip.root_cm
        else:
            world[:, i] = world[:, p] @ local[:, i]
            pos[:, i] = pos[:, p] + np.einsum("tij,j->ti", world[:, p], OFFSETS[i])
    return pos


def to_bvh(clip: ProceduralClip) -> str:
    """BVH text: root with 6 channels, other joints 3 (Zrotation Xrotation Yrotation)."""
    children: dict[int, list[int]] = {i: [] for i in range(len(NAMES))}
    for i, p in enumerate(PARENTS):
        if p >= 0:
            children[p].append(i)
    lines = ["HIERARCHY"]
    order: list[int] = []

    def emit(i: int, depth: int) -> None:
        pad = "  " * depth
        kind = "ROOT" if PARENTS[i] < 0 else "JOINT"
        off = OFFSETS[i] if PARENTS[i] >= 0 else np.zeros(3)
        lines.append(f"{pad}{kind} {NAMES[i]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {off[0]:.4f} {off[1]:.4f} {off[2]:.4f}")
        if PARENTS[i] < 0:
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation")
        else:
            lines.append(f"{pad}  CHANNELS 3 Zrotation Xrotation Yrotation")
        order.append(i)
        for c in children[i]:
            emit(c, depth + 1)
        if not children[i]:
            lines.append(f"{pad}  End Site")
            lines.append(f"{pad}  {{")
            lines.append(f"{pad}    OFFSET 0.0000 -3.0000 0.0000")
            lines.append(f"{pad}  }}")
        lines.append(f"{pad}}}")

    emit(0, 0)
    n = clip.root_cm.shape[0]
    lines += ["MOTION", f"Frames: {n}", f"Frame Time: {1.0 / clip.fps:.6f}"]
    for f in range(n):
        vals = list(clip.root_cm[f])
        for i in order:
            vals += list(clip.euler_zxy_deg[f, i])
        lines.append(" ".join(f"{v:.4f}" for v in vals))
    return "\n".join(lines) + "\n"


DEMO_PROMPT = "walk forward, then jump, then wave"
