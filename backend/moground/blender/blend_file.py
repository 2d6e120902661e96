"""Opening a .blend in a headless job: one opener, so the segment job and the motion
dump refuse an unreadable file with the same coded error."""

from __future__ import annotations

import os
from pathlib import Path

import bpy  # type: ignore[import-not-found]

from ..wire.errors import UnreadableFile


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return bool(a) and bool(b) and os.path.samefile(a, b)
    except OSError:
        return False


def open_blend(path: Path) -> None:
    """Open ``path`` unless Blender already has it open (``blender -b FILE``)."""
    if _same_file(bpy.data.filepath, path):
        return
    try:
        bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    except RuntimeError as exc:
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
        raise UnreadableFile(f"{path.name}: cannot open as .blend ({msg})") from exc
