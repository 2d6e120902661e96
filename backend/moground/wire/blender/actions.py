"""Which actions an armature can play, and playing one alone for a moment.

An armature can play an action when the action is assigned to it or animates at
least one of its pose bones (legacy F-curves in Blender 4.2/4.3; the slot's channel
bag in 4.4+ slotted actions). Shared by the .blend dumper of ``moground index``
(:mod:`moground.blender.motion_dump`) and the add-on's *Find* panel (vendored by
build_addon.py), so it imports only ``bpy``.
"""

from __future__ import annotations

import re

import bpy  # type: ignore[import-not-found]

_BONE_PATH = re.compile(r'^pose\.bones\["((?:[^"\\]|\\.)*)"\]')


def _fcurves(action, slot):
    """The F-curves ``slot`` of ``action`` drives: slotted (4.4+) or legacy."""
    layers = getattr(action, "layers", None)
    if layers is not None and len(layers) > 0:
        if slot is None:
            return
        for layer in layers:
            for strip in layer.strips:
                bag = strip.channelbag(slot) if hasattr(strip, "channelbag") else None
                if bag is not None:
                    yield from bag.fcurves
    elif hasattr(action, "fcurves"):  # legacy action (4.2/4.3, or a legacy action in 4.4)
        yield from action.fcurves


def _bone_hits(action, slot, bone_names: set[str]) -> int:
    """How many F-curves of ``action``/``slot`` animate a bone in ``bone_names``."""
    hits = 0
    for fc in _fcurves(action, slot):
        m = _BONE_PATH.match(fc.data_path)
        if m and re.sub(r"\\(.)", r"\1", m.group(1)) in bone_names:
            hits += 1
    return hits


def _object_slots(action) -> list:
    """Slots that can animate an object; ``[None]`` for a legacy action."""
    slots = getattr(action, "slots", None)
    if slots is None or (hasattr(action, "is_action_legacy") and action.is_action_legacy):
        return [None]
    return [s for s in slots if getattr(s, "target_id_type", "OBJECT") in ("OBJECT", "UNSPECIFIED")]


def playable_actions(obj) -> list[tuple[object, object]]:
    """(action, slot) pairs ``obj`` can play: the assigned one first, then every action
    whose F-curves animate its bones (the best-matching slot), by name."""
    anim = obj.animation_data
    assigned = anim.action if anim is not None else None
    assigned_slot = getattr(anim, "action_slot", None) if anim is not None else None
    bones = set(obj.pose.bones.keys())
    out = []
    if assigned is not None:
        out.append((assigned, assigned_slot))
    for action in sorted(bpy.data.actions, key=lambda a: a.name):
        if action == assigned:
            continue
        scored = [(_bone_hits(action, slot, bones), i, slot) for i, slot in enumerate(_object_slots(action))]
        best = max(scored, key=lambda s: (s[0], -s[1]), default=(0, 0, None))
        if best[0] > 0:
            out.append((action, best[2]))
    return out


class Assigned:
    """Temporarily play ``action`` (in ``slot``) on ``obj`` with the NLA muted; puts the
    object's own action, slot and NLA switch back on exit."""

    def __init__(self, obj, action, slot) -> None:
        self.obj, self.action, self.slot = obj, action, slot

    def __enter__(self):
        obj = self.obj
        self.created = obj.animation_data is None
        anim = obj.animation_data or obj.animation_data_create()
        self.saved = (anim.action, getattr(anim, "action_slot", None), anim.use_nla)
        if anim.use_tweak_mode:  # the tweaked strip's action cannot be swapped; read it as it plays
            return self
        try:
            anim.use_nla = False
            if anim.action != self.action:
                anim.action = self.action
            if self.slot is not None and hasattr(anim, "action_slot") and anim.action_slot != self.slot:
                anim.action_slot = self.slot
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        obj = self.obj
        if self.created:
            obj.animation_data_clear()
            return
        anim = obj.animation_data
        if anim.use_tweak_mode:
            return
        action, slot, use_nla = self.saved
        if anim.action != action:
            anim.action = action
        if slot is not None and getattr(anim, "action_slot", None) != slot:
            anim.action_slot = slot
        anim.use_nla = use_nla
