"""Timeline markers at MoGround's boundaries: one per segment start, named after the
sub-action that starts there ("!" in front when the segment is low-confidence).

Markers cannot hold custom properties, so the scene remembers which ones MoGround
made (object, name, frame) in its ``moground_markers`` property; replacing and
clearing remove exactly those, and a marker the artist moved or renamed is theirs.
Imports only ``bpy`` (vendored into the add-on by build_addon.py).
"""

from __future__ import annotations

import json

import bpy  # noqa: F401  (the module runs inside Blender)

from .nla_writer import _plan

MARKERS_KEY = "moground_markers"
_MAX_NAME_BYTES = 63


def _name(label: str, low: bool) -> str:
    text = ("! " if low else "") + " ".join(str(label).split())
    return text.encode("utf-8")[:_MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip()


def _owned(scene) -> list[dict]:
    try:
        return list(json.loads(scene.get(MARKERS_KEY, "") or "[]"))
    except ValueError:
        return []


def clear_markers(scene, obj_name: str | None = None) -> int:
    """Remove MoGround's markers (for ``obj_name`` only, when given); returns how many."""
    owned, keep, removed = _owned(scene), [], 0
    for rec in owned:
        if obj_name is not None and rec.get("object") != obj_name:
            keep.append(rec)
            continue
        for m in scene.timeline_markers:
            if m.name == rec.get("name") and m.frame == rec.get("frame"):
                scene.timeline_markers.remove(m)
                removed += 1
                break
    if keep:
        scene[MARKERS_KEY] = json.dumps(keep)
    elif MARKERS_KEY in scene:
        del scene[MARKERS_KEY]
    return removed


def write_markers(scene, obj_name: str, segments: list[dict]) -> list:
    """Replace ``obj_name``'s MoGround markers with one per segment start. ``segments``
    are grounding segment dicts (``label``, ``start_frame``, ``end_frame``, optional
    ``low_confidence``); names and frames are the NLA strips' ("walk (2)" for a
    repeated phrase)."""
    plan = _plan({"segments": list(segments)})
    clear_markers(scene, obj_name)
    made, records = [], []
    for seg in plan:
        frame = seg["start"]
        name = _name(seg["name"], seg["low_confidence"])
        made.append(scene.timeline_markers.new(name, frame=frame))
        records.append({"object": obj_name, "name": name, "frame": frame})
    scene[MARKERS_KEY] = json.dumps(_owned(scene) + records)
    return made
