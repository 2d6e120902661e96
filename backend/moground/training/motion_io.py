"""Load one data record as canonical 22-joint positions at 20 fps.

Skeleton mapping and resampling are moground.rigmap / moground.preprocess (the same
code that maps a user's rig at grounding time), so training sees the joints exactly as
grounding will. The Kinect action sets use a name table passed as a rig override:
their joint names are dataset-specific and belong to the data, not to rig mapping.
"""

from __future__ import annotations

import numpy as np

from ..io.shards import open_shard, skeleton
from ..motion import MotionClip
from .sources import FPS, ClipRecord

KINECT_OVERRIDE: dict[str, str] = {
    "pelvis": "hip_center", "spine2": "spine", "neck": "shoulder_center", "head": "head",
    "left_hip": "hip_left", "right_hip": "hip_right", "left_knee": "knee_left", "right_knee": "knee_right",
    "left_ankle": "ankle_left", "right_ankle": "ankle_right", "left_foot": "foot_left", "right_foot": "foot_right",
    "left_shoulder": "shoulder_left", "right_shoulder": "shoulder_right", "left_elbow": "elbow_left",
    "right_elbow": "elbow_right", "left_wrist": "wrist_left", "right_wrist": "wrist_right",
}
_OVERRIDES = {"msr_action3d": KINECT_OVERRIDE, "utkinect": KINECT_OVERRIDE, "msrc12": KINECT_OVERRIDE}


def raw_clip(rec: ClipRecord) -> MotionClip:
    names, parents = skeleton(str(rec.npz.parent))
    pos = open_shard(str(rec.npz))[rec.key].astype(np.float32)
    return MotionClip(positions=pos, joint_names=names, parents=parents, fps=rec.fps, source=rec.uid)


def load_canonical(rec: ClipRecord) -> np.ndarray:
    """[T, 22, 3] float32, metres, Y up, at 20 fps (world placement kept: features and
    the describer work in the body's own heading frame)."""
    from ..preprocess import resample
    from ..rigmap import map_to_canonical

    canon = map_to_canonical(raw_clip(rec), override=_OVERRIDES.get(rec.source))
    return resample(canon.positions, canon.fps, FPS)
