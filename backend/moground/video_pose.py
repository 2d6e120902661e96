"""The skeletons 3D video-pose estimators export: MediaPipe BlazePose (33 landmarks),
COCO-17 keypoints lifted to 3D, and Human3.6M-17 in VideoPose3D's order.

Data only: joint names in array order and a parent per joint (the landmark sets have no
hierarchy of their own; these trees root at the pelvis or, where there is none, at the
left hip, so that ``moground.solve_rotations`` can build an armature from them).
``rig_presets_video`` maps the names onto the canonical skeleton.
"""

from __future__ import annotations

BLAZEPOSE_33: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
_B = {n: i for i, n in enumerate(BLAZEPOSE_33)}
# root: left hip; right hip and the left shoulder hang off it; the face off the nose, the
# nose off the mid-shoulder line's nearest point (the left shoulder).
BLAZEPOSE_33_PARENTS: tuple[int, ...] = tuple(_B[p] if p else -1 for p in (
    "left_shoulder", "nose", "left_eye_inner", "left_eye", "nose", "right_eye_inner",
    "right_eye", "left_eye", "right_eye", "nose", "nose",
    "left_hip", "left_shoulder", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_wrist", "right_wrist", "left_wrist", "right_wrist",
    None, "left_hip", "left_hip", "right_hip", "left_knee", "right_knee",
    "left_ankle", "right_ankle", "left_ankle", "right_ankle",
))

COCO_17: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
_C = {n: i for i, n in enumerate(COCO_17)}
COCO_17_PARENTS: tuple[int, ...] = tuple(_C[p] if p else -1 for p in (
    "left_shoulder", "nose", "nose", "left_eye", "right_eye", "left_hip", "left_shoulder",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", None, "left_hip",
    "left_hip", "right_hip", "left_knee", "right_knee",
))

# VideoPose3D's Human3.6M order; names as its skeleton spells them (the "Neck/Nose" joint
# is written "nose", the point between neck and head it marks).
H36M_17: tuple[str, ...] = (
    "Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax", "Nose",
    "Head", "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist",
)
H36M_17_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)

LAYOUTS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "blazepose33": (BLAZEPOSE_33, BLAZEPOSE_33_PARENTS),
    "coco17": (COCO_17, COCO_17_PARENTS),
    "h36m17": (H36M_17, H36M_17_PARENTS),
}
