"""Segment ONE file inside Blender: the unit of work of the batch and of the farm.

Runs in three hosts with the same code: a worker subprocess of ``moground
segment`` (the ``bpy`` module), ``blender -b FILE --python
moground/blender/job_script.py -- ...`` (``--blender PATH``), and a Flamenco
task. Imports only bpy, numpy, pyzmq (via the torch-free client) and the
torch-free parts of moground, among them the reader and writer the add-on uses, so
Blender's bundled Python can run it.

Exit status 0 = segmented or skipped, 1 = failed; the result is printed as one
``MOGROUND_RESULT {json}`` line and, with ``--result``, written as JSON.

With ``--dump-motion OUT.npz`` the job reads instead of segmenting: every action every
armature can play, for ``moground index`` (see :mod:`.motion_dump`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

import bpy  # type: ignore[import-not-found]

from ..wire.methods import DEFAULT_METHOD
from .. import __version__
from ..wire.errors import BadMotion, BadRequest, MoGroundError, UnreadableFile
from ..batch import safe_save
from ..wire.client import Client
from ..wire.options import GroundOptions
from ..wire.blender import bake, motion_reader, nla_writer
from .blend_file import open_blend
from .stamp import STAMP_KEY, make_stamp, read_stamp, stamp_matches

RESULT_TAG = "MOGROUND_RESULT"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="moground_blender_job", description=__doc__)
    p.add_argument("--input", required=True, help=".blend file, or a mocap take with --mocap")
    p.add_argument("--mocap", action="store_true", help="import BVH/FBX/AMC/.npz/.npy, save .blend beside it")
    p.add_argument("--prompt", required=True)
    p.add_argument("--method", default=DEFAULT_METHOD)
    p.add_argument("--backend", required=True, help="tcp://HOST:PORT of a moground backend")
    p.add_argument("--armature", default=None)
    p.add_argument("--force", action="store_true")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per backend request")
    p.add_argument("--retries", type=int, default=2)
    p.add_argument("--result", default=None, help="write the result JSON here")
    p.add_argument("--options", default=None, help="JSON object of engine options")
    p.add_argument("--export-actions", action="store_true", help="bake one action per sub-action into the file")
    p.add_argument("--keep-frames", action="store_true", help="baked actions keep the source frame numbers")
    p.add_argument("--export-fbx", default=None, metavar="DIR", help="one FBX per sub-action in DIR/<file stem>/")
    return p.parse_args(argv)


# ---------------------------------------------------------------- opening

def pick_armature(name: str | None) -> bpy.types.Object:
    """The named armature, or the only animated one; ambiguity is an error."""
    arms = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    if name:
        obj = bpy.data.objects.get(name)
        if obj is None or obj.type != "ARMATURE":
            raise BadRequest(
                f"no armature named {name!r}; armatures here: {sorted(o.name for o in arms)}"
            )
        return obj
    animated = [o for o in arms if o.animation_data and o.animation_data.action]
    if not animated:
        raise BadMotion("no armature with an action in this file")
    if len(animated) > 1:
        raise BadRequest(
            f"several animated armatures {sorted(o.name for o in animated)}: pass --armature NAME"
        )
    return animated[0]


def _scene_of(obj: bpy.types.Object) -> bpy.types.Scene:
    scenes = list(obj.users_scene)
    return scenes[0] if scenes else bpy.context.scene


# ---------------------------------------------------------------- grounding

def ground_armature(obj, scene, args) -> tuple[dict, object]:
    """Read the motion, ground it, write strips: the add-on's reader and writer."""
    motion = motion_reader.read_armature_motion(obj, scene=scene)
    needed = os.environ.get("MOGROUND_BACKEND_NEEDED")
    if needed:  # `moground segment` starts its local backend on this signal; the request waits for it
        try:
            Path(needed).touch()
        except OSError:
            pass
    options = GroundOptions.from_mapping(json.loads(args.options) if args.options else None)
    with Client(args.backend, timeout_s=args.timeout, retries=args.retries) as client:
        reply = client.ground_motion(motion, args.prompt, method=args.method, options=options)  # raises on errors
    track = nla_writer.write_segments(obj, reply, args.prompt, args.method)
    return reply, track


def export_segments(obj, reply: dict, args, target: Path) -> dict:
    """Bake one action per sub-action; with --export-fbx write one FBX each. Without
    --export-actions the baked actions are only for the FBX files and are removed."""
    actions = bake.bake_actions(obj, reply, shift_to_zero=not args.keep_frames)
    out = {"actions": [a.name for a in actions] if args.export_actions else [], "fbx": []}
    try:
        if args.export_fbx:
            out["fbx"] = bake.export_fbx(obj, actions, str(Path(args.export_fbx) / target.stem))
    finally:
        if not args.export_actions:
            for act in actions:
                bpy.data.actions.remove(act)
    return out


# ---------------------------------------------------------------- saving

def verify_saved(tmp: Path, obj_name: str, stamp: str, track_name: str, n_strips: int) -> None:
    """Re-open the temp file and check the strips and stamp really are in it."""
    bpy.ops.wm.open_mainfile(filepath=str(tmp), load_ui=False)
    obj = bpy.data.objects.get(obj_name)
    if obj is None:
        raise MoGroundError(f"verify: {obj_name!r} missing from the saved file")
    if obj.get(STAMP_KEY) != stamp:
        raise MoGroundError("verify: batch stamp missing from the saved file")
    ad = obj.animation_data
    track = ad.nla_tracks.get(track_name) if ad else None
    if track is None or len(track.strips) != n_strips:
        found = len(track.strips) if track else 0
        raise MoGroundError(f"verify: track {track_name!r} has {found} strips, expected {n_strips}")


def save_safely(target: Path, obj_name: str, stamp: str, track_name: str, n_strips: int,
                original_stat: os.stat_result | None) -> None:
    """Temp file beside ``target`` → re-open and verify → atomic replace with backup."""
    tmp = safe_save.temp_path_for(target)
    try:
        bpy.ops.wm.save_as_mainfile(filepath=str(tmp), copy=True, check_existing=False)
        verify_saved(tmp, obj_name, stamp, track_name, n_strips)
        if original_stat is not None:
            now = target.stat()
            if (now.st_mtime_ns, now.st_size) != (original_stat.st_mtime_ns, original_stat.st_size):
                raise MoGroundError(f"{target.name} changed on disk while it was segmented; left alone")
        safe_save.commit(tmp, target)
    finally:
        safe_save.clean_stale_temp(target)


# ---------------------------------------------------------------- one file

def run(args: argparse.Namespace) -> dict:
    """Do the whole job for one file; never raises, returns the result record."""
    t0 = time.perf_counter()
    src = Path(args.input).resolve()
    result = {"file": str(src), "armature": "", "prompt": args.prompt, "method": args.method,
              "status": "failed", "segments": [], "seconds": 0.0, "error": "", "output": ""}
    try:
        target = src.with_suffix(".blend") if args.mocap else src
        result["output"] = str(target)
        safe_save.clean_stale_temp(target)
        original_stat = target.stat() if target.exists() else None
        if not src.exists():
            raise UnreadableFile(f"{src}: no such file")
        if args.mocap and original_stat is None:
            from .mocap_import import import_take

            obj = import_take(src, armature=args.armature)
        else:  # a .blend, or a mocap take whose .blend an earlier run already saved
            open_blend(target)
            obj = pick_armature(args.armature)
        result["armature"] = obj.name
        prior = read_stamp(obj)
        if not args.force and stamp_matches(prior, args.prompt, args.method, __version__):
            result["status"] = "skipped"
            return result
        safe_save.check_writable(target)  # a read-only file is refused before the grounding work
        reply, track = ground_armature(obj, _scene_of(obj), args)
        segments = reply["segments"]
        if args.export_actions or args.export_fbx:
            result.update(export_segments(obj, reply, args, target))
        stamp = make_stamp(args.prompt, args.method, __version__, track.name)
        obj[STAMP_KEY] = stamp
        save_safely(target, obj.name, stamp, track.name, len(track.strips), original_stat)
        result.update(status="ok", segments=segments)
    except MoGroundError as exc:
        result["error"] = f"[{exc.code}] {exc.message}"
    except PermissionError as exc:
        result["error"] = f"[not_writable] {exc.filename or ''}: {exc.strerror or exc}"
    except (ValueError, RuntimeError) as exc:  # the add-on's reader/writer errors carry a code
        code = getattr(exc, "code", None)
        if code:
            result["error"] = f"[{code}] {getattr(exc, 'message', exc)}"
        else:
            result["error"] = f"[internal] {type(exc).__name__}: {exc}"
            traceback.print_exc()
    except Exception as exc:  # noqa: BLE001 - one bad file must not lose the record
        result["error"] = f"[internal] {type(exc).__name__}: {exc}"
        traceback.print_exc()
    finally:
        result["seconds"] = round(time.perf_counter() - t0, 3)
    return result


def write_result(result: dict, path: str | None) -> None:
    print(f"{RESULT_TAG} {json.dumps(result)}", flush=True)
    if path:
        out = Path(path)
        tmp = out.with_name(out.name + ".part")
        tmp.write_text(json.dumps(result), encoding="utf-8")
        os.replace(tmp, out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" in argv:  # blender ... --python job.py -- ARGS
        argv = argv[argv.index("--") + 1:]
    from . import motion_dump

    dump = motion_dump.DUMP_FLAG in argv  # `moground index`: read every take, save nothing
    args = motion_dump.parse_args(argv) if dump else parse_args(argv)
    if os.environ.get("MOGROUND_PARENT_PID", "").isdigit():  # started by `moground segment`/`index`
        from ..lifeline import die_with_parent

        die_with_parent(int(os.environ["MOGROUND_PARENT_PID"]), signal.SIGKILL)  # saves are atomic
    result = motion_dump.run(args) if dump else run(args)
    write_result(result, args.result)
    return 0 if result["status"] in ("ok", "skipped") else 1


if __name__ == "__main__":
    sys.exit(main())
