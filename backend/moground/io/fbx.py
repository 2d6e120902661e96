"""FBX on the command line, through Blender's ``bpy`` module.

The same code as ``moground segment --from-mocap``: Blender's FBX importer into a fresh
scene (``blender_import.import_fbx``, as ``blender.mocap_import.import_take`` does), then the add-on's reader of deform-bone world
heads (``blender.motion_reader.read_armature_motion``). So a take grounds the same from the
command line, from the batch and from the add-on.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from ..wire.errors import BadMotion, UnreadableFile
from ..motion import MotionClip

NO_BPY = (
    "reading FBX needs Blender's Python module: pip install 'moground[dev]' (bpy 5.0.1, "
    "Python 3.11), or run `moground segment --from-mocap TAKE.fbx --blender /path/to/blender`, "
    "or export the take to BVH"
)


def read_fbx(path: str | os.PathLike, armature: str | None = None) -> MotionClip:
    """World joint positions of the FBX's animated armature (``armature`` names one when
    there are several), Blender frame numbers and scene fps, Z up."""
    try:
        import bpy  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        raise UnreadableFile(NO_BPY) from None
    from ..wire.blender import motion_reader as reader
    from ..blender_import import import_fbx, import_into_fresh_scene

    p = Path(path)
    with _stdout_to_stderr():  # Blender's importer prints; `ground --json` owns stdout
        obj = import_into_fresh_scene(p, lambda q: import_fbx(q, armature))
        try:
            motion = reader.read_armature_motion(obj, scene=obj.users_scene[0] if obj.users_scene else None)
        except reader.MotionReadError as exc:
            raise BadMotion(f"{p.name}: {exc.message}") from None
    return MotionClip(
        positions=motion["positions"],
        joint_names=list(motion["bone_names"]),
        parents=list(motion["parents"]),
        fps=float(motion["fps"]),
        frame_start=float(motion["frame_start"]),
        units_to_m=float(motion.get("units_to_m", 1.0)),
        up_axis="Z",
        source=str(p),
        meta={"format": "fbx", "armature": obj.name, "warnings": []},
    )


@contextlib.contextmanager
def _stdout_to_stderr():
    """Send Python's and C's stdout to stderr for the duration."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 (embedded): Python-level redirect only
        saved = None
    try:
        if saved is not None:
            os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)
