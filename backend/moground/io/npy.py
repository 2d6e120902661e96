""".npy motion arrays: HumanML3D joints and Motion-X SMPL-X parameters.

A bare array says nothing about its layout, so ``--format`` names it; without it the
shape decides and a warning names the assumption:

- ``h3d-joints``: HumanML3D ``new_joints/*.npy``, ``[T, 22, 3]`` float, the 22 SMPL
  body joints in smplx order, metres, Y up (HumanML3D's frame), 20 fps.
- ``motionx``: Motion-X ``motion_data/smplx_322/*.npy``, ``[T, 322]`` SMPL-X
  parameters, 30 fps (needs ``--body-model``).
"""

from __future__ import annotations

import os

import numpy as np

from ..wire.errors import BadMotion, UnreadableFile
from ..motion import MotionClip
from ..skeleton import CANONICAL_JOINTS, CANONICAL_PARENTS

H3D_FPS = 20.0
NPY_FORMATS = ("h3d-joints", "motionx")


def load_array(path: str | os.PathLike) -> np.ndarray:
    p = os.fspath(path)
    try:
        a = np.load(p, allow_pickle=False, mmap_mode="r")
    except (OSError, ValueError, EOFError) as exc:
        raise UnreadableFile(f"cannot read .npy {p}: {exc}") from None
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fiu":
        raise UnreadableFile(f"{p}: expected a numeric array, got {getattr(a, 'dtype', type(a))}")
    return a


def guess_format(shape: tuple[int, ...]) -> str:
    """The layout an unlabelled array of this shape most likely has, or a coded error."""
    if len(shape) == 3 and shape[1:] == (22, 3):
        return "h3d-joints"
    if len(shape) == 2 and shape[1] == 322:
        return "motionx"
    if len(shape) == 2 and shape[1] == 263:
        raise UnreadableFile(
            "a [T, 263] array is HumanML3D's feature vector (new_joint_vecs), not joints: "
            "use the matching new_joints/*.npy file"
        )
    raise UnreadableFile(
        f"cannot tell the layout of a {list(shape)} array: MoGround reads HumanML3D joints "
        "[T, 22, 3] (--format h3d-joints) and Motion-X SMPL-X [T, 322] (--format motionx)"
    )


def read_h3d_joints(path: str | os.PathLike, fps: float | None = None,
                    array: np.ndarray | None = None) -> MotionClip:
    """HumanML3D ``new_joints`` → clip (already canonical order, metres, Y up)."""
    p = os.fspath(path)
    a = load_array(p) if array is None else array
    if a.ndim != 3 or a.shape[1:] != (22, 3):
        raise BadMotion(f"{p}: HumanML3D joints (h3d-joints) must be [T, 22, 3], got {list(a.shape)}")
    pos = np.asarray(a, dtype=np.float32)
    return MotionClip(
        positions=pos, joint_names=list(CANONICAL_JOINTS), parents=list(CANONICAL_PARENTS),
        fps=float(fps or H3D_FPS), up_axis="Y", source=p, meta={"format": "h3d-joints", "warnings": []},
    )


def read_npy(path: str | os.PathLike, fmt: str | None = None, fps: float | None = None,
             body_model=None, device: str = "cpu") -> MotionClip:
    """Read a .npy motion in layout ``fmt`` (guessed from the shape, with a warning, if None)."""
    a = load_array(path)
    warnings = []
    if fmt is None:
        fmt = guess_format(a.shape)
        what = ("HumanML3D new_joints: 22 SMPL joints, metres, Y up, "
                f"{fps or H3D_FPS:g} fps" if fmt == "h3d-joints" else
                f"Motion-X smplx_322 SMPL-X parameters, {fps or 30:g} fps")
        warnings.append(f"{os.path.basename(path)}: {list(a.shape)} read as {what} "
                        f"(say --format {fmt} to confirm, --fps to change the rate)")
    if fmt == "h3d-joints":
        clip = read_h3d_joints(path, fps=fps, array=a)
    elif fmt == "motionx":
        from .smpl import read_motionx_npy

        clip = read_motionx_npy(path, body_model=body_model, fps=fps, device=device, array=np.asarray(a))
    else:
        raise UnreadableFile(f"--format {fmt!r} does not apply to .npy files; use one of {NPY_FORMATS}")
    clip.meta["warnings"] = warnings + list(clip.meta.get("warnings", []))
    return clip
