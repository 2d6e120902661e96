"""Bring a BVH, FBX, ASF/AMC, SMPL-family or joint-array take into a fresh Blender scene
as an animated armature.

BVH and FBX go through Blender's own importers (what an artist would get by
hand). Blender has no AMC importer, so ASF/AMC is read with ``moground.io`` and
turned into a connected T-pose armature with root translation and per-bone rotation
keys solved from the joint positions (``moground.solve_rotations``); so are
SMPL-family .npz/.npy (joints by smplx forward kinematics), HumanML3D joints and
Kinect or video-pose skeletons.
"""

from __future__ import annotations

from pathlib import Path

import bpy  # type: ignore[import-not-found]
import numpy as np

from ..blender_import import armature_from_positions, import_bvh, import_fbx, import_into_fresh_scene
from ..wire.errors import BadRequest, UnreadableFile


def import_amc(path: Path, take: str | None = None) -> bpy.types.Object:
    """ASF/AMC through moground.io (Blender has no AMC importer); the ASF beside it."""
    from ..io import load_motion  # numpy-only reader; imported late, only for AMC

    return _armature_from_clip(path, load_motion(path, take=take))


def import_joints(path: Path, take: str | None = None) -> bpy.types.Object:
    """SMPL-family parameters (.npz: AMASS, SMPL-X, SMPL; .npy: Motion-X) and joint arrays
    (HumanML3D .npy, MoGround .npz) through moground.io, body models from
    ``$MOGROUND_BODY_MODELS`` (``segment --body-model`` sets it)."""
    from ..io import load_motion

    clip = load_motion(path, take=take)
    for w in clip.meta.get("warnings", []):
        print(f"moground: warning: {w}", flush=True)
    return _armature_from_clip(path, clip)


def _armature_from_clip(path: Path, clip) -> bpy.types.Object:
    name = f"{path.stem}_{clip.meta['id']}" if clip.meta.get("format") == "shard" else path.stem
    pos = np.asarray(clip.positions, dtype=np.float64) * float(clip.units_to_m)
    if str(clip.up_axis).upper() == "Y":  # Y up → Blender's Z up (as the BVH importer does)
        pos = np.stack([pos[..., 0], -pos[..., 2], pos[..., 1]], axis=-1)
    return armature_from_positions(name, pos, list(clip.joint_names), list(clip.parents), float(clip.fps))


IMPORTERS = {".bvh": import_bvh, ".fbx": import_fbx, ".amc": import_amc, ".npz": import_joints, ".npy": import_joints}


def import_take(path: Path, armature: str | None = None, take: str | None = None) -> bpy.types.Object:
    """Fresh scene + the right importer; returns the animated armature (``armature``
    picks one by name when an FBX holds several, ``take`` one take of a multi-take npz)."""
    importer = IMPORTERS.get(path.suffix.lower())
    if take is not None and path.suffix.lower() != ".npz":
        raise BadRequest(f"--take {take}: only a multi-take .npz holds several takes, not {path.name}")
    if importer is None:
        raise UnreadableFile(f"{path.name}: not a BVH, FBX, AMC, .npz or .npy file")
    def run(p: Path) -> bpy.types.Object:
        if importer is import_fbx:
            return importer(p, armature)
        return importer(p) if importer is import_bvh else importer(p, take)

    return import_into_fresh_scene(path, run)
