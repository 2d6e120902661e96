"""Load one data record as canonical 22-joint positions at 20 fps.

Skeleton mapping and resampling are moground.rigmap / moground.preprocess (the same
code that maps a user's rig at grounding time), so training sees the joints exactly as
grounding will (the Kinect action sets through the ``kinect`` rig preset).
"""

from __future__ import annotations

import numpy as np

from ..io.shards import open_shard, skeleton
from ..motion import MotionClip
from .sources import FPS, ClipRecord


def raw_clip(rec: ClipRecord) -> MotionClip:
    names, parents = skeleton(str(rec.npz.parent))
    pos = open_shard(str(rec.npz))[rec.key].astype(np.float32)
    return MotionClip(positions=pos, joint_names=names, parents=parents, fps=rec.fps, source=rec.uid)


def load_canonical(rec: ClipRecord) -> np.ndarray:
    """[T, 22, 3] float32, metres, Y up, at 20 fps (world placement kept: features and
    the describer work in the body's own heading frame)."""
    from ..preprocess import resample
    from ..rigmap import map_to_canonical

    canon = map_to_canonical(raw_clip(rec))
    return resample(canon.positions, canon.fps, FPS)
