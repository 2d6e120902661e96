"""Write grounding results as NLA strips: one strip per segment, on MoGround's own tracks.

Shared by the add-on's operator (vendored into the extension by build_addon.py) and
the batch job, so it imports only ``bpy``.

Rules that keep the artist's file safe:
- everything is validated before the first edit, and a failure while writing removes
  what was added, so the file gets all strips or none;
- the active action is only referenced by the strips, never modified or unassigned;
- MoGround's tracks are remembered by name in the object's ``moground_tracks`` custom
  property (NLA tracks cannot hold custom properties); re-running replaces exactly
  those, and a track the artist renamed becomes theirs and is left alone.
"""

from __future__ import annotations

import json
import math

import bpy

OWNED_TRACKS_KEY = "moground_tracks"
RESULT_KEY = "moground_result"
_MAX_NAME_BYTES = 63  # Blender names hold 63 UTF-8 bytes


class NlaWriteError(ValueError):
    """Why nothing was written; ``code`` is stable for UIs and batch logs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _clip_name(text: str, reserve: int = 0) -> str:
    """Shorten to what a Blender name holds, leaving ``reserve`` bytes for a suffix."""
    text = " ".join(str(text).split()) or "MoGround"
    data = text.encode("utf-8")[: _MAX_NAME_BYTES - reserve]
    return data.decode("utf-8", errors="ignore").rstrip()


def _plan(reply: dict) -> list[dict]:
    """Validated segments with integer frame ranges, sorted by start."""
    segments = reply.get("segments") if isinstance(reply, dict) else None
    if not isinstance(segments, list) or not segments:
        raise NlaWriteError("bad_reply", "The backend returned no segments; nothing was written")
    plan = []
    for i, seg in enumerate(segments):
        try:
            label = str(seg["label"]).strip()
            start, end = float(seg["start_frame"]), float(seg["end_frame"])
            score = float(seg.get("score", 0.0))
        except (KeyError, TypeError, ValueError) as exc:
            raise NlaWriteError("bad_reply", f"Segment {i} is malformed ({exc}); nothing was written")
        if not label or not (math.isfinite(start) and math.isfinite(end)) or end <= start:
            raise NlaWriteError(
                "bad_reply", f"Segment {i} ('{label}') has an invalid range {start}..{end}"
            )
        # End is exclusive: [10, 20) becomes a strip from frame 10 to 20, ten frames long.
        first = math.floor(start + 0.5)  # whole frames from the backend; halves round up, never to even
        plan.append({"label": label, "start": first, "end": max(first + 1, math.floor(end + 0.5)),
                     "score": score, "index": int(seg.get("index", i)),
                     "low_confidence": bool(seg.get("low_confidence", False))})
    _name_repeats(plan)
    return sorted(plan, key=lambda s: (s["start"], s["end"]))


def _name_repeats(plan: list[dict]) -> None:
    """``name`` of each segment: its label, and for a label the prompt repeats, "walk",
    "walk (2)", "walk (3)" in prompt order (strips, markers and baked actions share
    it; Blender's own ".001" would say nothing about the order)."""
    seen: dict[str, int] = {}
    for seg in sorted(plan, key=lambda s: s["index"]):
        n = seen[seg["label"]] = seen.get(seg["label"], 0) + 1
        seg["name"] = _clip_name(seg["label"]) if n == 1 else f"{_clip_name(seg['label'], reserve=6)} ({n})"


def _assign_lanes(plan: list[dict]) -> int:
    """Put overlapping segments on extra lanes (greedy interval partitioning)."""
    lane_ends: list[int] = []
    for seg in plan:
        for lane, end in enumerate(lane_ends):
            if end <= seg["start"]:
                seg["lane"], lane_ends[lane] = lane, seg["end"]
                break
        else:
            seg["lane"] = len(lane_ends)
            lane_ends.append(seg["end"])
    return len(lane_ends)


def owned_tracks(obj) -> list:
    """The NLA tracks MoGround wrote on ``obj`` that still carry the name it gave them."""
    anim = obj.animation_data
    names = list(obj.get(OWNED_TRACKS_KEY, []) or [])
    if anim is None:
        return []
    return [t for t in anim.nla_tracks if t.name in names]


def _new_strip(track, seg: dict, action, slot):
    strip = track.strips.new(seg["name"], seg["start"], action)
    strip.name = seg["name"]  # 4.5 ignores the name given to new()
    if slot is not None and hasattr(strip, "action_slot"):
        strip.action_slot = slot
    strip.action_frame_start = seg["start"]
    strip.action_frame_end = seg["end"]
    strip.extrapolation = "NOTHING"  # a strip only plays inside its own range
    return strip


def write_segments(obj, reply: dict, prompt: str, method: str):
    """Replace MoGround's tracks on ``obj`` with one strip per segment of ``reply``.

    ``reply`` is a grounding result dict (``segments`` with ``label``,
    ``start_frame``, exclusive ``end_frame``, ``score``), as the client returns it.
    Returns the main track, named after the prompt; overlapping
    segments go to extra tracks named "<prompt> (2)", ...
    """
    if obj is None or getattr(obj, "type", None) != "ARMATURE":
        raise NlaWriteError("no_armature", "NLA strips can only be written to an armature")
    anim = obj.animation_data
    action = anim.action if anim is not None else None
    if action is None:
        raise NlaWriteError("no_action", f"Armature '{obj.name}' has no action assigned")
    slot = getattr(anim, "action_slot", None)
    plan = _plan(reply)
    n_lanes = _assign_lanes(plan)
    base = _clip_name(prompt, reserve=5)
    names = [base if lane == 0 else f"{base} ({lane + 1})" for lane in range(n_lanes)]

    created, strips = [], []
    try:
        for _ in names:
            track = anim.nla_tracks.new()
            created.append(track)
        for seg in plan:
            strips.append((_new_strip(created[seg["lane"]], seg, action, slot), seg["name"]))
    except Exception as exc:  # roll back: the file gets all strips or none
        for track in created:
            anim.nla_tracks.remove(track)
        raise NlaWriteError("write_failed", f"Could not write NLA strips ({exc}); nothing was written")

    for track in owned_tracks(obj):
        anim.nla_tracks.remove(track)
    # Names are unique per object: now that the old strips are gone, ours get theirs.
    for track, name in zip(created, names):
        track.name = name
    for strip, label in strips:
        strip.name = label
    obj[OWNED_TRACKS_KEY] = [t.name for t in created]
    obj[RESULT_KEY] = json.dumps({
        "prompt": prompt,
        "method": method,
        "segments": [{k: s[k] for k in ("label", "name", "index", "start", "end", "score", "low_confidence")}
                     for s in plan],
    })
    return created[0]


def add_strip(obj, action, slot, name: str, start: float, end: float):
    """One strip of ``action`` over source frames [start, end) on a new track of its
    own, both named ``name`` (a found moment the artist keeps); MoGround does not own
    the track, so Segment and Clear leave it alone. Returns the track."""
    if obj is None or getattr(obj, "type", None) != "ARMATURE":
        raise NlaWriteError("no_armature", "NLA strips can only be written to an armature")
    first = math.floor(float(start) + 0.5)
    seg = {"name": _clip_name(name), "start": first, "end": max(first + 1, math.floor(float(end) + 0.5))}
    anim = obj.animation_data or obj.animation_data_create()
    track = anim.nla_tracks.new()
    try:
        _new_strip(track, seg, action, slot)
    except Exception as exc:  # nothing half-written
        anim.nla_tracks.remove(track)
        raise NlaWriteError("write_failed", f"Could not add the strip ({exc}); nothing was written")
    track.name = seg["name"]
    return track
