"""The mark a batch run leaves on a segmented armature, so re-runs can skip it.

Stored as a JSON string in an ID custom property (``obj["moground_batch"]``)
because ID properties survive save/load in every Blender version and need no
registered add-on to read.
"""

from __future__ import annotations

import json
from typing import Any

STAMP_KEY = "moground_batch"


def make_stamp(prompt: str, method: str, version: str, track: str = "") -> str:
    """JSON text saying what produced the strips (prompt, method, moground version)."""
    return json.dumps(
        {"prompt": prompt, "method": method, "version": version, "track": track},
        sort_keys=True,
    )


def read_stamp(id_block: Any) -> dict | None:
    """The stamp on ``id_block`` (a bpy ID, or any mapping), or None if absent/garbled."""
    try:
        raw = id_block.get(STAMP_KEY)
    except Exception:  # noqa: BLE001 - a foreign ID type without .get
        return None
    if not raw:
        return None
    try:
        data = json.loads(str(raw))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def stamp_matches(stamp: dict | None, prompt: str, method: str, version: str) -> bool:
    """True when an earlier run used the same prompt, method and moground version."""
    return bool(stamp) and (
        stamp.get("prompt") == prompt
        and stamp.get("method") == method
        and stamp.get("version") == version
    )
