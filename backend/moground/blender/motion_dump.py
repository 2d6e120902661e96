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
import time
import traceback
from pathlib import Path

import bpy  # type: ignore[import-not-found]
import numpy as np

from ..wire.errors import MoGroundError
from ..wire.blender import motion_reader
from .blend_file import open_blend  # the segment job's opener: same checks, same errors
from ..wire.blender.actions import Assigned, playable_actions

DUMP_FLAG = "--dump-motion"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="moground_blender_job --dump-motion", description=__doc__)
    p.add_argument("--input", required=True, help=".blend file")
    p.add_argument(DUMP_FLAG, dest="dump_motion", required=True, metavar="OUT.npz",
                   help="write one positions array per take here")
    p.add_argument("--result", default=None, help="write the result JSON here")
    return p.parse_args(argv)


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
