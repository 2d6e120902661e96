""".blend files as library takes: one take per action each armature can play.

Blender reads the file, in a subprocess started exactly as ``moground segment`` starts
its jobs (the venv's ``bpy`` module, or ``blender -b FILE`` with ``--blender``), running
the job script in its read-only mode (:mod:`moground.blender.motion_dump`). The job
writes positions to a temporary npz and names and frame ranges to its result record;
this process turns them into clips. Torch never enters Blender's process, and a crash
inside Blender costs this one file.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..wire.errors import UnreadableFile
from ..motion import MotionClip
from .take import Take

log = logging.getLogger(__name__)

BLEND_TIMEOUT_S = 1800.0  # one file, every action: hour-long takes evaluate frame by frame


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


def read_blend_takes(path: str | os.PathLike, blender: str | None = None,
                     timeout_s: float = BLEND_TIMEOUT_S) -> list[Take]:
    """Every action every armature in ``path`` can play, as takes named
    ``ARMATURE/ACTION``; :class:`UnreadableFile` when Blender cannot read the file or
    it holds no readable take. The file is opened read-only and never saved."""
    from ..batch.driver import job_command, read_result

    src = Path(path).resolve()
    if blender is None and importlib.util.find_spec("bpy") is None:
        raise UnreadableFile(f"{src.name}: reading .blend files needs the bpy module in this Python "
                             "(pip install bpy) or a Blender executable (--blender PATH)")
    with tempfile.TemporaryDirectory(prefix="moground-blend-") as tmp:
        arrays_path, result_path = Path(tmp) / "motion.npz", Path(tmp) / "result.json"
        args = ["--input", str(src), "--dump-motion", str(arrays_path), "--result", str(result_path)]
        cmd = job_command(args, blender, src)
        env = {**os.environ, "MOGROUND_PARENT_PID": str(os.getpid())}  # the job dies with us
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env,
                                  start_new_session=True)
        except subprocess.TimeoutExpired:
            raise UnreadableFile(f"{src.name}: Blender did not finish reading it in {timeout_s:.0f} s") from None
        except OSError as exc:
            raise UnreadableFile(f"{src.name}: cannot start Blender ({exc})") from None
        data = read_result(result_path, proc.stdout)
        if data is None:
            raise UnreadableFile(f"{src.name}: the Blender job exited with status {proc.returncode}: "
                                 f"{_tail(proc.stderr or proc.stdout)}"[:1000])
        if data.get("status") != "ok":
            raise UnreadableFile(f"{src.name}: {data.get('error') or 'Blender could not read it'}")
        for miss in data.get("skipped", []):
            log.warning("%s: %s/%s not indexed: %s", src.name, miss["armature"], miss["action"], miss["error"])
        if not data["takes"]:
            why = "; ".join(f"{m['armature']}/{m['action']}: {m['error']}" for m in data.get("skipped", []))
            raise UnreadableFile(f"{src.name}: no armature with a readable action" + (f" ({why})" if why else ""))
        with np.load(arrays_path, allow_pickle=False) as arrays:
            return [_take(src, rec, arrays[rec["array"]]) for rec in data["takes"]]


def _take(src: Path, rec: dict, positions: np.ndarray) -> Take:
    """One dumped take as a clip in Blender's world space (Z up, scene units)."""
    name = f"{rec['armature']}/{rec['action']}"
    clip = MotionClip(
        positions=positions, joint_names=list(rec["bone_names"]), parents=list(rec["parents"]),
        fps=float(rec["fps"]), frame_start=float(rec["frame_start"]),
        units_to_m=float(rec.get("units_to_m", 1.0)), up_axis="Z", source=f"{src}::{name}",
        meta={"format": "blend", "armature": rec["armature"], "action": rec["action"], "slot": rec.get("slot")},
    )
    return Take(name, clip, armature=rec["armature"], action=rec["action"])
