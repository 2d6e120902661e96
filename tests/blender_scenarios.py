"""Scenarios that run inside a fresh Blender (the ``bpy`` module) for test_blender_addon.py.

Each scenario runs in its own process, because ``bpy`` can be imported once per
process and its user folders come from environment variables read at import. The
process prints one line ``RESULT <json>`` for the test to check. Usage:

    python tests/blender_scenarios.py SCENARIO ZIP [key=value ...]
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import os
import sys
from pathlib import Path

import bpy
import numpy as np

MODULE = "bl_ext.user_default.moground"


def site_packages() -> Path:
    """Where Blender extracts the wheels of extensions in this user folder."""
    ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return Path(bpy.utils.user_resource("EXTENSIONS")) / ".local" / "lib" / ver / "site-packages"


class _BundledZmqOnly(importlib.abc.MetaPathFinder):
    """Load ``zmq`` only from the extension's wheel, never from the test venv."""

    def find_spec(self, name, path=None, target=None):
        if name != "zmq":
            return None
        return importlib.machinery.PathFinder.find_spec(name, [str(site_packages())])


def install(zip_path: str) -> None:
    if MODULE in bpy.context.preferences.addons:
        return
    if (Path(bpy.utils.user_resource("EXTENSIONS")) / "user_default" / "moground").exists():
        bpy.ops.preferences.addon_enable(module=MODULE)
    else:
        bpy.ops.extensions.package_install_files(filepath=os.path.abspath(zip_path),
                                                 repo="user_default", enable_on_install=True)
    assert MODULE in bpy.context.preferences.addons, "the extension did not enable"


def prefs():
    return bpy.context.preferences.addons[MODULE].preferences


def import_bvh(path: str):
    """Import with Blender's BVH importer (centimetres to metres, the file's fps)."""
    bpy.ops.import_anim.bvh(filepath=path, global_scale=0.01, update_scene_fps=True,
                            update_scene_duration=True)
    return bpy.context.active_object


def nla_state(obj) -> list:
    anim = obj.animation_data
    return [
        [t.name, [[s.name, s.frame_start, s.frame_end, s.action_frame_start, s.action_frame_end,
                   s.action.name if s.action else None,
                   getattr(getattr(s, "action_slot", None), "identifier", None)]
                  for s in t.strips]]
        for t in (anim.nla_tracks if anim else [])
    ]


def motion_digest(obj) -> list:
    """Positions of the motion at a few frames: changes if the action is modified."""
    from_reader = load_reader().read_armature_motion(obj)
    pos = from_reader["positions"]
    return [float(x) for x in pos[:: max(1, len(pos) // 7)].sum(axis=(1, 2))]


def load_reader():
    return sys.modules[f"{MODULE}.wire.blender.motion_reader"]


def run_segment(prompt: str, method: str, undo: bool = True) -> str | None:
    """Run the operator the way a UI click records it (with an undo push); its error."""
    try:
        bpy.ops.moground.segment("EXEC_DEFAULT", undo, prompt=prompt, method=method)
        return None
    except RuntimeError as exc:
        return str(exc)


def obj_state(name: str) -> dict:
    obj = bpy.data.objects[name]
    return {"nla": nla_state(obj), "action": obj.animation_data.action.name,
            "owned": list(obj.get("moground_tracks", []))}


# --------------------------------------------------------------------------- scenarios


def scenario_install(zip_path: str, **_) -> dict:
    sys.meta_path.insert(0, _BundledZmqOnly())
    install(zip_path)
    import zmq

    ctx = zmq.Context()
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    a.bind("inproc://t")
    b.connect("inproc://t")
    a.send(b"ping")
    echoed = b.recv()
    a.close(), b.close(), ctx.term()
    out = {"zmq_file": zmq.__file__, "site_packages": str(site_packages()), "echo": echoed.decode(),
           "op": hasattr(bpy.ops.moground, "segment") and bpy.ops.moground.segment.poll(),
           "scene_prop": hasattr(bpy.types.Scene, "moground")}
    bpy.ops.preferences.addon_disable(module=MODULE)
    out["disabled"] = {"scene_prop": hasattr(bpy.types.Scene, "moground"),
                       "enabled": MODULE in bpy.context.preferences.addons,
                       "op_class": hasattr(bpy.types, "MOGROUND_OT_segment")}
    bpy.ops.preferences.addon_enable(module=MODULE)
    out["reenabled"] = {"scene_prop": hasattr(bpy.types.Scene, "moground"),
                        "enabled": MODULE in bpy.context.preferences.addons,
                        "poll": bpy.ops.moground.segment.poll()}
    return out


def scenario_segment(zip_path: str, bvh: str, address: str, prompt: str, method: str, **_) -> dict:
    install(zip_path)
    prefs().address, prefs().timeout_s = address, 60.0
    obj = import_bvh(bvh)
    name = obj.name
    before = {"state": obj_state(name), "digest": motion_digest(obj)}
    bpy.ops.ed.undo_push(message="before MoGround")
    out = {"before": before, "error1": run_segment(prompt, method)}
    state = bpy.context.scene.moground
    out["results"] = [[r.label, r.frame_start, r.frame_end, r.score] for r in state.results]
    out["results_track"] = state.results_track
    out["first"] = obj_state(name)
    out["digest_after"] = motion_digest(bpy.data.objects[name])
    out["error2"] = run_segment(prompt, method)
    out["second"] = obj_state(name)
    bpy.ops.ed.undo()
    out["after_undo1"] = obj_state(name)
    bpy.ops.ed.undo()
    out["after_undo2"] = obj_state(name)
    return out


def scenario_dead_backend(zip_path: str, bvh: str, address: str, dead: str, prompt: str,
                          method: str, **_) -> dict:
    install(zip_path)
    prefs().address, prefs().timeout_s = address, 60.0
    obj = import_bvh(bvh)
    name = obj.name
    out = {"error_live": run_segment(prompt, method)}
    out["before"] = obj_state(name)
    prefs().address, prefs().timeout_s = dead, 2.0
    out["error"] = run_segment(prompt, method)
    out["after"] = obj_state(name)
    out["panel_error"] = bpy.context.scene.moground.error
    return out


def scenario_run_state_not_saved(zip_path: str, blend: str, **_) -> dict:
    """A file saved while a request runs must not reopen with Segment disabled."""
    install(zip_path)
    bpy.context.window_manager.moground_run.running = True
    out = {"poll_running": bpy.ops.moground.segment.poll()}
    bpy.ops.wm.save_as_mainfile(filepath=blend)
    bpy.ops.wm.open_mainfile(filepath=blend)
    out["poll_reopened"] = bpy.ops.moground.segment.poll()
    return out


def scenario_default_method(zip_path: str, bvh: str, address: str, prompt: str, **_) -> dict:
    """The scene's method follows the preference 'Default method' unless the artist picks one."""
    install(zip_path)
    p = prefs()
    p.address, p.timeout_s, p.default_method = address, 60.0, "uniform"
    obj = import_bvh(bvh)
    out = {"scene_method": bpy.context.scene.moground.method, "error": run_segment(prompt, "")}
    out["method"] = json.loads(obj["moground_result"])["method"]
    bpy.context.scene.moground.method = "changepoint"
    out["error2"] = run_segment(prompt, "")
    out["method2"] = json.loads(obj["moground_result"])["method"]
    return out


def scenario_bad_input(zip_path: str, address: str, **_) -> dict:
    install(zip_path)
    prefs().address = address
    out = {"nothing": run_segment("walk", "uniform")}
    bpy.ops.mesh.primitive_cube_add()
    out["mesh"] = run_segment("walk", "uniform")
    arm = bpy.data.armatures.new("Rig")
    obj = bpy.data.objects.new("Rig", arm)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    parent = None
    for i, bone_name in enumerate(("base", "mid", "tip")):
        bone = arm.edit_bones.new(bone_name)
        bone.head, bone.tail, bone.parent = (0, 0, 0.5 * i), (0, 0, 0.5 * (i + 1)), parent
        parent = bone
    bpy.ops.object.mode_set(mode="OBJECT")
    out["no_action"] = run_segment("walk", "uniform")
    for frame in (1, 40):
        obj.location.x = frame * 0.01
        obj.pose.bones["mid"].rotation_quaternion = (1, 0.1 * frame / 40, 0, 0)
        obj.keyframe_insert("location", frame=frame)
        obj.pose.bones["mid"].keyframe_insert("rotation_quaternion", frame=frame)
    out["empty_prompt"] = run_segment("   ", "uniform")
    out["unmappable"] = run_segment("walk, then kick", "uniform")
    out["tracks"] = len(obj.animation_data.nla_tracks)
    return out


def scenario_read(zip_path: str, bvh: str, out: str, **_) -> dict:
    install(zip_path)
    obj = import_bvh(bvh)
    scene = bpy.context.scene
    scene.frame_set(17)
    motion = load_reader().read_armature_motion(obj)
    np.savez(out, positions=motion["positions"])
    return {k: v for k, v in motion.items() if k != "positions"} | {
        "shape": list(motion["positions"].shape), "frame_after": scene.frame_current}


def _hung_backend(address: str, stop) -> None:
    """Answers health, never answers ground: a backend stuck in its work."""
    import zmq

    protocol = sys.modules[f"{MODULE}.wire.protocol"]
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    sock.bind(address)
    while not stop.is_set():
        if sock.poll(50):
            ident, *frames = sock.recv_multipart()
            header, _ = protocol.decode_message(frames)
            if header["kind"] == "health":
                reply = protocol.make_reply(header["request_id"], "health", {"status": "ok"})
                sock.send_multipart([ident, *reply])
    sock.close(0)
    ctx.term()


def scenario_worker(zip_path: str, bvh: str, address: str, hung: str, prompt: str, **_) -> dict:
    """The UI path's worker thread, and a backend that hangs (blocking path)."""
    import threading
    import time

    install(zip_path)
    obj = import_bvh(bvh)
    ops = sys.modules[f"{MODULE}.operators"]
    backend = sys.modules[f"{MODULE}.backend"]
    motion = load_reader().read_armature_motion(obj)
    job = ops._Job(motion, prompt, "zomg", backend.Settings(address=address, timeout_s=60))
    polls = 0
    while not job.done:  # the main thread stays free while the request runs
        polls += 1
        time.sleep(0.01)
    out = {"polls": polls, "error": repr(job.error),
           "labels": [s["label"] for s in (job.result or {}).get("segments", [])]}

    stop = threading.Event()
    server = threading.Thread(target=_hung_backend, args=(hung, stop), daemon=True)
    server.start()
    time.sleep(0.2)
    prefs().address, prefs().timeout_s = hung, 1.5
    before = obj_state(obj.name)
    started = time.monotonic()
    out["hung_error"] = run_segment(prompt, "uniform")
    out["hung_s"] = time.monotonic() - started
    out["untouched"] = obj_state(obj.name) == before
    stop.set()
    server.join()
    return out


def scenario_local_start(zip_path: str, bvh: str, dead: str, command: str, prompt: str, **_) -> dict:
    """No backend answers: the add-on starts `moground serve` itself, then stops it."""
    install(zip_path)
    obj = import_bvh(bvh)
    p = prefs()
    p.address, p.start_local, p.backend_command, p.startup_wait_s = dead, True, command, 120.0
    out = {"error": run_segment(prompt, "uniform"), "state": obj_state(obj.name)}
    backend = sys.modules[f"{MODULE}.backend"]
    proc = backend._local.proc
    out["local_address"] = backend._local.address
    out["running"] = proc is not None and proc.poll() is None
    bpy.ops.preferences.addon_disable(module=MODULE)  # unregister stops it
    out["stopped"] = proc is not None and proc.poll() is not None
    return out


def _markers() -> list:
    return sorted([m.name, m.frame] for m in bpy.context.scene.timeline_markers)


def _action_summary(act) -> dict:
    bake = sys.modules[f"{MODULE}.wire.blender.bake"]
    return {"name": act.name, "range": list(act.frame_range), "fake_user": act.use_fake_user,
            "info": json.loads(act[bake.BAKE_KEY])}


def scenario_markers_bake(zip_path: str, bvh: str, address: str, prompt: str, method: str, **_) -> dict:
    """Markers with Segment (one undo step with the strips), removal with Clear, and
    Bake to Actions (shifted and kept) leaving the original action untouched."""
    install(zip_path)
    prefs().address, prefs().timeout_s = address, 60.0
    obj = import_bvh(bvh)
    name = obj.name
    bpy.context.scene.timeline_markers.new("artist", frame=5)
    digest = motion_digest(obj)
    bpy.ops.ed.undo_push(message="before MoGround")
    out = {"action_before": obj.animation_data.action.name, "error": run_segment(prompt, method)}
    state = bpy.context.scene.moground
    out["results"] = [[r.label, r.frame_start, r.frame_end, r.low_confidence] for r in state.results]
    out["strips"] = obj_state(name)["nla"]
    out["markers"] = _markers()
    bpy.ops.ed.undo()
    out["undo"] = {"markers": _markers(), "nla": obj_state(name)["nla"]}
    out["error2"] = run_segment(prompt, method)
    obj = bpy.data.objects[name]
    bpy.context.view_layer.objects.active = obj
    out["bake_poll"] = bpy.ops.moground.bake_actions.poll()
    bpy.ops.moground.bake_actions("EXEC_DEFAULT", True, shift_to_zero=True)
    bake = sys.modules[f"{MODULE}.wire.blender.bake"]
    baked = [a for a in bpy.data.actions if bake.BAKE_KEY in a]
    out["shifted"] = sorted((_action_summary(a) for a in baked), key=lambda d: d["info"]["start"])
    bpy.ops.moground.bake_actions("EXEC_DEFAULT", True, shift_to_zero=False)
    baked = [a for a in bpy.data.actions if bake.BAKE_KEY in a]
    out["kept"] = sorted((_action_summary(a) for a in baked), key=lambda d: d["info"]["start"])
    out["n_actions"] = len(bpy.data.actions)
    obj = bpy.data.objects[name]
    out["action_after"] = obj.animation_data.action.name
    out["digest"] = [digest, motion_digest(obj)]
    # a baked action plays the source's motion from its own frame 0
    reader = load_reader()
    src = reader.read_armature_motion(obj)["positions"]
    first = out["shifted"][1]
    act = bpy.data.actions[first["name"]]
    anim = obj.animation_data
    keep, keep_slot = anim.action, getattr(anim, "action_slot", None)
    anim.use_nla = False
    anim.action = act
    if hasattr(anim, "action_slot") and len(act.slots):
        anim.action_slot = act.slots[0]
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = int(act.frame_range[0]), int(act.frame_range[1])
    baked_pos = reader.read_armature_motion(obj)["positions"]
    anim.action, anim.use_nla = keep, True
    if keep_slot is not None:
        anim.action_slot = keep_slot
    start = first["info"]["start"] - 1  # the take starts at frame 1
    n = min(len(baked_pos), len(src) - start)
    out["baked_err"] = float(np.abs(baked_pos[:n] - src[start:start + n]).max())
    markers = sys.modules[f"{MODULE}.wire.blender.markers"]
    low = markers.write_markers(bpy.context.scene, "Other", [
        {"label": "kick", "start_frame": 40, "end_frame": 60, "low_confidence": True}])
    out["low_marker"] = [m.name for m in low]
    markers.clear_markers(bpy.context.scene, "Other")
    bpy.ops.moground.clear("EXEC_DEFAULT", True)
    out["cleared"] = {"markers": _markers(), "nla": obj_state(name)["nla"],
                      "baked_left": sorted(a.name for a in bpy.data.actions if bake.BAKE_KEY in a)}
    # a phrase the prompt repeats: "walk", "walk (2)", "walk (3)" in prompt order everywhere
    writer = sys.modules[f"{MODULE}.wire.blender.nla_writer"]
    repeated = [{"label": lab, "index": i, "start_frame": s, "end_frame": s + 40, "score": 0.5}
                for i, (lab, s) in enumerate([("walk", 1), ("kick", 41), ("walk", 81), ("walk", 121)])]
    obj = bpy.data.objects[name]
    writer.write_segments(obj, {"segments": repeated}, "walk, kick, walk, walk", "uniform")
    markers.write_markers(bpy.context.scene, name, repeated)
    out["repeated"] = {"strips": [s[0] for s in obj_state(name)["nla"][0][1]],
                       "markers": [m for m, f in sorted(_markers(), key=lambda x: x[1]) if m != "artist"],
                       "actions": [a.name for a in bake.bake_actions(obj)]}
    return out


def _run_op(op, **kwargs) -> str | None:
    """An operator the way a UI click records it (undo push where it has UNDO); its error."""
    try:
        op("EXEC_DEFAULT", True, **kwargs)
        return None
    except RuntimeError as exc:
        return str(exc)


def _action_digests() -> dict:
    """Every action's keyframes, summed per action: changes if any action is modified."""
    dump = sys.modules[f"{MODULE}.wire.blender.actions"]
    out = {}
    for act in bpy.data.actions:
        slots = [None] if not len(getattr(act, "slots", ())) else list(act.slots)
        total, keys = 0.0, 0
        for slot in slots:
            for fc in dump._fcurves(act, slot):
                co = np.zeros(2 * len(fc.keyframe_points), np.float64)
                fc.keyframe_points.foreach_get("co", co)
                total, keys = total + float(co.sum()), keys + len(fc.keyframe_points)
        out[act.name] = [keys, round(total, 4)]
    return out


def scenario_find(zip_path: str, bvh: str, bvh2: str, address: str, query: str, **_) -> dict:
    """Find in this file's actions (two BVH takes of one skeleton), use a hit, add it as
    a strip (one undo step), and the errors an artist can meet."""
    install(zip_path)
    prefs().address, prefs().timeout_s = address, 120.0
    other = import_bvh(bvh2)
    obj = import_bvh(bvh)
    name, scene = obj.name, bpy.context.scene
    anim = obj.animation_data
    before = {"action": anim.action.name, "use_nla": anim.use_nla, "frame": scene.frame_current}
    digests = _action_digests()
    state = scene.moground
    state.find_query = query
    out = {"kick_action": anim.action.name, "other_action": other.animation_data.action.name, "armature": name,
           "ranges": {a.name: list(a.frame_range) for a in bpy.data.actions}}
    out["error"] = _run_op(bpy.ops.moground.find)
    out["status"], out["find_object"] = state.find_status, state.find_object
    out["hits"] = [[h.file, h.take, h.armature, h.action, h.frame_start, h.frame_end, h.score] for h in state.find_hits]
    anim = bpy.data.objects[name].animation_data
    out["after_find"] = {"action": anim.action.name, "use_nla": anim.use_nla, "frame": scene.frame_current}
    out["before"] = before
    # use a hit of the other take: the armature then plays an action it did not before
    pick = next((i for i, h in enumerate(state.find_hits) if h.action == out["other_action"]), 0)
    out["pick"] = pick
    out["use_error"] = _run_op(bpy.ops.moground.find_use, index=pick)
    anim = bpy.data.objects[name].animation_data
    out["used"] = {"action": anim.action.name, "preview": [scene.use_preview_range, scene.frame_preview_start,
                                                           scene.frame_preview_end], "frame": scene.frame_current,
                   "slot": getattr(getattr(anim, "action_slot", None), "identifier", None)}
    bpy.ops.ed.undo_push(message="before strip")
    out["nla_before"] = nla_state(bpy.data.objects[name])
    out["strip_error"] = _run_op(bpy.ops.moground.find_add_strip, index=pick)
    out["nla_after"] = nla_state(bpy.data.objects[name])
    out["owned"] = list(bpy.data.objects[name].get("moground_tracks", []))
    bpy.ops.ed.undo()
    out["nla_undo"] = nla_state(bpy.data.objects[name])
    out["digests"] = [digests, _action_digests()]
    # errors the artist can meet, each leaving the results of the last search alone
    state = bpy.context.scene.moground  # undo replaced the scene's Python objects
    n_hits = len(state.find_hits)
    state.find_query = "  "
    out["empty_query"] = _run_op(bpy.ops.moground.find)
    state.find_query, state.find_source, state.find_index = query, "INDEX", "nope"
    out["unknown_index"] = _run_op(bpy.ops.moground.find)
    out["unknown_index_panel"] = state.find_error
    state.find_index = "/srv/mocap"
    out["path_index"] = _run_op(bpy.ops.moground.find)
    state.find_source = "FILE"
    bpy.ops.mesh.primitive_cube_add()
    out["mesh"] = _run_op(bpy.ops.moground.find)
    out["hits_kept"] = len(state.find_hits) == n_hits
    out["out_of_range"] = _run_op(bpy.ops.moground.find_use, index=n_hits + 3)
    return out


def scenario_prompt_list(zip_path: str, bvh: str, address: str, **_) -> dict:
    """The split preview and the editable list, then Segment with the edited list."""
    install(zip_path)
    prefs().address, prefs().timeout_s = address, 60.0
    obj = import_bvh(bvh)
    name = obj.name
    lists = sys.modules[f"{MODULE}.prompt_list"]
    out = {"preview": lists.preview("idle, walk, idle"), "preview_repeat": lists.preview("walk x2; t-pose"),
           "preview_sentence": lists.preview("A person walks in and then sits down"),
           "preview_bad": lists.preview("x" * 5000), "torch_loaded": "torch" in sys.modules}
    state = bpy.context.scene.moground
    state.prompt = "idle, walk twice"
    bpy.ops.moground.prompt_to_list()
    out["items"] = [item.name for item in state.prompt_items]
    state.prompt_items[2].name = "idle"  # the artist edits the third line
    out["sent"] = lists.list_prompt(state)
    out["error"] = run_segment("", "uniform")
    out["nla"] = obj_state(name)["nla"]
    out["results"] = [r.label for r in state.results]
    return out


SCENARIOS = {name[len("scenario_"):]: fn for name, fn in globals().items() if name.startswith("scenario_")}


def main() -> int:
    name, zip_path, *pairs = sys.argv[1:]
    bpy.ops.wm.read_factory_settings(use_empty=True)  # before enabling: it resets preferences
    kwargs = dict(p.split("=", 1) for p in pairs)
    result = SCENARIOS[name](zip_path, **kwargs)
    result["blender"] = bpy.app.version_string
    print("RESULT " + json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
