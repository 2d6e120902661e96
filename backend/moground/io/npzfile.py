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


def read_npz(path: str | os.PathLike) -> MotionClip:
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in _REQUIRED if k not in z.files]
            if missing:
                raise UnreadableFile(
                    f"cannot read motion npz {path}: missing keys {missing} "
                    f"(expected {list(_REQUIRED)}, as written by moground.io.save_npz)"
                )
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise UnreadableFile(f"cannot read motion npz {path}: {exc}") from None
    return MotionClip(
        positions=data["positions"],
        joint_names=[str(n) for n in data["joint_names"].tolist()],
        parents=[int(p) for p in data["parents"].tolist()],
        fps=float(data["fps"]),
        frame_start=float(data.get("frame_start", 0.0)),
        units_to_m=float(data.get("units_to_m", 1.0)),
        up_axis=str(data.get("up_axis", "Y")),
        source=path,
        meta={"format": "npz"},
    )
