"""Bring a BVH, FBX, ASF/AMC, SMPL-family or joint-array take into a fresh Blender scene
as an animated armature.

BVH and FBX go through Blender's own importers (what an artist would get by
hand). Blender has no AMC importer, so ASF/AMC is read with ``moground.io`` and
turned into an armature whose bone heads follow the joint positions exactly; so are
SMPL-family .npz/.npy (joints by smplx forward kinematics) and HumanML3D joints.
"""

from __future__ import annotations

from pathlib import Path

import bpy  # type: ignore[import-not-found]
import numpy as np

from ..blender_import import armature_from_positions, import_bvh, import_fbx, import_into_fresh_scene
from ..wire.errors import UnreadableFile


def import_amc(path: Path) -> bpy.types.Object:
    """ASF/AMC through moground.io (Blender has no AMC importer)."""
    from ..io import load_motion  # numpy-only reader; imported late, only for AMC

    return _armature_from_clip(path, load_motion(path))


def import_joints(path: Path) -> bpy.types.Object:
    """SMPL-family parameters (.npz: AMASS, SMPL-X, SMPL; .npy: Motion-X) and joint arrays
    (HumanML3D .npy, MoGround .npz) through moground.io, body models from
    ``$MOGROUND_BODY_MODELS`` (``segment --body-model`` sets it)."""
    from ..io import load_motion

    clip = load_motion(path)
    for w in clip.meta.get("warnings", []):
        print(f"moground: warning: {w}", flush=True)
    return _armature_from_clip(path, clip)


def _armature_from_clip(path: Path, clip) -> bpy.types.Object:
    pos = np.asarray(clip.positions, dtype=np.float64) * float(clip.units_to_m)
    if str(clip.up_axis).upper() == "Y":  # Y up → Blender's Z up (as the BVH importer does)
        pos = np.stack([pos[..., 0], -pos[..., 2], pos[..., 1]], axis=-1)
    return armature_from_positions(
        path.stem, pos, list(clip.joint_names), list(clip.parents), float(clip.fps)
    )


IMPORTERS = {".bvh": import_bvh, ".fbx": import_fbx, ".amc": import_amc, ".npz": import_joints, ".npy": import_joints}


def import_take(path: Path, armature: str | None = None) -> bpy.types.Object:
    """Fresh scene + the right importer; returns the animated armature (``armature``
    picks one by name when an FBX holds several)."""
    importer = IMPORTERS.get(path.suffix.lower())
    if importer is None:
        raise UnreadableFile(f"{path.name}: not a BVH, FBX, AMC, .npz or .npy file")
    return import_into_fresh_scene(path, lambda p: importer(p, armature) if importer is import_fbx else importer(p))
