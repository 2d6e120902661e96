"""The prompt, split as the backend will split it, shown under the prompt as the artist
types; and the split as an editable one-per-line list the Segment button can send.

The split is the backend's own rules (``wire/prompt/typed.py``, vendored), so the
preview is what grounding gets: no request, no guess.
"""

from __future__ import annotations

import bpy
from bpy.props import IntProperty

from .wire.prompt.typed import split_typed
from .wire.errors import MoGroundError

PREVIEW_ROWS = 12


def preview(prompt: str) -> tuple[list[str], list[str], str]:
    """(one line per sub-action, notes and warnings, error) for ``prompt``."""
    if not prompt.strip():
        return [], [], ""
    try:
        split = split_typed(prompt)
    except MoGroundError as exc:
        return [], [], exc.message if hasattr(exc, "message") else str(exc)
    lines = []
    for i, item in enumerate(split.items, 1):
        typed = prompt[item.start:item.end]
        lines.append(f"{i}. {item.text}" + (f"   \u2190 '{typed}'" if item.changed else ""))
    return lines, [*split.warnings, *split.notes], ""


def list_prompt(state) -> str:
    """The edited list as a one-per-line prompt (every line one sub-action)."""
    return "\n".join(item.name.strip() for item in state.prompt_items if item.name.strip())


def draw_preview(layout, state, wrapped_label) -> None:
    """Under the prompt: the sub-actions it gives, or the list being edited."""
    if state.use_prompt_items:
        box = layout.box()
        box.label(text=f"Sub-actions, one per line ({len(state.prompt_items)}):", icon="LINENUMBERS_ON")
        row = box.row()
        row.template_list("MOGROUND_UL_prompt_items", "", state, "prompt_items", state, "prompt_items_index",
                          rows=min(8, max(3, len(state.prompt_items))))
        col = row.column(align=True)
        col.operator("moground.prompt_item_add", text="", icon="ADD")
        col.operator("moground.prompt_item_remove", text="", icon="REMOVE")
        box.operator("moground.prompt_list_off", icon="X")
        return
    lines, remarks, error = preview(state.prompt)
    if error:
        wrapped_label(layout.box(), error, icon="ERROR")
        return
    if not lines:
        return
    box = layout.box()
    box.label(text=f"{len(lines)} sub-action{'s' if len(lines) > 1 else ''}:", icon="SEQ_STRIP_DUPLICATE")
    for line in lines[:PREVIEW_ROWS]:
        box.label(text=line)
    if len(lines) > PREVIEW_ROWS:
        box.label(text=f"... {len(lines) - PREVIEW_ROWS} more")
    for remark in remarks:
        wrapped_label(box, remark, icon="INFO")
    box.operator("moground.prompt_to_list", icon="GREASEPENCIL")


class MOGROUND_UL_prompt_items(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_prop, index=0):
        layout.prop(item, "name", text=f"{index + 1}.", emboss=False)


class MOGROUND_OT_prompt_to_list(bpy.types.Operator):
    """Edit the split as a one-per-line list; Segment then sends the list"""

    bl_idname = "moground.prompt_to_list"
    bl_label = "Edit as List"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        state = context.scene.moground
        try:
            phrases = split_typed(state.prompt).phrases
        except MoGroundError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        state.prompt_items.clear()
        for phrase in phrases:
            state.prompt_items.add().name = phrase
        state.prompt_items_index, state.use_prompt_items = 0, True
        return {"FINISHED"}


class MOGROUND_OT_prompt_list_off(bpy.types.Operator):
    """Go back to the typed prompt (the list is kept until the next Edit as List)"""

    bl_idname = "moground.prompt_list_off"
    bl_label = "Use the Typed Prompt"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        context.scene.moground.use_prompt_items = False
        return {"FINISHED"}


class MOGROUND_OT_prompt_item_add(bpy.types.Operator):
    """Add a sub-action after the selected one"""

    bl_idname = "moground.prompt_item_add"
    bl_label = "Add Sub-action"
    bl_options = {"REGISTER", "UNDO"}

    text: bpy.props.StringProperty(name="Text", default="new sub-action")

    def execute(self, context):
        state = context.scene.moground
        state.prompt_items.add().name = self.text
        last, at = len(state.prompt_items) - 1, min(state.prompt_items_index + 1, len(state.prompt_items) - 1)
        state.prompt_items.move(last, at)
        state.prompt_items_index = at
        return {"FINISHED"}


class MOGROUND_OT_prompt_item_remove(bpy.types.Operator):
    """Remove the selected sub-action"""

    bl_idname = "moground.prompt_item_remove"
    bl_label = "Remove Sub-action"
    bl_options = {"REGISTER", "UNDO"}

    index: IntProperty(default=-1, description="-1: the selected one")

    @classmethod
    def poll(cls, context):
        return len(context.scene.moground.prompt_items) > 0

    def execute(self, context):
        state = context.scene.moground
        index = self.index if self.index >= 0 else state.prompt_items_index
        if 0 <= index < len(state.prompt_items):
            state.prompt_items.remove(index)
            state.prompt_items_index = max(0, min(index, len(state.prompt_items) - 1))
        return {"FINISHED"}


register, unregister = bpy.utils.register_classes_factory((
    MOGROUND_UL_prompt_items, MOGROUND_OT_prompt_to_list, MOGROUND_OT_prompt_list_off,
    MOGROUND_OT_prompt_item_add, MOGROUND_OT_prompt_item_remove,
))
