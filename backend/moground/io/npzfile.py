"""MoGround's own motion file: an npz of positions, names, parents and fps.

Written with plain arrays (strings as a unicode array) so that it loads with
``allow_pickle=False``: an npz from elsewhere can never run code.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from ..wire.errors import UnreadableFile
from ..motion import MotionClip
from ..wire.limits import LIMITS
from .npzguard import Member, check_frames_by_values, check_small, npz_members, too_large

_REQUIRED = ("positions", "joint_names", "parents", "fps")


def save_npz(path: str | os.PathLike, clip: MotionClip) -> None:
    """Write ``clip`` so that :func:`read_npz` gives it back."""
    np.savez_compressed(
        path,
        positions=clip.positions.astype(np.float32),
        joint_names=np.array(clip.joint_names, dtype=str),
        parents=np.array(clip.parents, dtype=np.int64),
        fps=np.float64(clip.fps),
        frame_start=np.float64(clip.frame_start),
        units_to_m=np.float64(clip.units_to_m),
        up_axis=np.array(clip.up_axis),
    )


_OPTIONAL = ("frame_start", "units_to_m", "up_axis")
_META_BYTES = 4 * LIMITS["max_bone_name_chars"] * LIMITS["max_bones"]  # joint names at their limit


def check_budget(path: str, members: dict[str, Member]) -> None:
    """The declared shapes against the budget, before any member is inflated."""
    for key in ("positions", "joint_names", "parents"):
        shape = members[key].shape
        bones = shape[1] if key == "positions" and len(shape) > 1 else (shape[0] if shape else 1)
        if bones > LIMITS["max_bones"]:
            raise too_large(path, key, members[key], "max_bones", bones)
    check_frames_by_values(path, "positions", members["positions"], 3 * LIMITS["max_bones"])
    for key in ("joint_names", "parents", "fps", *_OPTIONAL):
        if key in members:
            check_small(path, key, members[key], _META_BYTES)


def read_npz(path: str | os.PathLike) -> MotionClip:
    path = os.fspath(path)
    members = npz_members(path)
    missing = [k for k in _REQUIRED if k not in members]
    if missing:
        raise UnreadableFile(
            f"cannot read motion npz {path}: missing keys {missing} "
            f"(expected {list(_REQUIRED)}, as written by moground.io.save_npz)"
        )
    check_budget(path, members)
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in (*_REQUIRED, *_OPTIONAL) if k in members}  # never the others
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise UnreadableFile(f"cannot read motion npz {path}: {exc}") from None
    return MotionClip(
        positions=data["positions"],
        joint_names=[str(n) for n in data["joint_names"].tolist()],
        parents=[int(p) for p in data["parents"].tolist()],
        fps=float(data["fps"]),
        frame_start=float(data.get("frame_start", 1.0)),  # io.FIRST_FRAME when the file does not say
        units_to_m=float(data.get("units_to_m", 1.0)),
        up_axis=str(data.get("up_axis", "Y")),
        source=path,
        meta={"format": "npz"},
    )
