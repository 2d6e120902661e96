"""Replace a file atomically, keeping a ``.blend1``-style backup.

The only moment the original path changes is one ``os.replace`` of a complete,
fsynced and verified temporary file from the same folder (same file system, so
the rename is atomic). A crash or kill at any point leaves either the untouched
original or the complete new file, never a mix. The new file keeps the original's
permission bits, owner (where we may set it) and group; a read-only original is
refused, as Blender refuses it, and permission problems are ``not_writable`` errors.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..wire.errors import NotWritable

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


def check_writable(target: Path) -> None:
    """NotWritable unless we may replace ``target`` (or create it): the file has write
    permission (checked on the mode bits too, since root passes ``os.access``) and its
    folder accepts new files. Called before any work on the file."""
    target = Path(target)
    try:
        st = target.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise NotWritable(f"{target}: {exc.strerror or exc}") from None
    if st is not None:
        writable = bool(st.st_mode & 0o222) if os.geteuid() == 0 else os.access(target, os.W_OK)
        if not writable:
            raise NotWritable(f"{target.name} is read-only ({stat.filemode(st.st_mode)}); left alone. "
                              "Make it writable to segment it.")
    folder = target.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise NotWritable(f"cannot create files in {folder} (permission denied); {target.name} left alone")


def keep_permissions(tmp: Path, original: os.stat_result) -> None:
    """Give ``tmp`` the original's group and owner (as far as we may) and mode bits."""
    try:
        os.chown(tmp, original.st_uid, original.st_gid)
    except PermissionError:
        try:
            os.chown(tmp, -1, original.st_gid)
        except PermissionError:
            raise NotWritable(f"cannot give the new file the original's group (gid {original.st_gid}); "
                              "the original was left alone") from None
    os.chmod(tmp, stat.S_IMODE(original.st_mode))  # after chown, which may clear set-id bits


def commit(tmp: Path, target: Path, *, backup: bool = True) -> None:
    """Atomically move the verified ``tmp`` over ``target`` (backup first if it exists),
    keeping the original's mode, owner and group on the new file."""
    try:
        fsync_file(tmp)
        try:
            original = os.stat(target)
        except FileNotFoundError:
            original = None
        if original is not None:
            check_writable(target)
            keep_permissions(tmp, original)
            if backup:
                _write_backup(target)
        os.replace(tmp, target)
    except PermissionError as exc:
        raise NotWritable(f"cannot replace {target}: {exc.strerror or exc}") from None
    fsync_dir(target.parent)
