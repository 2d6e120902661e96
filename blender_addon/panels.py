"""The MoGround panel, shown in the NLA editor and the 3D viewport sidebars."""

from __future__ import annotations

import bpy

from .prompt_list import draw_preview


class MOGROUND_UL_results(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_prop, index=0):
        row = layout.row(align=True)
        row.label(text=item.label, icon="ERROR" if item.low_confidence else "NLA")
        row.label(text=f"{item.frame_start}–{item.frame_end}")
        row.label(text=f"{item.score:.2f}")
        op = row.operator("moground.preview", text="", icon="PREVIEW_RANGE", emboss=False)
        op.index = index


class MOGROUND_UL_hits(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_prop, index=0):
        row = layout.row(align=True)
        here = not item.file
        row.label(text=item.action or item.take or item.file, icon="ACTION" if here else "FILE_BLEND")
        row.label(text=f"{item.frame_start}–{item.frame_end}")
        row.label(text=f"{item.score:.2f}")
        op = row.operator("moground.find_use", text="", icon="PLAY", emboss=False)
        op.index = index
        op = row.operator("moground.find_add_strip", text="", icon="NLA_PUSHDOWN", emboss=False)
        op.index = index


def draw_find_panel(layout, context) -> None:
    """The Find panel, shared by both editors."""
    state, run = context.scene.moground, context.window_manager.moground_run
    col = layout.column()
    col.prop(state, "find_query", text="")
    col.row().prop(state, "find_source", expand=True)
    if state.find_source == "INDEX":
        col.prop(state, "find_index")
    row = col.row()
    row.enabled = not run.finding
    row.operator("moground.find", icon="VIEWZOOM")
    if state.find_status:
        col.label(text=state.find_status, icon="TIME" if run.finding else "CHECKMARK")
    if state.find_error:
        _wrapped_label(col.box(), state.find_error, icon="ERROR")
    if len(state.find_hits):
        col.template_list("MOGROUND_UL_hits", "", state, "find_hits", state, "find_hits_index",
                          rows=min(8, max(3, len(state.find_hits))))
        hit = state.find_hits[state.find_hits_index] if state.find_hits_index < len(state.find_hits) else None
        if hit is not None and hit.file:
            _wrapped_label(col, hit.file, icon="FILE_BLEND")


def draw_panel(layout, context) -> None:
    """Shared by both panels so that they never drift apart."""
    state, run = context.scene.moground, context.window_manager.moground_run
    obj = context.active_object
    col = layout.column()
    if obj is None or obj.type != "ARMATURE":
        col.label(text="Select an armature", icon="ARMATURE_DATA")
    else:
        action = obj.animation_data.action if obj.animation_data else None
        col.label(text=f"{obj.name}: {action.name if action else 'no action'}",
                  icon="ARMATURE_DATA" if action else "ERROR")
    col.prop(state, "prompt", text="")
    draw_preview(col, state, _wrapped_label)
    col.prop(state, "method")
    row = col.row()
    row.enabled = not run.running
    row.operator("moground.segment", icon="SEQ_STRIP_DUPLICATE")
    if run.running:
        col.progress(factor=run.progress, type="BAR", text=state.status)
        col.label(text="Press Esc to cancel", icon="CANCEL")
    elif state.status:
        col.label(text=state.status, icon="CHECKMARK")
    if state.error:
        box = col.box()
        _wrapped_label(box, state.error, icon="ERROR")
    if len(state.results):
        col.separator()
        col.label(text=f"Sub-actions on '{state.results_track}':")
        header = col.row()
        for text in ("Sub-action", "Frames", "Score"):
            header.label(text=text)
        col.template_list("MOGROUND_UL_results", "", state, "results", state, "results_index",
                          rows=min(8, max(3, len(state.results))))
        if any(r.low_confidence for r in state.results):
            col.label(text="Low-confidence sub-actions are marked", icon="ERROR")
        row = col.row(align=True)
        row.operator("moground.bake_actions", icon="ACTION")
        row.prop(state, "bake_shift", text="From 0")
        col.operator("moground.clear", icon="TRASH")


def _wrapped_label(layout, text: str, icon: str, width: int = 42) -> None:
    """Long error messages on several lines: Blender labels do not wrap."""
    words, line, first = text.split(), "", True
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            layout.label(text=line, icon=icon if first else "BLANK1")
            line, first = word, False
        else:
            line = f"{line} {word}".strip()
    if line:
        layout.label(text=line, icon=icon if first else "BLANK1")


class _SidebarPanel:
    """Mixin: a tab of the editor's sidebar (N panel) named MoGround."""

    bl_region_type = "UI"
    bl_category = "MoGround"


class _SegmentPanel(_SidebarPanel):
    bl_label = "MoGround"

    def draw(self, context) -> None:
        draw_panel(self.layout, context)


class _FindPanel(_SidebarPanel):
    bl_label = "Find"

    def draw(self, context) -> None:
        draw_find_panel(self.layout, context)


class MOGROUND_PT_nla(_SegmentPanel, bpy.types.Panel):
    bl_space_type = "NLA_EDITOR"


class MOGROUND_PT_view3d(_SegmentPanel, bpy.types.Panel):
    bl_space_type = "VIEW_3D"


class MOGROUND_PT_find_nla(_FindPanel, bpy.types.Panel):
    bl_space_type = "NLA_EDITOR"


class MOGROUND_PT_find_view3d(_FindPanel, bpy.types.Panel):
    bl_space_type = "VIEW_3D"


_CLASSES = (MOGROUND_UL_results, MOGROUND_UL_hits, MOGROUND_PT_nla, MOGROUND_PT_view3d,
            MOGROUND_PT_find_nla, MOGROUND_PT_find_view3d)

# Blender's own helper: registers in order, unregisters in reverse.
register, unregister = bpy.utils.register_classes_factory(_CLASSES)
