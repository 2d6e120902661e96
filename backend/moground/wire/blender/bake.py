"""Bake grounded segments into actions of their own, and export them as FBX.

One new action per sub-action, named after it (a phrase the prompt repeats: "walk",
"walk (2)", ... in prompt order, like the strips), holding the source action's keys in
the segment's frame range (with a key at each end, evaluated from the curve when the
source has none there), shifted so that it starts at frame 0 or kept at the source
frames, as the artist picks. The source action is only read. Baked actions get a
fake user (so they survive saving unassigned) and remember where they came from;
baking again replaces MoGround's earlier bakes of the same source in place, and never
touches an artist's action that happens to share a name.

Shared by the add-on (vendored by build_addon.py), the batch job (``moground segment
--export-actions / --export-fbx``), so it imports only ``bpy``, ``numpy`` and its
siblings ``nla_writer`` and ``export_names``. Works with Blender 4.2 (legacy actions) and 4.4+/5.x
(layered actions with slots).
"""

from __future__ import annotations

import json
import os

import bpy
import numpy as np

from .export_names import FBX_SCALE_PRESETS, ExportSettings, file_name
from .nla_writer import RESULT_KEY, NlaWriteError, _plan

BAKE_KEY = "moground_bake"  # on baked actions: {"source", "label", "index", "start", "end", "shift", ...}
_KEY_FLOATS = ("co", "handle_left", "handle_right")
_KEY_ENUMS = ("interpolation", "handle_left_type", "handle_right_type", "easing")


# ---------------------------------------------------------------- F-curves, both APIs

def _layered(action) -> bool:
    return hasattr(action, "layers")


def source_fcurves(obj) -> list:
    """The F-curves the armature's active action (and slot) animates it with."""
    anim = obj.animation_data
    action = anim.action if anim else None
    if action is None:
        raise NlaWriteError("no_action", f"Armature '{obj.name}' has no action assigned")
    if not _layered(action):
        return list(action.fcurves)
    slot = getattr(anim, "action_slot", None)
    if slot is None and len(action.slots) == 1:  # assigned without a slot: the only one it has
        slot = action.slots[0]
    if slot is None:
        return []
    for layer in action.layers:  # what bpy_extras.anim_utils.action_get_channelbag_for_slot does
        for strip in layer.strips:
            bag = strip.channelbag(slot)
            if bag is not None:
                return list(bag.fcurves)
    return []


class _Target:
    """Where a new action's F-curves go: the legacy list, or a slot's channelbag."""

    def __init__(self, action, obj) -> None:
        self.action = action
        self.groups: dict[str, object] = {}
        if _layered(action):
            slot = action.slots[0] if len(action.slots) else action.slots.new(id_type="OBJECT", name=obj.name)
            layer = action.layers[0] if len(action.layers) else action.layers.new("Layer")
            strip = layer.strips[0] if len(layer.strips) else layer.strips.new(type="KEYFRAME")
            self.bag = strip.channelbag(slot, ensure=True)
        else:
            self.bag = action

    def clear(self) -> None:
        for fc in list(self.bag.fcurves):
            self.bag.fcurves.remove(fc)

    def new(self, data_path: str, index: int, group: str | None):
        if not _layered(self.action):
            return self.bag.fcurves.new(data_path, index=index, action_group=group or "")
        fc = self.bag.fcurves.new(data_path, index=index)
        if group:
            grp = self.groups.get(group) or self.bag.groups.get(group) or self.bag.groups.new(group)
            self.groups[group] = grp
            fc.group = grp
        return fc


def _copy_range(src, dst, start: int, end: int, shift: int) -> None:
    """Keys of ``src`` in [start, end] → ``dst`` shifted by ``-shift``; end keys added."""
    n = len(src.keyframe_points)
    data = {}
    for name in _KEY_FLOATS:
        arr = np.empty(2 * n, dtype=np.float32)
        src.keyframe_points.foreach_get(name, arr)
        data[name] = arr.reshape(n, 2)
    for name in _KEY_ENUMS:
        arr = np.empty(n, dtype=np.int32)
        src.keyframe_points.foreach_get(name, arr)
        data[name] = arr
    frames = data["co"][:, 0] if n else np.zeros(0, np.float32)
    keep = (frames >= start - 1e-4) & (frames <= end + 1e-4)
    m = int(keep.sum())
    if m:
        dst.keyframe_points.add(m)
        for name in _KEY_FLOATS:
            vals = data[name][keep].copy()
            vals[:, 0] -= shift
            dst.keyframe_points.foreach_set(name, vals.ravel())
        for name in _KEY_ENUMS:
            dst.keyframe_points.foreach_set(name, data[name][keep])
    have = set(np.round(frames[keep], 3).tolist()) if m else set()
    for f in (start, end):
        if round(float(f), 3) not in have:
            dst.keyframe_points.insert(f - shift, float(src.evaluate(f)), options={"FAST"})
    dst.update()


# ---------------------------------------------------------------- root motion

def _remove_root_travel(obj, target: _Target) -> None:
    """Hold the root bone's horizontal position (armature X/Y) at its first key: its
    location keys are in the bone's rest frame, so they are turned into armature space,
    flattened, and turned back. Vertical motion (jumps, sitting) stays."""
    roots = [b for b in obj.data.bones if b.parent is None]
    if not roots:
        return
    path = f'pose.bones["{roots[0].name}"].location'
    curves = {fc.array_index: fc for fc in target.bag.fcurves if fc.data_path == path}
    if not curves:
        return
    frames = sorted({round(float(k.co[0]), 4) for fc in curves.values() for k in fc.keyframe_points})
    loc = np.array([[curves[i].evaluate(f) if i in curves else 0.0 for i in range(3)] for f in frames])
    rot = np.array(roots[0].matrix_local, dtype=np.float64)[:3, :3]
    world = loc @ rot.T
    world[:, :2] = world[:1, :2]
    flat = world @ rot
    for i in range(3):  # rewritten whole (keyframe_points.clear() is not in every Blender 4.x)
        old = curves.get(i)
        group = old.group.name if old is not None and old.group else roots[0].name
        if old is not None:
            target.bag.fcurves.remove(old)
        write_linear_keys(target.new(path, i, group), frames, flat[:, i])


def write_linear_keys(fc, frames: np.ndarray, values: np.ndarray) -> None:
    """Append one linear key per frame to F-curve ``fc`` in bulk (``foreach_set``): a
    per-key Python loop is what makes long takes slow to write."""
    fc.keyframe_points.add(len(frames))
    co = np.empty(2 * len(frames), dtype=np.float32)
    co[0::2], co[1::2] = frames, values
    fc.keyframe_points.foreach_set("co", co)
    fc.keyframe_points.foreach_set("interpolation", np.ones(len(frames), dtype=np.int32))
    fc.update()


# ---------------------------------------------------------------- baking

def _reusable(name: str, source: str):
    """MoGround's earlier bake of the same source under this name, else None."""
    act = bpy.data.actions.get(name)
    if act is None:
        return None
    try:
        info = json.loads(act.get(BAKE_KEY, "") or "{}")
    except ValueError:
        return None
    return act if info.get("source") == source else None


def _bake_name(label_name: str, source: str) -> str:
    """The segment's own name ("walk") unless another take's bake or an artist's action
    holds it: then "<source action>|walk", so bakes of several takes never become
    "walk.001" (which says nothing about where the motion came from)."""
    held = bpy.data.actions.get(label_name)
    if held is None or _reusable(label_name, source) is not None:
        return label_name
    return f"{source}|{label_name}"[:63]


def bake_actions(obj, segments: list[dict] | dict | None = None, shift_to_zero: bool = True, *,
                 handles: tuple[int, int] = (0, 0), in_place: bool = False) -> list:
    """One action per segment (default: the segments MoGround last wrote on ``obj``).

    ``segments`` are grounding segments (``label``, ``start_frame``, exclusive
    ``end_frame``) or a result/reply holding them. ``handles`` = (pre-roll, post-roll)
    frames baked beyond each segment (within the source action's range); the segment
    itself stays recorded in the action's ``moground_bake`` (``start``/``end``) and the
    action's frame range covers the handles. ``in_place`` removes the root bone's
    horizontal travel (root motion for engines that move the character themselves).
    Returns the actions in time order. The source action and its assignment are left
    exactly as they were.
    """
    if obj is None or getattr(obj, "type", None) != "ARMATURE":
        raise NlaWriteError("no_armature", "Baking needs an armature")
    curves = source_fcurves(obj)
    source = obj.animation_data.action
    if segments is None:
        stored = obj.get(RESULT_KEY)
        if not stored:
            raise NlaWriteError("no_result", f"'{obj.name}' has no MoGround segments: run Segment first")
        segments = [{"label": s["label"], "index": s["index"], "start_frame": s["start"], "end_frame": s["end"],
                     "score": s.get("score", 0.0), "low_confidence": s.get("low_confidence", False)}
                    for s in json.loads(stored)["segments"]]
    plan = _plan(segments if isinstance(segments, dict) else {"segments": list(segments)})
    if not curves:
        raise NlaWriteError("no_keys", f"Action '{source.name}' has no F-curves to bake")
    made = []
    try:
        first, last = (int(round(f)) for f in source.frame_range)
        pre, post = (max(0, int(h)) for h in handles)
        for seg in plan:
            name = _bake_name(seg["name"], source.name)
            # handles stop at the take's ends; the segment itself is baked whole, as before
            start = min(seg["start"], max(first, seg["start"] - pre))
            end = max(seg["end"], min(last, seg["end"] + post))
            shift = start if shift_to_zero else 0
            act = _reusable(name, source.name)
            if act is None:
                act = bpy.data.actions.new(name)
            target = _Target(act, obj)
            target.clear()
            for fc in curves:
                group = fc.group.name if fc.group else None
                _copy_range(fc, target.new(fc.data_path, fc.array_index, group), start, end, shift)
            if in_place:
                _remove_root_travel(obj, target)
            act.use_fake_user = True
            act.use_frame_range = True
            act.frame_start, act.frame_end = start - shift, end - shift
            act[BAKE_KEY] = json.dumps({"source": source.name, "label": seg["label"], "name": seg["name"],
                                        "index": seg["index"], "start": seg["start"], "end": seg["end"],
                                        "shift": shift, "handles": [seg["start"] - start, end - seg["end"]],
                                        "in_place": bool(in_place)})
            made.append(act)
    except NlaWriteError:
        raise
    except Exception as exc:  # a partial bake is removed: all actions or none
        for act in made:
            if act.users <= 1:
                bpy.data.actions.remove(act)
        raise NlaWriteError("bake_failed", f"Could not bake actions ({exc}); nothing was baked")
    return made


# ---------------------------------------------------------------- FBX

def export_file_name(act, take: str, pattern: str) -> str:
    """A baked action's FBX file name from its bake record (see ``export_names``)."""
    info = json.loads(act.get(BAKE_KEY, "") or "{}")
    label = info.get("label", act.name)
    return file_name(pattern, take=take, index=int(info.get("index", 0)) + 1, label=label,
                     name=info.get("name", label))


def export_fbx(obj, actions: list, folder: str, *, take: str | None = None,
               settings: ExportSettings | None = None) -> list[str]:
    """One FBX per action through Blender's own exporter (armature only, the action
    baked over its frame range). The FBX take is named after the sub-action (its strip
    name), so a re-import gives the action "<armature>|<strip>"; files are named by
    ``settings.pattern`` (``take``: default the source action's name) and written in
    ``settings.fbx_scale``'s units. The object's action, slot, NLA state, selection,
    the scene's name and frame range are restored afterwards."""
    settings = settings or ExportSettings()
    if not hasattr(bpy.ops.export_scene, "fbx"):  # the bundled exporter was disabled
        bpy.ops.preferences.addon_enable(module="io_scene_fbx")
    os.makedirs(folder, exist_ok=True)
    scene = obj.users_scene[0] if obj.users_scene else bpy.context.scene
    anim = obj.animation_data
    view_layer = scene.view_layers[0]
    saved = {"action": anim.action, "slot": getattr(anim, "action_slot", None), "use_nla": anim.use_nla,
             "range": (scene.frame_start, scene.frame_end), "frame": scene.frame_current,
             "selected": [o for o in scene.objects if o.select_get(view_layer=view_layer)],
             "active": view_layer.objects.active, "scene_name": scene.name}
    paths = []
    try:
        for o in saved["selected"]:
            o.select_set(False, view_layer=view_layer)
        obj.select_set(True, view_layer=view_layer)
        view_layer.objects.active = obj
        anim.use_nla = False  # MoGround's strips must not play under the baked action
        for act in actions:
            info = json.loads(act.get(BAKE_KEY, "") or "{}")
            anim.action = act
            if hasattr(anim, "action_slot") and len(getattr(act, "slots", [])):
                anim.action_slot = act.slots[0]
            scene.frame_start, scene.frame_end = int(act.frame_start), int(act.frame_end)
            # The exporter names the one take it writes after the scene.
            scene.name = info.get("name", act.name)
            path = os.path.join(folder, export_file_name(act, take or info.get("source", obj.name),
                                                              settings.pattern))
            with bpy.context.temp_override(scene=scene, view_layer=view_layer, active_object=obj,
                                           selected_objects=[obj]):
                bpy.ops.export_scene.fbx(
                    filepath=path, use_selection=True, object_types={"ARMATURE"}, add_leaf_bones=False,
                    bake_anim=True, bake_anim_use_all_actions=False, bake_anim_use_nla_strips=False,
                    bake_anim_force_startend_keying=True, bake_anim_simplify_factor=0.0,
                    **FBX_SCALE_PRESETS[settings.fbx_scale],
                )
            paths.append(path)
    finally:
        scene.name = saved["scene_name"]
        anim.action = saved["action"]
        if saved["slot"] is not None:
            anim.action_slot = saved["slot"]
        anim.use_nla = saved["use_nla"]
        scene.frame_start, scene.frame_end = saved["range"]
        scene.frame_set(saved["frame"])
        obj.select_set(False, view_layer=view_layer)
        for o in saved["selected"]:
            o.select_set(True, view_layer=view_layer)
        view_layer.objects.active = saved["active"]
    return paths
