"""Find: search moments by text in this file's actions or in a backend index.

*This File* sends every action the active armature can play (``blender.actions``' rule,
the same as ``moground index`` uses for .blend files) as inline takes of a ``search``
request; *Server Index* names an index the backend was started with. In the UI the
actions are read one per timer tick (so Blender never waits longer than one Segment
read) and the request runs on a worker thread; Esc cancels. In background mode the
same operator runs blocking. Using a hit assigns its action (no action is modified)
and sets the preview range; *Add Strip* puts it on an NLA track of its own (one undo
step).
"""

from __future__ import annotations

import os
import time

import bpy
from bpy.props import IntProperty

from . import backend
from .operators import _redraw, _settings, _Worker
from .properties import run_state
from .wire.blender.bake import BAKE_KEY
from .wire.blender.actions import Assigned, playable_actions
from .wire.blender.motion_reader import MotionReadError, read_armature_motion
from .wire.blender.nla_writer import NlaWriteError, add_strip
from .wire.errors import MoGroundError
from .wire.protocol import check_motion_budget


class FindError(MoGroundError):
    """Why a search cannot start, in the artist's words."""

    code = "find"


def searchable_actions(obj) -> list[tuple]:
    """(action, slot) pairs of this file that ``obj`` can play, MoGround's baked copies left out."""
    if obj is None or getattr(obj, "type", None) != "ARMATURE":
        what = "nothing is selected" if obj is None else f"'{obj.name}' is a {obj.type.lower()}"
        raise FindError(f"Select an armature: {what}")
    if obj.animation_data is not None and obj.animation_data.use_tweak_mode:
        raise FindError("Leave NLA tweak mode to search this file's actions")
    pairs = [(a, s) for a, s in playable_actions(obj) if BAKE_KEY not in a]
    if not pairs:
        raise FindError(f"No action in this file animates '{obj.name}'")
    return pairs


def _check_budget(obj, pairs: list[tuple], scene) -> None:
    """Refuse, before reading anything, what the backend would refuse as too large."""
    frames = 0
    for action, _slot in pairs:
        start, end = (int(round(f)) for f in action.frame_range)
        frames += end - start + 1
    check_motion_budget(frames, scene.render.fps / scene.render.fps_base)


def read_take(obj, action, slot, scene) -> tuple[dict, dict]:
    """One action alone on ``obj`` (NLA muted, assignment restored): (rig fields, take)."""
    with Assigned(obj, action, slot):
        motion = read_armature_motion(obj, scene)
    rig = {k: motion[k] for k in ("bone_names", "parents", "fps", "units_to_m")}
    return rig, {"action": action.name, "frame_start": motion["frame_start"], "positions": motion["positions"]}


class _FileTakes:
    """The takes of one search, read one at a time."""

    def __init__(self, obj, pairs: list[tuple], scene) -> None:
        self.obj_name, self.pairs, self.scene = obj.name, pairs, scene
        self.rig: dict | None = None
        self.takes: list[dict] = []

    @property
    def done(self) -> bool:
        return len(self.takes) == len(self.pairs)

    def read_next(self) -> None:
        action, slot = self.pairs[len(self.takes)]
        rig, take = read_take(bpy.data.objects[self.obj_name], action, slot, self.scene)
        self.rig = self.rig or {**rig, "armature": self.obj_name}
        self.takes.append(take)

    def rigs(self) -> list[dict]:
        return [{**self.rig, "takes": self.takes}]


def _message(exc: BaseException) -> str:
    if isinstance(exc, (FindError, MotionReadError)):
        return exc.message
    return backend.describe_error(exc)


def _state(context):
    return context.scene.moground


class MOGROUND_OT_find(bpy.types.Operator):
    """Find moments matching the text in this file's actions or a backend index"""

    bl_idname = "moground.find"
    bl_label = "Find"
    bl_options = {"REGISTER"}

    _reader: _FileTakes | None = None
    _worker: _Worker | None = None
    _timer = None

    @classmethod
    def poll(cls, context) -> bool:
        run = getattr(context.window_manager, "moground_run", None)
        return getattr(context.scene, "moground", None) is not None and run is not None and not run.finding

    def _fail(self, context, message: str) -> set[str]:
        state = _state(context)
        state.find_error, state.find_status = message, ""
        run_state(context).finding = False
        self.report({"ERROR"}, message)
        _redraw(context)
        return {"CANCELLED"}

    def _prepare(self, context) -> tuple[str, _FileTakes | None, str | None]:
        state = _state(context)
        query = state.find_query.strip()
        if not query:
            raise FindError("Type what to find, e.g. 'a person kicks'")
        if state.find_source == "INDEX":
            if not state.find_index.strip():
                raise FindError("Type the name of the backend's index (moground serve --index NAME=PATH)")
            return query, None, state.find_index.strip()
        obj = context.active_object
        pairs = searchable_actions(obj)
        _check_budget(obj, pairs, context.scene)
        return query, _FileTakes(obj, pairs, context.scene), None

    def _send(self, context, query: str, reader: _FileTakes | None, index: str | None):
        settings = _settings(context)
        rigs = reader.rigs() if reader is not None else None
        return lambda cancelled: backend.search(query, settings, rigs=rigs, index=index, cancelled=cancelled)

    def _apply(self, context, reply: dict, reader: _FileTakes | None) -> set[str]:
        state = _state(context)
        state.find_hits.clear()
        for hit in reply.get("hits", []):
            item = state.find_hits.add()
            item.file, item.take = hit.get("file") or "", hit.get("take") or ""
            item.armature, item.action = hit.get("armature") or "", hit.get("action") or ""
            item.frame_start = int(round(hit["start_frame"]))
            item.frame_end = int(round(hit["end_frame"]))
            item.score = float(hit.get("score", 0.0))
        state.find_object = reader.obj_name if reader is not None else ""
        state.find_hits_index = 0
        searched = reply.get("searched", {})
        state.find_status = f"{len(state.find_hits)} moments in {searched.get('takes', '?')} takes"
        state.find_error = ""
        run_state(context).finding = False
        self.report({"INFO"}, state.find_status)
        _redraw(context)
        return {"FINISHED"}

    # ------------------------------------------------------------------ blocking path

    def execute(self, context) -> set[str]:
        try:
            query, reader, index = self._prepare(context)
            while reader is not None and not reader.done:
                reader.read_next()
            reply = self._send(context, query, reader, index)(None)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            return self._fail(context, _message(exc))
        return self._apply(context, reply, reader)

    # ------------------------------------------------------------------ UI path

    def invoke(self, context, event) -> set[str]:
        if bpy.app.background or context.window is None:
            return self.execute(context)
        try:
            self._query, self._reader, self._index = self._prepare(context)
        except Exception as exc:  # noqa: BLE001
            return self._fail(context, _message(exc))
        self._worker = None
        run_state(context).finding = True
        state = _state(context)
        state.find_error, state.find_status = "", "Reading actions… (Esc to cancel)"
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.05, window=context.window)
        wm.modal_handler_add(self)
        _redraw(context)
        return {"RUNNING_MODAL"}

    def _stop_timer(self, context) -> None:
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None

    def modal(self, context, event) -> set[str]:
        if event.type == "ESC" and event.value == "PRESS":
            if self._worker is not None:
                self._worker.cancelled.set()
            self._stop_timer(context)
            result = self._fail(context, "Cancelled")
            _state(context).find_error, _state(context).find_status = "", "Cancelled"
            return result
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        state = _state(context)
        try:
            if self._worker is None:
                reader = self._reader
                if reader is not None and not reader.done:  # one action per tick: the UI stays live
                    reader.read_next()
                    state.find_status = f"Reading actions… {len(reader.takes)}/{len(reader.pairs)} (Esc to cancel)"
                    _redraw(context)
                    return {"PASS_THROUGH"}
                self._worker = _Worker(self._send(context, self._query, reader, self._index),
                                       _settings(context).timeout_s)
        except Exception as exc:  # noqa: BLE001
            self._stop_timer(context)
            return self._fail(context, _message(exc))
        worker = self._worker
        if not worker.done:
            state.find_status = f"Searching… {time.monotonic() - worker.started:.0f} s (Esc to cancel)"
            _redraw(context)
            return {"PASS_THROUGH"}
        self._stop_timer(context)
        if worker.error is not None:
            return self._fail(context, backend.describe_error(worker.error))
        return self._apply(context, worker.result, self._reader)

    def cancel(self, context) -> None:
        if self._worker is not None:
            self._worker.cancelled.set()
        self._stop_timer(context)
        run_state(context).finding = False


def resolve_hit(context, index: int) -> tuple:
    """(hit, armature, action, slot) of the hit at ``index``; FindError when its action
    is not in this file (a server hit of another file: its path goes to the clipboard)."""
    state = _state(context)
    if not 0 <= index < len(state.find_hits):
        raise FindError("No such result; search again")
    hit = state.find_hits[index]
    here = bpy.data.filepath and os.path.normcase(os.path.abspath(bpy.data.filepath))
    if hit.file and os.path.normcase(os.path.abspath(hit.file)) != here:
        context.window_manager.clipboard = hit.file
        raise FindError(f"'{hit.take or hit.file}' is in another file: open {hit.file} to use it "
                        "(the path is on the clipboard)")
    action = bpy.data.actions.get(hit.action)
    if action is None:
        raise FindError(f"Action '{hit.action}' is no longer in this file; search again")
    obj = bpy.data.objects.get(state.find_object or hit.armature) or context.active_object
    if obj is None or obj.type != "ARMATURE":
        raise FindError(f"Armature '{state.find_object or hit.armature}' is gone; select one and search again")
    slot = next((s for a, s in playable_actions(obj) if a == action), None)
    if slot is None and len(getattr(action, "slots", ())) == 1:
        slot = action.slots[0]
    return hit, obj, action, slot


class _HitOperator:
    """Shared by the hit buttons: find the hit's armature and action, then ``use`` them."""

    bl_options = {"REGISTER", "UNDO"}

    index: IntProperty(options={"SKIP_SAVE"})

    def execute(self, context) -> set[str]:
        try:
            return self.use(context, *resolve_hit(context, self.index))
        except (FindError, NlaWriteError) as exc:
            self.report({"ERROR"}, exc.message)
            return {"CANCELLED"}


class MOGROUND_OT_find_use(_HitOperator, bpy.types.Operator):
    """Play this moment: assign its action to the armature and set the preview range to it"""

    bl_idname = "moground.find_use"
    bl_label = "Use Found Moment"

    def use(self, context, hit, obj, action, slot) -> set[str]:
        anim = obj.animation_data or obj.animation_data_create()
        if anim.action != action:
            anim.action = action
        if slot is not None and hasattr(anim, "action_slot") and anim.action_slot != slot:
            anim.action_slot = slot
        scene = context.scene
        scene.use_preview_range = True
        scene.frame_preview_start = hit.frame_start
        scene.frame_preview_end = max(hit.frame_start, hit.frame_end - 1)
        scene.frame_set(hit.frame_start)
        return {"FINISHED"}


class MOGROUND_OT_find_add_strip(_HitOperator, bpy.types.Operator):
    """Add this moment as an NLA strip named after the search, on a track of its own"""

    bl_idname = "moground.find_add_strip"
    bl_label = "Add as NLA Strip"

    def use(self, context, hit, obj, action, slot) -> set[str]:
        track = add_strip(obj, action, slot, _state(context).find_query.strip() or hit.action,
                          hit.frame_start, hit.frame_end)
        self.report({"INFO"}, f"Added '{track.name}' ({hit.frame_start}–{hit.frame_end}) to '{obj.name}'")
        return {"FINISHED"}


_CLASSES = (MOGROUND_OT_find, MOGROUND_OT_find_use, MOGROUND_OT_find_add_strip)

register, unregister = bpy.utils.register_classes_factory(_CLASSES)
