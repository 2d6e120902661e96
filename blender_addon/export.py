"""Game-ready export from the panel: one FBX per sub-action, named by a pattern, with
handles, root motion kept or in place and Unreal/Unity units (the settings the batch's
``moground segment --export-fbx`` takes), and the rig-mapping file Segment sends."""

from __future__ import annotations

import json
import os

import bpy

from .wire.blender.bake import bake_actions, export_fbx
from .wire.blender.export_names import ExportSettings, ExportSettingsError
from .wire.blender.motion_reader import MotionReadError
from .wire.blender.nla_writer import RESULT_KEY, NlaWriteError


def read_rig_mapping(path: str) -> dict | None:
    """The panel's rig-mapping file as {canonical joint: bone name}, None when unset;
    a missing or malformed file is a clear error before anything is sent (the backend
    checks the joint and bone names)."""
    path = bpy.path.abspath(path.strip()) if path and path.strip() else ""
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise MotionReadError("bad_rig_mapping", f"Cannot read the rig mapping file {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise MotionReadError("bad_rig_mapping",
                              f"{os.path.basename(path)}: a rig mapping is one JSON object {{canonical joint: bone name}}")
    return data


def settings_from_panel(state) -> ExportSettings:
    return ExportSettings(pattern=state.export_pattern, pre_roll=state.export_pre_roll,
                          post_roll=state.export_post_roll, in_place=state.export_in_place,
                          fbx_scale=state.export_scale.lower())


class MOGROUND_OT_export_fbx(bpy.types.Operator):
    """Bake each sub-action and write one FBX per sub-action into the export folder
(the original action is left as it is)"""

    bl_idname = "moground.export_fbx"
    bl_label = "Export FBX"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context) -> bool:
        obj = context.active_object
        return obj is not None and obj.type == "ARMATURE" and bool(obj.get(RESULT_KEY))

    def execute(self, context) -> set[str]:
        state = context.scene.moground
        folder = bpy.path.abspath(state.export_folder) if state.export_folder else ""
        if not folder:
            self.report({"ERROR"}, "Choose an export folder first")
            return {"CANCELLED"}
        try:
            settings = settings_from_panel(state)
            obj = context.active_object
            actions = bake_actions(obj, shift_to_zero=True, handles=(settings.pre_roll, settings.post_roll),
                                   in_place=settings.in_place)
            paths = export_fbx(obj, actions, folder, settings=settings)
        except (ExportSettingsError, NlaWriteError, OSError) as exc:
            self.report({"ERROR"}, getattr(exc, "message", str(exc)))
            return {"CANCELLED"}
        state.export_status = f"{len(paths)} FBX in {folder}"
        self.report({"INFO"}, state.export_status)
        return {"FINISHED"}


register, unregister = bpy.utils.register_classes_factory((MOGROUND_OT_export_fbx,))
