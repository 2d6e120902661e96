"""UI state. Per scene (saved in the .blend): the prompt, the method, the last status,
error and results. Per session (on the window manager, never saved): whether a request
is running and its progress, so a file saved mid-request never reopens stuck."""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from .preferences import METHOD_ITEMS

DEFAULT_METHOD = "DEFAULT"  # the scene follows the add-on preference "Default method"
# Explicit numbers keep what older files stored for the methods (0..3).
SCENE_METHOD_ITEMS = [
    (DEFAULT_METHOD, "Default", "The default method of the add-on preferences", "", 100),
    *((ident, name, desc, "", i) for i, (ident, name, desc) in enumerate(METHOD_ITEMS)),
]


class MoGroundResult(bpy.types.PropertyGroup):
    label: StringProperty(name="Sub-action")
    frame_start: IntProperty(name="Start")
    frame_end: IntProperty(name="End", description="Exclusive end frame")
    score: FloatProperty(name="Score", min=0.0, max=1.0)
    low_confidence: bpy.props.BoolProperty(name="Low confidence", default=False)
    reason: StringProperty(name="Why low confidence")


class MoGroundPromptItem(bpy.types.PropertyGroup):
    """One sub-action of the editable list (its text is ``name``)."""


class MoGroundHit(bpy.types.PropertyGroup):
    """One moment the Find panel found (frames in the take's source numbering)."""

    file: StringProperty(name="File", description="Empty: an action of this file")
    take: StringProperty(name="Take")
    armature: StringProperty(name="Armature")
    action: StringProperty(name="Action")
    frame_start: IntProperty(name="Start")
    frame_end: IntProperty(name="End", description="Exclusive end frame")
    score: FloatProperty(name="Score")


FIND_SOURCE_ITEMS = [
    ("FILE", "This File", "Search the actions of this file that the active armature can play"),
    ("INDEX", "Server Index", "Search a library index the backend serves (moground serve --index NAME=PATH)"),
]


class MoGroundSceneSettings(bpy.types.PropertyGroup):
    prompt: StringProperty(
        name="Prompt",
        description="What happens in the take, in order: a list ('walk, kick, bow', one per line, "
                    "numbered) keeps every item as typed; a sentence is split into clauses",
        default="",
        options={"TEXTEDIT_UPDATE"},  # the split preview follows every keystroke
    )
    prompt_items: CollectionProperty(type=MoGroundPromptItem)
    prompt_items_index: IntProperty()
    use_prompt_items: BoolProperty(name="Use the List", default=False,
                                   description="Segment sends the edited list, one sub-action per line")
    method: EnumProperty(name="Method", items=SCENE_METHOD_ITEMS, default=DEFAULT_METHOD)
    status: StringProperty(name="Status", default="")
    error: StringProperty(name="Error", default="")
    results_object: StringProperty(name="Object")
    results_track: StringProperty(name="Track")
    results: CollectionProperty(type=MoGroundResult)
    results_index: IntProperty()
    find_query: StringProperty(name="Find", description="The moment to find, e.g. 'a person kicks'",
                               default="")
    find_source: EnumProperty(name="Source", items=FIND_SOURCE_ITEMS, default="FILE")
    find_index: StringProperty(name="Index", description="Name of the backend's index (not a path)",
                               default="")
    find_object: StringProperty(name="Armature searched")
    find_status: StringProperty(name="Find status", default="")
    find_error: StringProperty(name="Find error", default="")
    find_hits: CollectionProperty(type=MoGroundHit)
    find_hits_index: IntProperty()
    bake_shift: bpy.props.BoolProperty(
        name="Start at Frame 0",
        description="Baked actions start at frame 0 (off: keep the source's frame numbers)",
        default=True,
    )


class MoGroundRunState(bpy.types.PropertyGroup):
    running: BoolProperty(name="Running", default=False)
    finding: BoolProperty(name="Finding", default=False)
    progress: FloatProperty(name="Progress", min=0.0, max=1.0, subtype="FACTOR")


def run_state(context):
    """This session's run state (window-manager properties are not saved in files)."""
    return context.window_manager.moground_run


_CLASSES = (MoGroundResult, MoGroundPromptItem, MoGroundHit, MoGroundSceneSettings, MoGroundRunState)


def register() -> None:
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.moground = PointerProperty(type=MoGroundSceneSettings)
    bpy.types.WindowManager.moground_run = PointerProperty(type=MoGroundRunState)


def unregister() -> None:
    del bpy.types.WindowManager.moground_run
    del bpy.types.Scene.moground
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
