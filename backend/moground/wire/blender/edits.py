"""What the artist changed on MoGround's strips since the last run, as constraints for
the next one, so a re-run keeps their work.

NLA tracks and strips cannot hold custom properties (bpy 4.2-5.0), so identity lives on
the armature object: ``nla_writer.RESULT_KEY`` records the track MoGround wrote, its
sub-actions, and per strip the index, the name it was given and its range. A strip is
found again by that name, else by order and range (a renamed strip keeps its place);
the track by its recorded name, else as the one holding those strips (a renamed track).

A strip the artist moved, resized or renamed, or marked kept in the list, becomes a
kept segment at its current range and keeps its current name. A locked track is never
overwritten. When the prompt now decomposes into other sub-actions, a kept segment
whose index or label no longer fits is dropped, and the add-on names it.

Vendored into the add-on by build_addon.py; ``constraints_for`` runs on the add-on's
worker thread and touches no Blender data.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from .nla_writer import RESULT_KEY


@dataclass
class KeptStrip:
    index: int  # 0-based sub-action index
    label: str
    name: str  # the strip's current name (the artist's, if renamed)
    start: int
    end: int  # exclusive
    why: str  # "moved", "renamed", "kept"


@dataclass
class ArtistEdits:
    """What the next run must keep; ``track`` is the MoGround track found (or None)."""

    track: object = None
    track_name: str = ""
    locked: bool = False
    prompt: str = ""
    sub_actions: list[str] = field(default_factory=list)
    kept: list[KeptStrip] = field(default_factory=list)
    cuts: list[tuple[int, int]] = field(default_factory=list)  # (index of the sub-action before, frame)
    pins: list[dict] = field(default_factory=list)  # {"index", "frame", "name"}: cut after sub-action index

    def to_data(self) -> dict:
        """Plain data for the worker thread (no bpy objects)."""
        return {"prompt": self.prompt, "sub_actions": list(self.sub_actions),
                "kept": [vars(k) for k in self.kept], "pins": list(self.pins)}

    def pin_nearest(self, frame: int) -> None:
        """Pin the cut nearest to ``frame`` there ("Re-ground from here"); a kept strip
        on either side of it follows the pin with that edge (and is let go if that
        leaves it empty)."""
        if not self.cuts:
            return
        index = min(self.cuts, key=lambda c: abs(c[1] - frame))[0]
        name = f"cut after '{self.sub_actions[index] if index < len(self.sub_actions) else index + 1}'"
        self.pins.append({"index": index, "frame": int(frame), "name": name,
                          "labels": self.sub_actions[index : index + 2]})
        for k in self.kept:
            if k.index == index:
                k.end = int(frame)
            elif k.index == index + 1:
                k.start = int(frame)
        self.kept = [k for k in self.kept if k.end > k.start]


def stored_result(obj) -> dict:
    try:
        data = json.loads(obj.get(RESULT_KEY) or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _range(strip) -> tuple[int, int]:
    return math.floor(strip.frame_start + 0.5), math.floor(strip.frame_end + 0.5)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def match_strips(strips: list, written: list[dict]) -> dict[int, object]:
    """{index in ``written``: strip}: by the name MoGround gave it, then the remaining
    ones by order where their ranges overlap (a renamed strip)."""
    out: dict[int, object] = {}
    by_name = {s.name: s for s in strips}
    for i, seg in enumerate(written):
        strip = by_name.get(seg.get("name"))
        if strip is not None:
            out[i] = strip
    used = {id(s) for s in out.values()}
    rest = sorted((s for s in strips if id(s) not in used), key=lambda s: s.frame_start)
    free = [i for i in range(len(written)) if i not in out]
    for i, strip in zip(free, rest):
        if _overlap(_range(strip), (written[i]["start"], written[i]["end"])) > 0:
            out[i] = strip
    return out


def find_track(obj, stored: dict):
    """MoGround's main track on ``obj``: by its recorded name, else the track that holds
    most of the recorded strips (the artist renamed it)."""
    anim = obj.animation_data
    if anim is None or not stored.get("segments"):
        return None
    name = stored.get("track")
    for track in anim.nla_tracks:
        if track.name == name:
            return track
    written = [s for s in stored["segments"] if s.get("lane", 0) == 0]
    best, best_n = None, 0
    for track in anim.nla_tracks:
        n = len(match_strips(list(track.strips), written))
        if n > best_n:
            best, best_n = track, n
    return best if best_n * 2 >= len(written) else None


def read_edits(obj, kept_indices: set[int] | None = None) -> ArtistEdits:
    """The artist's edits on ``obj``'s MoGround track since the last run (none when
    MoGround never wrote there, or its track is gone)."""
    stored = stored_result(obj)
    track = find_track(obj, stored)
    edits = ArtistEdits(prompt=str(stored.get("prompt", "")), sub_actions=list(stored.get("sub_actions") or []))
    if track is None:
        return edits
    edits.track, edits.track_name, edits.locked = track, track.name, bool(track.lock)
    written = [s for s in stored["segments"] if s.get("lane", 0) == 0]
    kept_indices = set(kept_indices or ()) | {s["index"] for s in written if s.get("kept")}
    for i, strip in match_strips(list(track.strips), written).items():
        seg = written[i]
        now = _range(strip)
        why = ("moved" if now != (seg["start"], seg["end"]) else "renamed" if strip.name != seg["name"]
               else "kept" if seg["index"] in kept_indices else "")
        if why:
            edits.kept.append(KeptStrip(seg["index"], seg["label"], strip.name, now[0], now[1], why))
    edits.kept.sort(key=lambda k: k.index)
    ranges = sorted((seg["index"], _range(strip)) for i, strip in match_strips(list(track.strips), written).items()
                    for seg in [written[i]])
    edits.cuts = [(i, r[1]) for (i, r), (j, _) in zip(ranges, ranges[1:]) if j == i + 1]
    return edits


def constraints_for(kept: list[dict], sub_actions: list[str], pins: list[dict] = ()) -> tuple[dict, list[str]]:
    """(the wire constraints, the names of kept strips and pins dropped) for a run whose
    prompt gives ``sub_actions``: a kept strip stays if its sub-action has the same index
    and label, a pin if the two sub-actions around it do; strips out of order with
    another kept one are dropped too."""
    keeps, dropped, last_end = [], [], None
    out: dict = {}
    for p in pins:
        if sub_actions[p["index"] : p["index"] + 2] == p["labels"] and p["index"] + 1 < len(sub_actions):
            out.setdefault("pins", []).append({"after": p["index"] + 1, "frame": p["frame"]})
        else:
            dropped.append(p["name"])
    for k in sorted(kept, key=lambda k: k["index"]):
        fits = k["index"] < len(sub_actions) and sub_actions[k["index"]] == k["label"]
        if not fits or (last_end is not None and k["start"] < last_end):
            dropped.append(k["name"])
            continue
        keeps.append({"index": k["index"] + 1, "start": k["start"], "end": k["end"]})
        last_end = k["end"]
    if keeps:
        out["keeps"] = keeps
    return out, dropped
