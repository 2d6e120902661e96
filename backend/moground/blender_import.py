"""Blender's own importers (BVH, FBX) and an armature built from joint positions, each
into a fresh scene: bpy and numpy only, so the FBX reader of ``moground.io`` and the
batch job's take import (``blender.mocap_import``) share them without depending on
each other."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import bpy  # type: ignore[import-not-found]
import numpy as np

from .wire.blender.bake import write_linear_keys
from .wire.errors import BadMotion, BadRequest, UnreadableFile

CM_HEIGHT_THRESHOLD = 20.0  # a rest skeleton taller than this (in m) must be in cm


def fresh_scene() -> bpy.types.Scene:
    """An empty file, so nothing from the previous take leaks into this one."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return bpy.context.scene


def _enable(addon: str) -> None:
    import addon_utils  # type: ignore[import-not-found]

    addon_utils.enable(addon, default_set=True)


def _new_armature_objects(before: set[str]) -> list[bpy.types.Object]:
    return [o for o in bpy.data.objects if o.name not in before and o.type == "ARMATURE"]


def _fit_scene_range(scene: bpy.types.Scene, obj: bpy.types.Object) -> None:
    ad = obj.animation_data
    if ad and ad.action:
        start, end = ad.action.frame_range
        scene.frame_start, scene.frame_end = int(round(start)), int(round(end))


def _rest_height(obj: bpy.types.Object) -> float:
    heads = np.array([b.head_local for b in obj.data.bones] or [(0, 0, 0)], dtype=np.float64)
    return float(np.ptp(heads, axis=0).max())


def import_bvh(path: Path) -> bpy.types.Object:
    _enable("io_anim_bvh")
    before = {o.name for o in bpy.data.objects}
    bpy.ops.import_anim.bvh(
        filepath=str(path), update_scene_fps=True, update_scene_duration=True
    )
    arms = _new_armature_objects(before)
    if not arms:
        raise UnreadableFile(f"{path.name}: the BVH importer made no armature")
    obj = arms[0]
    action = obj.animation_data.action if obj.animation_data else None
    if action is None or action.frame_range[1] <= action.frame_range[0]:
        raise UnreadableFile(f"{path.name}: the BVH holds no motion")
    if _rest_height(obj) > CM_HEIGHT_THRESHOLD:  # BVH in centimetres → metres in the scene
        obj.scale = (0.01, 0.01, 0.01)
    return obj


def import_fbx(path: Path, armature: str | None = None) -> bpy.types.Object:
    """The FBX's animated armature: the one named ``armature``, else the only one."""
    _enable("io_scene_fbx")
    before = {o.name for o in bpy.data.objects}
    bpy.ops.import_scene.fbx(filepath=str(path), use_anim=True)
    arms = [o for o in _new_armature_objects(before) if o.animation_data and o.animation_data.action]
    if not arms:
        raise UnreadableFile(f"{path.name}: no animated armature in this FBX")
    names = sorted(o.name for o in arms)
    if armature:
        chosen = [o for o in arms if o.name == armature or o.data.name == armature]
        if not chosen:
            raise BadRequest(f"{path.name}: no animated armature named {armature!r}; it has {names}")
        return chosen[0]
    if len(arms) > 1:
        raise BadRequest(f"{path.name}: several animated armatures {names}: pass --armature NAME")
    return arms[0]


def _fcurve(action, obj, data_path: str, index: int):
    """F-curve for ``obj`` in ``action``: slotted API (4.4+/5.x) or legacy fcurves."""
    ensure = getattr(action, "fcurve_ensure_for_datablock", None)
    if ensure is not None:
        return ensure(obj, data_path, index=index)
    return action.fcurves.new(data_path, index=index)


def _key_curves(action, obj, data_path: str, frames: np.ndarray, values: np.ndarray) -> None:
    """One linear F-curve per column of ``values`` [T, C] (written in bulk)."""
    for axis in range(values.shape[1]):
        write_linear_keys(_fcurve(action, obj, data_path, axis), frames, values[:, axis])


def armature_from_positions(
    name: str,
    positions_zup_m: np.ndarray,
    joint_names: list[str],
    parents: list[int],
    fps: float,
    frame_start: int = 1,
    scene: bpy.types.Scene | None = None,
    *,
    stretch: bool = False,
) -> bpy.types.Object:
    """A connected, T-pose armature whose bone heads follow ``positions`` ([T, J, 3],
    metres, Z up) through root translation and per-bone rotation keys, solved by
    :mod:`moground.solve_rotations` (twist rule and bone lengths are documented
    there). ``stretch`` also keys bone locations so noisy captures whose bone lengths
    vary are reproduced exactly."""
    from .solve_rotations import solve, to_bone_keys

    scene = scene or bpy.context.scene
    pos = np.asarray(positions_zup_m, dtype=np.float64)
    if pos.ndim != 3 or pos.shape[1] != len(joint_names) or pos.shape[2] != 3 or len(pos) < 2:
        raise BadMotion(f"{name}: expected positions [T>=2, {len(joint_names)}, 3], got {pos.shape}")
    solved = solve(pos, parents, stretch=stretch)
    rest = solved.rest
    data = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, data)
    scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    ebones = []
    for j, jn in enumerate(joint_names):
        eb = data.edit_bones.new(jn)
        eb.head, eb.tail, eb.roll = rest.heads[j], rest.tails[j], 0.0
        ebones.append(eb)
    for j, p in enumerate(parents):
        if p >= 0:
            ebones[j].parent = ebones[p]
            ebones[j].use_connect = bool(rest.connected[j]) and not stretch  # connected bones cannot move
    bpy.ops.object.mode_set(mode="OBJECT")
    # Keys are solved against the bone axes Blender really built (its roll convention).
    built = np.array([np.array(data.bones[jn].matrix_local, dtype=np.float64)[:3, :3] for jn in joint_names])
    quats, locations = to_bone_keys(solved.deltas, pos, list(parents), rest, built, stretch=stretch)
    action = bpy.data.actions.new(f"{name}_motion")
    obj.animation_data_create()
    obj.animation_data.action = action
    frames = frame_start + np.arange(len(pos), dtype=np.float64)
    for j, jn in enumerate(joint_names):
        obj.pose.bones[jn].rotation_mode = "QUATERNION"
        _key_curves(action, obj, f'pose.bones["{jn}"].rotation_quaternion', frames, quats[:, j])
        if parents[j] < 0 or stretch:
            _key_curves(action, obj, f'pose.bones["{jn}"].location', frames, locations[:, j])
    base = int(round(fps))
    scene.render.fps, scene.render.fps_base = max(base, 1), max(base, 1) / float(fps)
    scene.frame_start, scene.frame_end = frame_start, frame_start + len(pos) - 1
    return obj


def import_into_fresh_scene(path: Path, importer: Callable[[Path], bpy.types.Object]) -> bpy.types.Object:
    """Fresh scene + ``importer``; the scene's frame range follows the take. An importer
    operator's RuntimeError becomes an ``unreadable_file`` error naming the file."""
    scene = fresh_scene()
    try:
        obj = importer(path)
    except RuntimeError as exc:  # importer operators report failures as RuntimeError
        lines = str(exc).strip().splitlines() or ["unreadable"]
        raise UnreadableFile(f"{path.name}: import failed: {lines[-1].strip()}") from exc
    _fit_scene_range(scene, obj)
    return obj
