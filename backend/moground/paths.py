"""Where MoGround finds the shared mocap data and its own package files."""

from __future__ import annotations

import os
from pathlib import Path

from .wire.errors import MoGroundError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent.parent
BUILTIN_WEIGHTS = PACKAGE_DIR / "weights" / "builtin.pt"  # the default: CMU data only, commercial use
BUILTIN_NC_WEIGHTS = PACKAGE_DIR / "weights" / "builtin_nc.pt"  # ``builtin-nc``: non-commercial data too


def data_root(explicit: str | os.PathLike | None = None, *, required: bool = True) -> Path | None:
    """The shared data folder: ``explicit``, else ``$MOGROUND_DATA``, else
    ``../shared/data`` beside the repository checkout."""
    for cand in (explicit, os.environ.get("MOGROUND_DATA"), REPO_DIR.parent / "shared" / "data"):
        if cand and Path(cand).is_dir():
            return Path(cand)
    if required:
        raise MoGroundError(
            "motion data folder not found: pass --data DIR or set MOGROUND_DATA "
            "(expected the layout of shared/data with cmu/, bandai/, splits.json)"
        )
    return None
