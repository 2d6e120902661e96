"""Load the add-on's motion reader and NLA writer from their files.

The batch must write strips exactly as the add-on does, so it imports the
add-on's own modules rather than a copy. They are loaded as submodules of a
synthetic package whose ``__path__`` is the add-on folder: relative imports
between add-on modules work, and the add-on's ``__init__`` (UI registration,
bundled wheels) is never executed.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from pathlib import Path

from ..errors import MoGroundError

PACKAGE_NAME = "_moground_addon"
REQUIRED = ("motion_reader.py", "nla_writer.py")


def candidate_dirs() -> list[Path]:
    """``$MOGROUND_ADDON_DIR``, the repository's ``blender_addon/``, installed extensions."""
    out: list[Path] = []
    env = os.environ.get("MOGROUND_ADDON_DIR")
    if env:
        out.append(Path(env))
    here = Path(__file__).resolve()
    out.append(here.parents[3] / "blender_addon")  # repo/backend/moground/batch → repo
    try:  # inside Blender: an installed MoGround extension or legacy add-on
        import addon_utils  # type: ignore[import-not-found]

        for folder in addon_utils.paths():
            base = Path(folder)
            out += [base / "moground", base / "moground_addon", base / "blender_addon"]
            out += [p for p in base.glob("*/moground") if p.is_dir()]
    except Exception:  # noqa: BLE001 - plain Python without Blender
        pass
    return out


def find_addon_dir(explicit: str | os.PathLike | None = None) -> Path:
    """First candidate folder holding both modules; clear error otherwise."""
    cands = [Path(explicit)] if explicit else candidate_dirs()
    for c in cands:
        if all((c / name).is_file() for name in REQUIRED):
            return c.resolve()
    raise MoGroundError(
        "MoGround add-on modules (motion_reader.py, nla_writer.py) not found; looked in "
        + ", ".join(str(c) for c in cands)
        + " (set MOGROUND_ADDON_DIR)"
    )


def load_addon_module(name: str, addon_dir: str | os.PathLike | None = None):
    """Import ``<addon>/<name>.py`` as ``_moground_addon.<name>``."""
    pkg = sys.modules.get(PACKAGE_NAME)
    if pkg is None:
        folder = find_addon_dir(addon_dir)
        pkg = types.ModuleType(PACKAGE_NAME)
        pkg.__path__ = [str(folder)]  # type: ignore[attr-defined]
        pkg.__package__ = PACKAGE_NAME
        sys.modules[PACKAGE_NAME] = pkg
    return importlib.import_module(f"{PACKAGE_NAME}.{name}")
