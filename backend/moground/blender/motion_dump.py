"""Dump the motion of every action every armature of a .blend can play, for indexing.

The library indexer (``moground index``, :mod:`moground.library.blend`) runs this
through the same job script as ``moground segment`` (bpy-module Python or
``blender -b FILE``), because reading a .blend needs Blender and Blender's Python
must never import torch. It writes one array per take to ``--dump-motion OUT.npz``
and the takes' names, skeletons and frame ranges to the result JSON; the indexer
encodes them in its own process.

An armature can play an action when the action is assigned to it or animates at
least one of its pose bones (legacy F-curves in Blender 4.2/4.3; the slot's channel
bag in 4.4+ slotted actions). Each action is assigned in turn, with the NLA muted so
that the take is the action alone, read with the add-on's reader, and the original
assignment is put back. The file is never saved.
"""

from __future__ import annotations

import argparse
import re
import time
import traceback
from pathlib import Path

import bpy  # type: ignore[import-not-found]
import numpy as np

from ..errors import MoGroundError
from . import motion_reader

DUMP_FLAG = "--dump-motion"
_BONE_PATH = re.compile(r'^pose\.bones\["((?:[^"\\]|\\.)*)"\]')


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="moground_blender_job --dump-motion", description=__doc__)
    p.add_argument("--input", required=True, help=".blend file")
    p.add_argument(DUMP_FLAG, dest="dump_motion", required=True, metavar="OUT.npz",
                   help="write one positions array per take here")
    p.add_argument("--result", default=None, help="write the result JSON here")
    return p.parse_args(argv)


def _fcurves(action, slot):
    """The F-curves ``slot`` of ``action`` drives: slotted (4.4+) or legacy."""
    layers = getattr(action, "layers", None)
    if layers is not None and len(layers) > 0:
        if slot is None:
            return
        for layer in layers:
            for strip in layer.strips:
                bag = strip.channelbag(slot) if hasattr(strip, "channelbag") else None
                if bag is not None:
                    yield from bag.fcurves
    elif hasattr(action, "fcurves"):  # legacy action (4.2/4.3, or a legacy action in 4.4)
        yield from action.fcurves


def _bone_hits(action, slot, bone_names: set[str]) -> int:
    """How many F-curves of ``action``/``slot`` animate a bone in ``bone_names``."""
    hits = 0
    for fc in _fcurves(action, slot):
        m = _BONE_PATH.match(fc.data_path)
        if m and re.sub(r"\\(.)", r"\1", m.group(1)) in bone_names:
            hits += 1
    return hits


def _object_slots(action) -> list:
    """Slots that can animate an object; ``[None]`` for a legacy action."""
    slots = getattr(action, "slots", None)
    if slots is None or (hasattr(action, "is_action_legacy") and action.is_action_legacy):
        return [None]
    return [s for s in slots if getattr(s, "target_id_type", "OBJECT") in ("OBJECT", "UNSPECIFIED")]


def playable_actions(obj) -> list[tuple[object, object]]:
    """(action, slot) pairs ``obj`` can play: the assigned one first, then every action
    whose F-curves animate its bones (the best-matching slot), by name."""
    anim = obj.animation_data
    assigned = anim.action if anim is not None else None
    assigned_slot = getattr(anim, "action_slot", None) if anim is not None else None
    bones = set(obj.pose.bones.keys())
    out = []
    if assigned is not None:
        out.append((assigned, assigned_slot))
    for action in sorted(bpy.data.actions, key=lambda a: a.name):
        if action == assigned:
            continue
        scored = [(_bone_hits(action, slot, bones), i, slot) for i, slot in enumerate(_object_slots(action))]
        best = max(scored, key=lambda s: (s[0], -s[1]), default=(0, 0, None))
        if best[0] > 0:
            out.append((action, best[2]))
    return out


class Assigned:
    """Temporarily play ``action`` (in ``slot``) on ``obj`` with the NLA muted; puts the
    object's own action, slot and NLA switch back on exit."""

    def __init__(self, obj, action, slot) -> None:
        self.obj, self.action, self.slot = obj, action, slot

    def __enter__(self):
        obj = self.obj
        self.created = obj.animation_data is None
        anim = obj.animation_data or obj.animation_data_create()
        self.saved = (anim.action, getattr(anim, "action_slot", None), anim.use_nla)
        if anim.use_tweak_mode:  # the tweaked strip's action cannot be swapped; read it as it plays
            return self
        try:
            anim.use_nla = False
            if anim.action != self.action:
                anim.action = self.action
            if self.slot is not None and hasattr(anim, "action_slot") and anim.action_slot != self.slot:
                anim.action_slot = self.slot
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        obj = self.obj
        if self.created:
            obj.animation_data_clear()
            return
        anim = obj.animation_data
        if anim.use_tweak_mode:
            return
        action, slot, use_nla = self.saved
        if anim.action != action:
            anim.action = action
        if slot is not None and getattr(anim, "action_slot", None) != slot:
            anim.action_slot = slot
        anim.use_nla = use_nla


def _scene_of(obj):
    scenes = list(obj.users_scene)
    return scenes[0] if scenes else bpy.context.scene


def dump_open_file(out: Path) -> tuple[list[dict], list[dict]]:
    """Every playable take of every armature in the open file → (takes, skipped);
    arrays go to ``out`` as ``take_0``, ``take_1``..."""
    takes, skipped, arrays = [], [], {}
    for obj in sorted((o for o in bpy.data.objects if o.type == "ARMATURE"), key=lambda o: o.name):
        if obj.animation_data is not None and obj.animation_data.use_tweak_mode:
            pairs = [(obj.animation_data.action, None)] if obj.animation_data.action else []
        else:
            pairs = playable_actions(obj)
        scene = _scene_of(obj)
        for action, slot in pairs:
            record = {"armature": obj.name, "action": action.name,
                      "slot": getattr(slot, "identifier", None) if slot is not None else None}
            try:
                with Assigned(obj, action, slot):
                    motion = motion_reader.read_armature_motion(obj, scene=scene)
            except motion_reader.MotionReadError as exc:
                skipped.append({**record, "error": f"[{exc.code}] {exc.message}"})
                continue
            except (RuntimeError, ValueError, TypeError) as exc:  # one odd action costs that take only
                skipped.append({**record, "error": f"[internal] {type(exc).__name__}: {exc}"})
                continue
            key = f"take_{len(takes)}"
            arrays[key] = motion.pop("positions")
            takes.append({**record, **motion, "array": key})
    np.savez(out, **arrays)
    return takes, skipped


def run(args: argparse.Namespace) -> dict:
    """Open the file and dump it; never raises, returns the result record."""
    from .job import open_blend  # the segment job's opener: same checks, same errors

    t0 = time.perf_counter()
    src = Path(args.input).resolve()
    result: dict = {"file": str(src), "status": "failed", "takes": [], "skipped": [], "error": "", "seconds": 0.0}
    try:
        if not src.is_file():
            raise MoGroundError(f"{src}: no such file")
        open_blend(src)
        result["takes"], result["skipped"] = dump_open_file(Path(args.dump_motion))
        result["status"] = "ok"
    except MoGroundError as exc:
        result["error"] = f"[{exc.code}] {exc.message}"
    except Exception as exc:  # noqa: BLE001 - the indexer reports it and moves on
        result["error"] = f"[internal] {type(exc).__name__}: {exc}"
        traceback.print_exc()
    finally:
        result["seconds"] = round(time.perf_counter() - t0, 3)
    return result
