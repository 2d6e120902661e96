"""Benchmark the motion reader (moground/wire/blender/motion_reader.py): 60 bones x 3,000 frames, prints seconds.

Run with the ``bpy`` module (``python scripts/bench_read_motion.py``) or inside
Blender (``blender -b --python scripts/bench_read_motion.py``). The armature is
synthetic (a chain of deform bones keyed every 50 frames) because only the reader's
cost is measured, not any particular rig.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import pathlib
import sys
import time

import bpy

READER = pathlib.Path(__file__).resolve().parents[1] / "backend" / "moground" / "wire" / "blender" / "motion_reader.py"


def load_reader():
    spec = importlib.util.spec_from_file_location("moground_motion_reader", READER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_rig(n_bones: int, n_frames: int, key_every: int = 50):
    """An armature with a chain of ``n_bones`` bones whose rotations are keyed."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    arm = bpy.data.armatures.new("BenchRig")
    obj = bpy.data.objects.new("BenchRig", arm)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    parent = None
    for i in range(n_bones):
        bone = arm.edit_bones.new(f"bone_{i:02d}")
        bone.head = (0.0, 0.0, 0.1 * i)
        bone.tail = (0.0, 0.0, 0.1 * (i + 1))
        bone.parent = parent
        parent = bone
    bpy.ops.object.mode_set(mode="OBJECT")
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, n_frames
    for frame in range(1, n_frames + 1, key_every):
        for i, pb in enumerate(obj.pose.bones):
            pb.rotation_mode = "XYZ"
            pb.rotation_euler = (0.2 * math.sin(frame * 0.01 + i), 0.1 * i % 0.5, 0.0)
            pb.keyframe_insert("rotation_euler", frame=frame)
    return obj


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[sys.argv.index("--") + 1:] if argv is None and "--" in sys.argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bones", type=int, default=60)
    parser.add_argument("--frames", type=int, default=3000)
    args = parser.parse_args(argv)
    reader = load_reader()
    obj = build_rig(args.bones, args.frames)
    start = time.perf_counter()
    motion = reader.read_armature_motion(obj, frame_range=(1, args.frames))
    seconds = time.perf_counter() - start
    shape = motion["positions"].shape
    print(f"blender {bpy.app.version_string}: read {shape[1]} bones x {shape[0]} frames "
          f"in {seconds:.3f} s ({1000 * seconds / shape[0]:.3f} ms/frame)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
