"""Scratch files of one run in the system temp folder, named with the run's pid so that
the next run can remove what a killed one left behind (``sweep_leftovers``).

Names are ``moground-<kind>-<pid>-<random>``; the add-on's local backend log
(``wire/blender/local_backend.py``, vendored, so it writes the pattern itself) follows it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

KINDS = ("batch", "segment", "serve", "blend")
_NAME = re.compile(r"^moground-(?:%s)-(\d+)-" % "|".join(KINDS))


def scratch_prefix(kind: str) -> str:
    """``prefix=`` for tempfile: this process's scratch of ``kind``."""
    return f"moground-{kind}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def sweep_leftovers(folder: str | os.PathLike | None = None) -> list[Path]:
    """Remove this user's scratch files and folders whose run is gone; what was removed."""
    root = Path(folder or tempfile.gettempdir())
    removed = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _NAME.match(entry.name)
        if not match or _alive(int(match.group(1))):
            continue
        try:
            if entry.lstat().st_uid != os.getuid():
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
        except OSError:
            continue
    return removed
