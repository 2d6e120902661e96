"""Video-pose keypoints made from canonical motion: the generated skeletons the
BlazePose / COCO-17 / Human3.6M-17 presets are tested with, and the reduced realchains
takes the bench grounds (what a video capture of the same motion would give at best).

Each keypoint copies one canonical joint; face and hand points sit at small fixed offsets
from the head and wrist (world axes, Y up), which is all a keypoint set adds there.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_INDEX
from ..video_pose import LAYOUTS

_FACE = {"nose": (0, 0.02, 0.09), "eye": (0.03, 0.05, 0.07), "ear": (0.07, 0.03, 0.0), "mouth": (0.02, -0.02, 0.08)}
_LIMBS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")


def _source(name: str) -> tuple[str, tuple[float, float, float]]:
    """Canonical joint and offset (metres) for one keypoint name of any layout."""
    n = name.lower()
    side = "left" if n.startswith(("left", "l")) and not n.startswith("lead") else "right"
    sign = 1.0 if side == "left" else -1.0
    fixed = {"hip": ("pelvis", (0, 0, 0)), "spine": ("spine2", (0, 0, 0)), "thorax": ("spine3", (0, 0, 0)),
             "nose": ("neck", (0, 0, 0)), "head": ("head", (0, 0, 0))}
    if name in ("Hip", "Spine", "Thorax", "Nose", "Head"):  # Human3.6M's centre joints
        return fixed[n]
    if name[:1] in "LR" and name[1:2].isupper():  # Human3.6M's LKnee, RFoot, ...
        part = name[1:].lower().replace("foot", "ankle")
        return f"{'left' if name[0] == 'L' else 'right'}_{part}", (0, 0, 0)
    for limb in _LIMBS:
        if n == f"{side}_{limb}":
            return n, (0, 0, 0)
    if n == "nose":
        return "head", _FACE["nose"]
    for part in ("eye", "ear", "mouth"):
        if part in n:
            dx, dy, dz = _FACE[part]
            inner = -0.015 if n.endswith("inner") else 0.015 if n.endswith("outer") else 0.0
            return "head", (sign * (dx + inner), dy, dz)
    if n.endswith(("pinky", "index", "thumb")) and "foot" not in n:
        return f"{side}_wrist", (sign * 0.03, -0.06, 0.02)
    if n.endswith("heel"):
        return f"{side}_ankle", (0, -0.04, -0.05)
    if n.endswith("foot_index"):
        return f"{side}_foot", (0, 0, 0)
    raise KeyError(f"no canonical source for keypoint {name!r}")


def keypoints_from_canonical(canonical: np.ndarray, layout: str) -> np.ndarray:
    """``[T, J, 3]`` keypoints of ``layout`` (a ``video_pose.LAYOUTS`` key) from canonical
    joint positions ``[T, 22, 3]`` (metres, Y up)."""
    names, _ = LAYOUTS[layout]
    out = np.empty((canonical.shape[0], len(names), 3), dtype=np.float32)
    for k, name in enumerate(names):
        joint, offset = _source(name)
        out[:, k] = canonical[:, JOINT_INDEX[joint]] + np.asarray(offset, dtype=np.float32)
    return out
