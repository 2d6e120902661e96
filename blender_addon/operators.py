"""Operators: segment the active armature, clear MoGround's tracks.

In the UI, ``moground.segment`` reads the motion on the main thread, sends the
request from a worker thread and polls it from a modal timer, so Blender never
freezes while the backend works (Esc cancels). In background mode (``blender -b``,
the ``bpy`` module) timers do not fire, so the same operator runs blocking. Either
way all NLA edits happen in one call at the end, which Blender records as one undo
step; a failure writes nothing.
"""

from __future__ import annotations

import threading
import time

import bpy
from bpy.props import StringProperty

from . import backend
from .wire.blender.motion_reader import MotionReadError, check_armature, read_armature_motion
from .wire.blender.bake import bake_actions
from .wire.blender.markers import clear_markers, write_markers
from .wire.blender.nla_writer import RESULT_KEY, NlaWriteError, owned_tracks, write_segments
from .preferences import get_preferences
from .prompt_list import list_prompt
from .properties import DEFAULT_METHOD, run_state
from .wire.methods import DEFAULT_METHOD as BACKEND_DEFAULT_METHOD

_REDRAW_SPACES = {"NLA_EDITOR", "VIEW_3D", "DOPESHEET_EDITOR"}


def _redraw(context) -> None:
    screen = getattr(context, "screen", None)
    for area in screen.areas if screen else ():
        if area.type in _REDRAW_SPACES:
            area.tag_redraw()


def _settings(context) -> backend.Settings:
    return backend.Settings.from_preferences(get_preferences(context))


class _Worker:
    """A backend request running on a worker thread: ``send(cancelled)`` runs there, the
    main thread polls ``done`` from a timer, so Blender never waits on the network."""

    def __init__(self, send, timeout_s: float) -> None:
        self.cancelled = threading.Event()
        self.result: dict | None = None
        self.error: BaseException | None = None
        self.started = time.monotonic()
        self.timeout_s = timeout_s
        self._thread = threading.Thread(target=self._run, args=(send,), daemon=True, name="moground-request")
        self._thread.start()

    def _run(self, send) -> None:
        try:
            self.result = send(self.cancelled)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            self.error = exc

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()


class _Job(_Worker):
    """A grounding request running on a worker thread."""

    def __init__(self, motion: dict, prompt: str, method: str, settings: backend.Settings) -> None:
        super().__init__(lambda cancelled: backend.ground(motion, prompt, method, settings, cancelled),
                         settings.timeout_s)


class MOGROUND_OT_segment(bpy.types.Operator):
    """Cut the active armature's action into named NLA strips from the prompt"""

    bl_idname = "moground.segment"
    bl_label = "Segment"
    bl_options = {"REGISTER", "UNDO"}

    prompt: StringProperty(name="Prompt", description="Empty: the panel's prompt",
                           options={"SKIP_SAVE"})
    method: StringProperty(name="Method", description="Empty: the panel's method",
                           options={"SKIP_SAVE"})

    _job: _Job | None = None
    _timer = None

    @classmethod
    def poll(cls, context) -> bool:
        run = getattr(context.window_manager, "moground_run", None)
        return getattr(context.scene, "moground", None) is not None and run is not None and not run.running

    # ------------------------------------------------------------------ shared steps

    def _fail(self, context, message: str) -> set[str]:
        state, run = context.scene.moground, run_state(context)
        state.error, state.status, run.running, run.progress = message, "", False, 0.0
        self.report({"ERROR"}, message)
        _redraw(context)
        return {"CANCELLED"}

    def _prepare(self, context) -> tuple:
        """Everything the request needs, read on the main thread; raises on bad input."""
        state = context.scene.moground
        prompt = (self.prompt or (list_prompt(state) if state.use_prompt_items else state.prompt)).strip()
        method = self.method or state.method
        if method == DEFAULT_METHOD:
            prefs = get_preferences(context)
            method = prefs.default_method if prefs is not None else BACKEND_DEFAULT_METHOD
        if not prompt:
            raise MotionReadError("bad_prompt", "Type a prompt first, e.g. 'walk, then kick'")
        obj = context.active_object
        check_armature(obj)
        motion = read_armature_motion(obj, context.scene)
        return obj, motion, prompt, method

    def _apply(self, context, obj_name: str, action_name: str, result: dict,
               prompt: str, method: str) -> set[str]:
        obj = bpy.data.objects.get(obj_name)
        anim = obj.animation_data if obj is not None else None
        if anim is None or anim.action is None or anim.action.name != action_name:
            return self._fail(context, f"'{obj_name}' or its action changed while waiting; "
                                       "nothing was written")
        try:
            track = write_segments(obj, result, prompt, method)
        except NlaWriteError as exc:
            return self._fail(context, exc.message)
        # markers in the same operator call: strips and markers are one undo step
        write_markers(context.scene, obj.name, result["segments"])
        state = context.scene.moground
        state.results.clear()
        for seg in sorted(result["segments"], key=lambda s: s["start_frame"]):
            item = state.results.add()
            item.label = seg["label"]
            item.frame_start = int(round(seg["start_frame"]))
            item.frame_end = int(round(seg["end_frame"]))
            item.score = min(1.0, max(0.0, float(seg.get("score", 0.0))))
            item.low_confidence = bool(seg.get("low_confidence", False))
            item.reason = str(seg.get("reason") or "")
        state.results_object, state.results_track = obj.name, track.name
        run = run_state(context)
        state.error, run.running, run.progress = "", False, 1.0
        state.status = f"{len(result['segments'])} strips on track '{track.name}'"
        for warning in result.get("warnings", []):
            self.report({"WARNING"}, str(warning))
        self.report({"INFO"}, state.status)
        _redraw(context)
        return {"FINISHED"}

    # ------------------------------------------------------------------ blocking path

    def execute(self, context) -> set[str]:
        try:
            obj, motion, prompt, method = self._prepare(context)
            result = backend.ground(motion, prompt, method, _settings(context))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            return self._fail(context, backend.describe_error(exc))
        return self._apply(context, obj.name, obj.animation_data.action.name, result, prompt, method)

    # ------------------------------------------------------------------ UI path

    def invoke(self, context, event) -> set[str]:
        if bpy.app.background or context.window is None:
            return self.execute(context)
        try:
            obj, motion, prompt, method = self._prepare(context)
        except Exception as exc:  # noqa: BLE001
            return self._fail(context, backend.describe_error(exc))
        self._target = (obj.name, obj.animation_data.action.name, prompt, method)
        self._job = _Job(motion, prompt, method, _settings(context))
        state, run = context.scene.moground, run_state(context)
        run.running, state.error, run.progress = True, "", 0.0
        state.status = "Waiting for the backend… (Esc to cancel)"
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.progress_begin(0, 1000)
        wm.modal_handler_add(self)
        _redraw(context)
        return {"RUNNING_MODAL"}

    def _finish_modal(self, context) -> None:
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()

    def modal(self, context, event) -> set[str]:
        job = self._job
        if event.type == "ESC" and event.value == "PRESS":
            job.cancelled.set()
            self._finish_modal(context)
            result = self._fail(context, "Cancelled; nothing was written")
            context.scene.moground.error = ""
            context.scene.moground.status = "Cancelled"
            return result
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        state, run = context.scene.moground, run_state(context)
        elapsed = time.monotonic() - job.started
        run.progress = min(0.99, elapsed / max(job.timeout_s, 1e-3))
        state.status = f"Waiting for the backend… {elapsed:.0f} s (Esc to cancel)"
        context.window_manager.progress_update(int(1000 * run.progress))
        if not job.done:
            _redraw(context)
            return {"PASS_THROUGH"}
        self._finish_modal(context)
        if job.error is not None:
            return self._fail(context, backend.describe_error(job.error))
        return self._apply(context, *self._target[:2], job.result, *self._target[2:])

    def cancel(self, context) -> None:
        """Blender is closing the operator (e.g. file load): drop the request."""
        if self._job is not None:
            self._job.cancelled.set()
        self._finish_modal(context)
        run_state(context).running = False


class MOGROUND_OT_clear(bpy.types.Operator):
    """Remove the NLA tracks MoGround wrote on the active armature"""

    bl_idname = "moground.clear"
    bl_label = "Clear MoGround Tracks"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context) -> bool:
        obj = context.active_object
        return obj is not None and bool(owned_tracks(obj))

    def execute(self, context) -> set[str]:
        obj = context.active_object
        for track in owned_tracks(obj):
            obj.animation_data.nla_tracks.remove(track)
        obj.pop("moground_tracks", None)
        clear_markers(context.scene, obj.name)
        state = context.scene.moground
        state.results.clear()
        state.results_object = state.results_track = state.status = ""
        return {"FINISHED"}


class MOGROUND_OT_preview(bpy.types.Operator):
    """Set the preview range to this sub-action's frames"""

    bl_idname = "moground.preview"
    bl_label = "Preview Sub-action"
    bl_options = {"REGISTER", "UNDO"}

    index: bpy.props.IntProperty(options={"SKIP_SAVE"})

    def execute(self, context) -> set[str]:
        state = context.scene.moground
        if not 0 <= self.index < len(state.results):
            return {"CANCELLED"}
        item = state.results[self.index]
        scene = context.scene
        scene.use_preview_range = True
        scene.frame_preview_start = item.frame_start
        scene.frame_preview_end = max(item.frame_start, item.frame_end - 1)
        scene.frame_set(item.frame_start)
        return {"FINISHED"}


class MOGROUND_OT_bake_actions(bpy.types.Operator):
    """Bake each sub-action MoGround found into an action of its own, named after it
(the original action is left as it is)"""

    bl_idname = "moground.bake_actions"
    bl_label = "Bake to Actions"
    bl_options = {"REGISTER", "UNDO"}

    shift_to_zero: bpy.props.BoolProperty(
        name="Start at Frame 0", description="Empty: the panel's setting", default=True,
        options={"SKIP_SAVE"})

    @classmethod
    def poll(cls, context) -> bool:
        obj = context.active_object
        return obj is not None and obj.type == "ARMATURE" and bool(obj.get(RESULT_KEY))

    def invoke(self, context, event) -> set[str]:
        self.shift_to_zero = context.scene.moground.bake_shift
        return self.execute(context)

    def execute(self, context) -> set[str]:
        try:
            actions = bake_actions(context.active_object, shift_to_zero=self.shift_to_zero)
        except NlaWriteError as exc:
            self.report({"ERROR"}, exc.message)
            return {"CANCELLED"}
        self.report({"INFO"}, f"Baked {len(actions)} actions: {', '.join(a.name for a in actions)}")
        return {"FINISHED"}


_CLASSES = (MOGROUND_OT_segment, MOGROUND_OT_clear, MOGROUND_OT_preview, MOGROUND_OT_bake_actions)

# Blender's own helper: registers in order, unregisters in reverse.
register, unregister = bpy.utils.register_classes_factory(_CLASSES)
