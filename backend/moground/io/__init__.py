"""Motion input: BVH, CMU ASF/AMC, MoGround's own npz, SMPL-family parameters (AMASS
SMPL-H/SMPL-X npz, plain SMPL npz, Motion-X npy; through smplx and the user's body
model), HumanML3D joints (.npy), FBX (through bpy), and the shared-data shards.

Every reader returns a :class:`moground.motion.MotionClip` of world joint positions in
the file's units (``units_to_m`` says how to get metres) with names and parents;
``clip.meta["warnings"]`` lists the assumptions a reader had to make.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..wire.errors import MoGroundError, UnreadableFile
from ..motion import MotionClip
from ..wire.limits import check_motion_budget
from .asf_amc import read_asf_amc
from .bvh import read_bvh
from .npzfile import read_npz, save_npz
from .shards import load_bandai_clip, load_cmu_trial

__all__ = [
    "load_motion", "save_npz", "read_bvh", "read_asf_amc", "read_npz",
    "load_cmu_trial", "load_bandai_clip",
]

SUPPORTED = (".bvh", ".amc", ".npz", ".npy", ".fbx")
FORMATS = ("moground", "smpl", "h3d-joints", "motionx")  # --format: what a .npz/.npy holds


def load_motion(
    path: str | os.PathLike,
    asf: str | os.PathLike | None = None,
    units: str | float | None = None,
    fps: float | None = None,
    *,
    fmt: str | None = None,
    body_model: str | os.PathLike | None = None,
    armature: str | None = None,
    device: str = "cpu",
) -> MotionClip:
    """Read a motion file, choosing the reader by extension (and content for .npz/.npy).

    ``asf`` is required for .amc files. ``units`` ('m', 'cm', 'mm', 'in' or metres per
    unit) overrides the unit guess for BVH/ASF. ``fps`` sets the frame rate of an AMC
    file (default 120, CMU's capture rate) or of a .npy/SMPL file (overriding what it
    states or the layout's default). ``fmt`` (one of :data:`FORMATS`) says what a .npz
    or .npy holds; guessed when None. ``body_model`` is the SMPL/SMPL-H/SMPL-X model
    folder (default ``$MOGROUND_BODY_MODELS``); ``device`` runs SMPL forward
    kinematics. ``armature`` picks one armature of an FBX with several."""
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
            clip = _read_any_npz(p, fmt, fps, body_model, device)
        elif ext == ".npy":
            from .npy import read_npy

            clip = read_npy(p, fmt=None if fmt in (None, "smpl") else fmt, fps=fps,
                            body_model=body_model, device=device)
        elif ext == ".fbx":
            from .fbx import read_fbx

            clip = read_fbx(p, armature=armature)
        else:
            raise UnreadableFile(
                f"unsupported motion file type {ext or '(none)'!r} for {p}: "
                f"use one of {', '.join(SUPPORTED)} (.blend files go through the add-on)"
            )
    except MoGroundError:
        raise
    except Exception as exc:  # a reader bug or odd file must not become a traceback
        first = (str(exc).strip().splitlines() or [""])[0]  # coded errors are one line
        raise UnreadableFile(f"cannot read {p}: {type(exc).__name__}: {first}") from exc
    if clip.num_frames < 1:
        raise UnreadableFile(f"{p} holds no frames")
    check_motion_budget(clip.num_frames, clip.fps)
    return clip


def _read_any_npz(p: Path, fmt, fps, body_model, device) -> MotionClip:
    """MoGround's own npz (positions + names) or SMPL-family parameters, by content."""
    import zipfile

    import numpy as np

    if fmt is None:
        try:
            with np.load(p, allow_pickle=False) as z:
                keys = set(z.files)
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise UnreadableFile(f"cannot read npz {p}: {exc}") from None
        fmt = "moground" if "positions" in keys else "smpl"
        if fmt == "smpl" and not keys & {"poses", "root_orient", "global_orient", "betas"}:
            raise UnreadableFile(
                f"{p.name}: missing keys: neither a MoGround npz (positions, joint_names, parents, fps) nor "
                f"SMPL parameters (poses, trans, betas...); it holds {sorted(keys)[:12]}"
            )
    if fmt == "moground":
        return read_npz(p)
    if fmt == "smpl":
        from .smpl import read_smpl_npz

        return read_smpl_npz(p, body_model=body_model, fps=fps, device=device)
    raise UnreadableFile(f"--format {fmt} does not apply to .npz files; use moground or smpl")
