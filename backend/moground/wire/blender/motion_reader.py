"""Read an armature's animation as world-space joint positions, fast.

Shared by the add-on's operator (vendored into the extension by build_addon.py) and
the batch job, so it imports only ``bpy`` and ``numpy``.

Why evaluate the scene instead of reading F-curves: the positions the backend needs
are what the artist sees (constraints, drivers, parenting, NLA), and reading them from
the evaluated pose works the same for legacy actions (Blender 4.2/4.3) and slotted
actions (4.4+, where ``action.fcurves`` is gone). Per frame there is one
``scene.frame_set`` and one ``foreach_get`` over all pose bones; bones are never visited
one by one in Python.
"""

from __future__ import annotations

import bpy
import numpy as np


class MotionReadError(ValueError):
    """Why the motion cannot be read; ``code`` is stable for UIs and batch logs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_armature(obj) -> None:
    """Raise MotionReadError unless ``obj`` is an armature with an action that animates it."""
    if obj is None or getattr(obj, "type", None) != "ARMATURE":
        what = "nothing is selected" if obj is None else f"'{obj.name}' is a {obj.type.lower()}"
        raise MotionReadError("no_armature", f"Select an armature: {what}")
    action = _active_action(obj)
    if action is None:
        raise MotionReadError("no_action", f"Armature '{obj.name}' has no action assigned")
    anim = obj.animation_data
    # 4.4+: an action animates nothing unless one of its slots is assigned.
    if hasattr(anim, "action_slot") and anim.action_slot is None:
        raise MotionReadError(
            "no_action",
            f"Action '{action.name}' has no slot assigned to '{obj.name}'; pick a slot in the "
            "Action editor",
        )
    if not _deform_mask(obj).any():
        raise MotionReadError("no_armature", f"Armature '{obj.name}' has no deform bones")


def _active_action(obj):
    anim = obj.animation_data
    return anim.action if anim is not None else None


def _deform_mask(obj) -> np.ndarray:
    bones = obj.data.bones
    mask = np.zeros(len(bones), dtype=bool)
    bones.foreach_get("use_deform", mask)
    return mask


def action_frame_range(obj) -> tuple[int, int]:
    """Inclusive integer frame range of the active action (its manual range if set)."""
    start, end = obj.animation_data.action.frame_range
    return int(round(start)), int(round(end))


def _deform_parents(obj, deform_idx: np.ndarray) -> list[int]:
    """Parent of each deform bone among the deform bones (nearest deform ancestor, or -1).

    One pass over the bones, done once per read, never per frame.
    """
    bones = obj.data.bones
    position = {int(b): i for i, b in enumerate(deform_idx)}
    index_of = {b.name: i for i, b in enumerate(bones)}
    parents = []
    for b in deform_idx:
        parent = bones[int(b)].parent
        while parent is not None and index_of[parent.name] not in position:
            parent = parent.parent
        parents.append(-1 if parent is None else position[index_of[parent.name]])
    return parents


def read_armature_motion(obj, scene=None, frame_range: tuple[int, int] | None = None) -> dict:
    """World-space heads of ``obj``'s deform bones for every frame of its action.

    Returns ``positions`` float32 [T, B, 3] in scene units, ``bone_names``, ``parents``
    (indices into bone_names, -1 for roots), ``fps`` (scene fps / fps_base),
    ``frame_start``, ``frame_end`` (inclusive) and ``units_to_m`` (the scene's unit
    scale). ``frame_range`` (inclusive) overrides the action's range. The scene's
    current frame is restored afterwards.
    """
    scene = scene or bpy.context.scene
    check_armature(obj)
    start, end = frame_range if frame_range is not None else action_frame_range(obj)
    start, end = int(start), int(end)
    if end < start:
        raise MotionReadError("bad_motion", f"Empty frame range {start}..{end}")

    mask = _deform_mask(obj)
    deform_idx = np.flatnonzero(mask)
    names = [obj.data.bones[int(i)].name for i in deform_idx]
    parents = _deform_parents(obj, deform_idx)

    # Pose channels are looked up by name once: their order need not match obj.data.bones.
    pose_index = {pb.name: i for i, pb in enumerate(obj.pose.bones)}
    pose_idx = np.array([pose_index[name] for name in names], dtype=np.int64)
    n_bones = len(pose_index)
    n_frames = end - start + 1
    heads = np.empty((n_frames, n_bones * 3), dtype=np.float32)
    world = np.empty((n_frames, 4, 4), dtype=np.float32)
    saved_frame, saved_sub = scene.frame_current, scene.frame_subframe
    try:
        for t, frame in enumerate(range(start, end + 1)):
            scene.frame_set(frame)
            evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
            evaluated.pose.bones.foreach_get("head", heads[t])
            world[t] = np.array(evaluated.matrix_world, dtype=np.float32)
    finally:
        scene.frame_set(saved_frame, subframe=saved_sub)

    local = heads.reshape(n_frames, n_bones, 3)[:, pose_idx]
    positions = np.einsum("tij,tbj->tbi", world[:, :3, :3], local) + world[:, None, :3, 3]
    positions = np.ascontiguousarray(positions, dtype=np.float32)  # NaN/inf: the wire check names them
    return {
        "positions": positions,
        "bone_names": names,
        "parents": parents,
        "fps": float(scene.render.fps) / float(scene.render.fps_base),
        "frame_start": start,
        "frame_end": end,
        "units_to_m": float(scene.unit_settings.scale_length),
    }
