"""Per-scene UI state: the prompt, the running job's status, the last results."""

from __future__ import annotations

import bpy
from bpy.props import (
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from .preferences import METHOD_ITEMS


class MoGroundResult(bpy.types.PropertyGroup):
    label: StringProperty(name="Sub-action")
    frame_start: IntProperty(name="Start")
    frame_end: IntProperty(name="End", description="Exclusive end frame")
    score: FloatProperty(name="Score", min=0.0, max=1.0)
    low_confidence: bpy.props.BoolProperty(name="Low confidence", default=False)
    reason: StringProperty(name="Why low confidence")


class MoGroundSceneSettings(bpy.types.PropertyGroup):
    prompt: StringProperty(
        name="Prompt",
        description="What happens in the take, in order, e.g. 'walk forward, then kick, then bow'",
        default="",
    )
    method: EnumProperty(name="Method", items=METHOD_ITEMS, default="zomg")
    status: StringProperty(name="Status", default="")
    progress: FloatProperty(name="Progress", min=0.0, max=1.0, subtype="FACTOR")
    running: bpy.props.BoolProperty(name="Running", default=False)
    error: StringProperty(name="Error", default="")
    results_object: StringProperty(name="Object")
    results_track: StringProperty(name="Track")
    results: CollectionProperty(type=MoGroundResult)
    results_index: IntProperty()
    bake_shift: bpy.props.BoolProperty(
        name="Start at Frame 0",
        description="Baked actions start at frame 0 (off: keep the source's frame numbers)",
        default=True,
    )


_CLASSES = (MoGroundResult, MoGroundSceneSettings)


def register() -> None:
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.moground = PointerProperty(type=MoGroundSceneSettings)


def unregister() -> None:
    del bpy.types.Scene.moground
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
