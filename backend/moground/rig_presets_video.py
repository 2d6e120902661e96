"""Rig presets for video-pose keypoint sets (kept apart from ``rig_presets`` so each
family's table is read and changed in one place; ``rig_presets`` merges them).

These sets have no spine, collar or pelvis joint. Pelvis and neck lie halfway between
the hips and between the shoulders (``VIDEO_ON_BONE``); spine and collars are filled
by rigmap from their neighbours.
"""

from __future__ import annotations

VIDEO_PRESETS: dict[str, dict[str, list[str]]] = {
    # MediaPipe BlazePose and COCO-17 share their joint names; BlazePose adds the ball of
    # the foot (foot_index), which COCO lacks (filled).
    "blazepose_coco": {
        "left_hip": ["left_hip"], "right_hip": ["right_hip"],
        "left_knee": ["left_knee"], "right_knee": ["right_knee"],
        "left_ankle": ["left_ankle"], "right_ankle": ["right_ankle"],
        "left_foot": ["left_foot_index"], "right_foot": ["right_foot_index"],
        "left_shoulder": ["left_shoulder"], "right_shoulder": ["right_shoulder"],
        "left_elbow": ["left_elbow"], "right_elbow": ["right_elbow"],
        "left_wrist": ["left_wrist"], "right_wrist": ["right_wrist"],
        "head": ["nose"],
    },
    "h36m17": {
        "pelvis": ["Hip"], "spine2": ["Spine"], "spine3": ["Thorax"], "neck": ["Nose"], "head": ["Head"],
        "left_hip": ["LHip"], "right_hip": ["RHip"], "left_knee": ["LKnee"], "right_knee": ["RKnee"],
        "left_ankle": ["LFoot"], "right_ankle": ["RFoot"],
        "left_shoulder": ["LShoulder"], "right_shoulder": ["RShoulder"],
        "left_elbow": ["LElbow"], "right_elbow": ["RElbow"], "left_wrist": ["LWrist"], "right_wrist": ["RWrist"],
    },
}

_MID = {"pelvis": ("left_hip", "right_hip", 0.5), "neck": ("left_shoulder", "right_shoulder", 0.5)}
VIDEO_ON_BONE: dict[str, dict[str, tuple[str, str, float]]] = {"blazepose_coco": _MID}
