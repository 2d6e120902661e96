"""Motion input: BVH, CMU ASF/AMC, MoGround's own npz, and the shared-data shards.

Every reader returns a :class:`moground.motion.MotionClip` of world joint positions in
the file's units (``units_to_m`` says how to get metres) with names and parents.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import MoGroundError, UnreadableFile
from ..motion import MotionClip
from ..protocol import check_motion_budget
from .asf_amc import read_asf_amc
from .bvh import read_bvh
from .npzfile import read_npz, save_npz
from .shards import load_bandai_clip, load_cmu_trial

__all__ = [
    "load_motion", "save_npz", "read_bvh", "read_asf_amc", "read_npz",
    "load_cmu_trial", "load_bandai_clip",
]

SUPPORTED = (".bvh", ".amc", ".npz")


def load_motion(
    path: str | os.PathLike,
    asf: str | os.PathLike | None = None,
    units: str | float | None = None,
    fps: float | None = None,
) -> MotionClip:
    """Read a motion file, choosing the reader by extension.

    ``asf`` is required for .amc files. ``units`` ('m', 'cm', 'mm', 'in' or metres per
    unit) overrides the unit guess for BVH/ASF. ``fps`` sets the frame rate of an AMC
    file (default 120, CMU's capture rate); other formats state their own."""
    p = Path(path)
    ext = p.suffix.lower()
    if p.is_dir():
        raise UnreadableFile(f"{p} is a folder, not a motion file: pass one {'/'.join(SUPPORTED)} file")
    if not p.is_file():
        raise UnreadableFile(f"motion file not found: {p}")
    try:
        if ext == ".bvh":
            clip = read_bvh(p, units=units)
        elif ext == ".amc":
            if asf is None:
                raise UnreadableFile(f"{p} is an AMC file: pass its skeleton with --asf FILE.asf")
            if not Path(asf).is_file():
                raise UnreadableFile(f"ASF skeleton file not found: {asf}")
            clip = read_asf_amc(asf, p, units=units, fps=fps)
        elif ext == ".npz":
            clip = read_npz(p)
        else:
            raise UnreadableFile(
                f"unsupported motion file type {ext or '(none)'!r} for {p}: "
                f"use one of {', '.join(SUPPORTED)} (.blend files go through the add-on)"
            )
    except MoGroundError:
        raise
    except Exception as exc:  # a reader bug or odd file must not become a traceback
        raise UnreadableFile(f"cannot read {p}: {type(exc).__name__}: {exc}") from exc
    if clip.num_frames < 1:
        raise UnreadableFile(f"{p} holds no frames")
    check_motion_budget(clip.num_frames, clip.fps)
    return clip
