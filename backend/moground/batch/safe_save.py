"""Replace a file atomically, keeping a ``.blend1``-style backup.

The only moment the original path changes is one ``os.replace`` of a complete,
fsynced and verified temporary file from the same folder (same file system, so
the rename is atomic). A crash or kill at any point leaves either the untouched
original or the complete new file, never a mix.
"""

from __future__ import annotations

import os
from pathlib import Path

TMP_MARK = ".moground-tmp"


def temp_path_for(target: Path) -> Path:
    """Fixed hidden temp name beside ``target`` (fixed so a re-run can clean it up)."""
    return target.with_name(f".{target.stem}{TMP_MARK}{target.suffix or '.blend'}")


def backup_path_for(target: Path) -> Path:
    """Blender's own convention: ``take.blend`` → ``take.blend1``."""
    return target.with_name(target.name + "1")


def is_temp_artifact(path: Path) -> bool:
    """Files our saves (or Blender's ``file@`` writes) leave behind: never inputs."""
    return TMP_MARK in path.name or path.name.endswith("@")


def clean_stale_temp(target: Path) -> None:
    """Remove a temp file left by a killed earlier run (it was never the original)."""
    tmp = temp_path_for(target)
    for p in (tmp, tmp.with_name(tmp.name + "@")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_backup(original: Path) -> None:
    """Backup via hard link (instant) or copy, itself swapped in atomically."""
    backup = backup_path_for(original)
    staging = backup.with_name(f".{backup.name}{TMP_MARK}")
    try:
        staging.unlink()
    except FileNotFoundError:
        pass
    try:
        os.link(original, staging)
    except OSError:
        import shutil

        shutil.copy2(original, staging)
    os.replace(staging, backup)


def commit(tmp: Path, target: Path, *, backup: bool = True) -> None:
    """Atomically move the verified ``tmp`` over ``target`` (backup first if it exists)."""
    fsync_file(tmp)
    if backup and target.exists():
        _write_backup(target)
    os.replace(tmp, target)
    fsync_dir(target.parent)
