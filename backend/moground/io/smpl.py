"""SMPL-family pose parameters → the 22 canonical body joints, through smplx.

Reads AMASS SMPL-H ``.npz`` (``poses`` [T,156], ``trans``, ``betas``, ``gender``,
``mocap_framerate``), AMASS SMPL-X ``.npz`` (``root_orient``/``pose_body``/... or
``poses`` [T,165], ``mocap_frame_rate``, ``surface_model_type``), plain SMPL ``.npz``
(``poses`` [T,72] or ``global_orient``+``body_pose``) and Motion-X SMPL-X ``.npy``
([T,322]: root, body, hands, jaw, expression, face shape, trans, betas).

Joints: the body model's rest joints for the file's betas (and SMPL-X expression), then
smplx's own ``batch_rodrigues`` + ``batch_rigid_transform`` forward kinematics, batched
over frames on CPU or CUDA, plus ``trans``. Hands, jaw and eyes hang below the wrists
and head, so they never move the 22 body joints and are not read. A test checks these
joints against ``smplx.create(...)(...).joints[:, :22]`` on the same model file.

Up axis: AMASS is Z up; other files are judged from the body (the mean pelvis→neck
direction). Either way the clip comes out Y up with a proper rotation (no mirroring).
"""

from __future__ import annotations

import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..wire.errors import BadMotion, UnreadableFile
from ..motion import MotionClip
from ..skeleton import CANONICAL_JOINTS, CANONICAL_PARENTS, JOINT_INDEX
from .bodymodel import GENDERS, BodyModel, body_model_root, load_body_model

MOTIONX_WIDTH = 322  # Motion-X smplx_322 .npy rows
MOTIONX_FPS = 30.0
_POSE_WIDTH_TYPE = {72: "smpl", 156: "smplh", 165: "smplx"}
_FPS_KEYS = ("mocap_framerate", "mocap_frame_rate", "fps", "framerate", "frame_rate")
CHUNK = 8192  # frames per FK batch: bounds memory on 10-minute 120 fps takes


@dataclass
class SmplMotion:
    """Per-frame parameters that move the 22 body joints, in the file's world frame."""

    model_type: str
    gender: str
    betas: np.ndarray  # [B]
    root_orient: np.ndarray  # [T, 3] axis-angle
    body_pose: np.ndarray  # [T, 63] axis-angle of joints 1..21
    trans: np.ndarray  # [T, 3]
    fps: float | None
    up_axis: str | None  # "Z" when the source says so, None: judge from the body
    layout: str  # amass-smplh, amass-smplx, smpl, motionx-smplx
    expression: np.ndarray | None = None  # [T, E] SMPL-X only
    warnings: list[str] = field(default_factory=list)


def _str_value(value) -> str:
    v = np.asarray(value)
    if v.dtype.kind == "S":
        return v.tobytes().decode("latin-1").strip("\x00").strip()
    return str(v.item() if v.size == 1 else v).strip()


def _gender(raw, warnings: list[str]) -> str:
    if raw is None:
        warnings.append("the file names no gender: used the neutral body model")
        return "neutral"
    g = _str_value(raw).lower()
    g = {"m": "male", "f": "female", "n": "neutral"}.get(g, g)
    if g not in GENDERS:
        warnings.append(f"unknown gender {g!r} in the file: used the neutral body model")
        return "neutral"
    return g


def _rows(name: str, a: np.ndarray, t: int | None, width: int) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] < width or (t is not None and a.shape[0] != t):
        want = f"[{t if t is not None else 'T'}, {width}]"
        raise BadMotion(f"{name} must be {want}, got {list(a.shape)}")
    return a[:, :width]


def params_from_npz(z) -> SmplMotion:
    """An SMPL-family npz (``np.load`` result, no pickle) → :class:`SmplMotion`."""
    keys = set(z.files)

    def get(*names):
        for n in names:
            if n in keys:
                try:
                    return z[n]
                except ValueError:  # an object (pickled) member: never loaded
                    return None
        return None

    warnings: list[str] = []
    declared = get("surface_model_type", "model_type")
    declared = _str_value(declared).lower().replace("-", "").replace("+", "") if declared is not None else None
    amass = bool(keys & {"mocap_framerate", "mocap_frame_rate", "surface_model_type"})
    if "root_orient" in keys and "pose_body" in keys:  # AMASS SMPL-X (and SMPL-H stage-ii) keys
        root = _rows("root_orient", get("root_orient"), None, 3)
        body = _rows("pose_body", get("pose_body"), len(root), 63)
        model_type = declared or ("smplx" if "pose_jaw" in keys else "smplh")
        layout = f"amass-{model_type}"
    elif "global_orient" in keys and "body_pose" in keys:  # smplx parameter names
        root = _rows("global_orient", get("global_orient"), None, 3)
        bp = np.asarray(get("body_pose"), dtype=np.float64)
        bp = bp.reshape(len(bp), -1) if bp.ndim == 3 else bp
        body = _rows("body_pose", bp, len(root), 63)
        model_type = declared or ("smpl" if bp.shape[1] == 69 else "smplx" if "jaw_pose" in keys else "smplh")
        layout = model_type
    elif "poses" in keys:
        poses = np.asarray(get("poses"), dtype=np.float64)
        if poses.ndim == 3:
            poses = poses.reshape(len(poses), -1)
        if poses.ndim != 2:
            raise BadMotion(f"poses must be [T, D], got {list(poses.shape)}")
        model_type = declared or _POSE_WIDTH_TYPE.get(poses.shape[1])
        if model_type is None:
            raise BadMotion(
                f"poses has {poses.shape[1]} values per frame: expected 72 (SMPL), 156 (SMPL-H) "
                "or 165 (SMPL-X), or a surface_model_type key"
            )
        poses = _rows("poses", poses, None, 66)
        root, body = poses[:, :3], poses[:, 3:66]
        layout = f"amass-{model_type}" if amass else model_type
    elif "betas" in keys:
        raise UnreadableFile("a body shape (betas) but no poses, like AMASS's shape.npz: pick a motion file")
    else:
        raise UnreadableFile("no pose parameters (poses, root_orient/pose_body or global_orient/body_pose)")
    if model_type not in ("smpl", "smplh", "smplx"):
        raise UnreadableFile(f"unknown surface model type {model_type!r}")
    t = len(root)
    trans = get("trans", "transl")
    trans = np.zeros((t, 3)) if trans is None else _rows("trans", trans, t, 3)
    betas = get("betas")
    betas = np.zeros(0) if betas is None else np.asarray(betas, dtype=np.float64)
    if betas.ndim == 2:  # per-frame betas: a body has one shape
        betas = betas[0]
    fps = None
    for k in _FPS_KEYS:
        if k in keys:
            fps = float(np.asarray(get(k)).reshape(-1)[0])
            break
    expression = get("expression", "face_expr") if model_type == "smplx" else None
    if expression is not None:
        expression = _rows("expression", expression, t, np.asarray(expression).shape[-1])
    return SmplMotion(
        model_type=model_type, gender=_gender(get("gender"), warnings), betas=betas.reshape(-1),
        root_orient=root, body_pose=body, trans=trans, fps=fps,
        up_axis="Z" if amass else None, layout=layout, expression=expression, warnings=warnings,
    )


def params_from_motionx(a: np.ndarray) -> SmplMotion:
    """Motion-X ``smplx_322`` rows: root 0:3, body 3:66, hands 66:156, jaw 156:159,
    expression 159:209, face shape 209:309, trans 309:312, betas 312:322 (30 fps, no gender)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != MOTIONX_WIDTH:
        raise BadMotion(f"Motion-X SMPL-X rows must be [T, {MOTIONX_WIDTH}], got {list(a.shape)}")
    return SmplMotion(
        model_type="smplx", gender="neutral", betas=a[0, 312:322], root_orient=a[:, :3],
        body_pose=a[:, 3:66], trans=a[:, 309:312], fps=None, up_axis=None,
        layout="motionx-smplx", expression=a[:, 159:209],
    )


def joints_from_params(m: SmplMotion, body_model: str | os.PathLike | None = None,
                       device: str = "cpu") -> tuple[np.ndarray, list[str], BodyModel]:
    """World joints ``[T, 22, 3]`` (file frame, metres), warnings, and the model used."""
    import torch
    from smplx.lbs import batch_rigid_transform, batch_rodrigues

    model, warnings = load_body_model(body_model_root(body_model), m.model_type, m.gender)
    n_shape = model.num_shape
    betas = m.betas[:n_shape]
    if len(m.betas) > n_shape and np.abs(m.betas[n_shape:]).max() > 1e-6:
        warnings.append(f"{len(m.betas)} betas but the {m.model_type.upper()} model has {n_shape} shape components: the rest were dropped")
    dev = torch.device(device)
    dt = torch.float32  # smplx's own dtype; float64 doubles the time for no visible gain
    j_dirs = torch.as_tensor(model.j_shapedirs, dtype=dt, device=dev)
    j_rest = torch.as_tensor(model.j_template, dtype=dt, device=dev)
    if len(betas):
        j_rest = j_rest + torch.einsum("jkl,l->jk", j_dirs[:, :, : len(betas)], torch.as_tensor(betas, dtype=dt, device=dev))
    expr = None
    if m.expression is not None and m.model_type == "smplx" and j_dirs.shape[2] > n_shape:
        e = min(m.expression.shape[1], j_dirs.shape[2] - n_shape)
        expr = (j_dirs[:, :, n_shape: n_shape + e], torch.as_tensor(m.expression[:, :e], dtype=dt, device=dev))
    parents = torch.as_tensor(CANONICAL_PARENTS, dtype=torch.long, device=dev)
    pose = torch.as_tensor(np.concatenate([m.root_orient, m.body_pose], axis=1), dtype=dt, device=dev)
    trans = torch.as_tensor(m.trans, dtype=dt, device=dev)
    out = []
    with torch.no_grad():
        for s in range(0, len(pose), CHUNK):
            p = pose[s: s + CHUNK]
            b = len(p)
            rot = batch_rodrigues(p.reshape(-1, 3)).reshape(b, 22, 3, 3)
            j = j_rest.expand(b, 22, 3)
            if expr is not None:
                j = j + torch.einsum("jkl,bl->bjk", expr[0], expr[1][s: s + CHUNK])
            posed, _ = batch_rigid_transform(rot, j.contiguous(), parents, dtype=dt)
            out.append((posed + trans[s: s + CHUNK, None]).cpu().numpy())
    return np.concatenate(out).astype(np.float32), warnings, model


def up_from_body(joints: np.ndarray) -> tuple[str, float]:
    """("+Y"/"-Y"/"+X"/..., share): the signed axis of the mean pelvis→neck direction."""
    d = joints[:, JOINT_INDEX["neck"]] - joints[:, JOINT_INDEX["pelvis"]]
    d = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    mean = d.mean(axis=0)
    k = int(np.argmax(np.abs(mean)))
    return ("+" if mean[k] > 0 else "-") + "XYZ"[k], float(abs(mean[k]))


# proper rotations (det +1) taking each signed up axis to +Y
_TO_Y_UP = {
    "+Y": lambda p: p,
    "+Z": lambda p: np.stack([p[..., 0], p[..., 2], -p[..., 1]], axis=-1),
    "-Z": lambda p: np.stack([p[..., 0], -p[..., 2], p[..., 1]], axis=-1),
    "-Y": lambda p: np.stack([p[..., 0], -p[..., 1], -p[..., 2]], axis=-1),
    "+X": lambda p: np.stack([-p[..., 1], p[..., 0], p[..., 2]], axis=-1),
    "-X": lambda p: np.stack([p[..., 1], -p[..., 0], p[..., 2]], axis=-1),
}


def to_y_up(joints: np.ndarray, declared: str | None, warnings: list[str]) -> tuple[np.ndarray, str]:
    """Rotate to Y up: the file's declared axis unless the body clearly says otherwise."""
    seen, share = up_from_body(joints)
    if declared is not None:
        want = "+" + declared
        if seen != want and share > 0.7:
            warnings.append(f"the file's convention is {declared} up but the body stands along {seen}: used {seen}")
            return _TO_Y_UP[seen](joints), seen
        return _TO_Y_UP[want](joints), want
    return _TO_Y_UP[seen](joints), seen


def clip_from_params(m: SmplMotion, source: str, *, body_model=None, fps: float | None = None,
                     device: str = "cpu") -> MotionClip:
    """FK, Y up, frame rate (``fps`` overrides the file's; Motion-X defaults to 30)."""
    t0 = time.perf_counter()
    if len(m.root_orient) < 1:
        raise BadMotion(f"{source} holds no frames")
    for name, a in (("poses", m.root_orient), ("poses", m.body_pose), ("trans", m.trans), ("betas", m.betas)):
        if not np.isfinite(a).all():
            raise BadMotion(f"{source}: non-finite values in {name}")
    warnings = list(m.warnings)
    rate = fps or m.fps
    if rate is None:
        if m.layout != "motionx-smplx":
            raise UnreadableFile(f"{source} states no frame rate (mocap_framerate/fps): pass --fps")
        rate = MOTIONX_FPS
    joints, more, model = joints_from_params(m, body_model, device)
    warnings += more
    joints, up = to_y_up(joints, m.up_axis, warnings)
    return MotionClip(
        positions=joints, joint_names=list(CANONICAL_JOINTS), parents=list(CANONICAL_PARENTS),
        fps=float(rate), up_axis="Y", source=source,
        meta={"format": m.layout, "model_type": m.model_type, "gender": model.gender,
              "body_model": str(model.path), "source_up": up,
              "warnings": warnings, "load_ms": (time.perf_counter() - t0) * 1e3},
    )


def read_smpl_npz(path: str | os.PathLike, *, body_model=None, fps: float | None = None,
                  device: str = "cpu") -> MotionClip:
    p = os.fspath(path)
    try:
        with np.load(p, allow_pickle=False) as z:
            m = params_from_npz(z)
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise UnreadableFile(f"cannot read SMPL npz {p}: {exc}") from None
    except (BadMotion, UnreadableFile) as exc:
        raise type(exc)(f"{Path(p).name}: {exc.message}") from None
    return clip_from_params(m, p, body_model=body_model, fps=fps, device=device)


def read_motionx_npy(path: str | os.PathLike, *, body_model=None, fps: float | None = None,
                     device: str = "cpu", array: np.ndarray | None = None) -> MotionClip:
    p = os.fspath(path)
    a = np.load(p, allow_pickle=False) if array is None else array
    return clip_from_params(params_from_motionx(a), p, body_model=body_model, fps=fps, device=device)
