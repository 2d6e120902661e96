"""The canonical 22-joint skeleton (SMPL body joints) that all features are built on."""

from __future__ import annotations

# Same order as smplx.joint_names.JOINT_NAMES[:22]; spelled out so that importing
# this module needs neither smplx nor torch (tests/test_io_smpl.py checks they agree).
CANONICAL_JOINTS: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck",
    "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)

CANONICAL_PARENTS: tuple[int, ...] = (
    -1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19,
)

JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(CANONICAL_JOINTS)}

# The joints that touch the floor (ankles and balls of the feet): the floor rules use them.
FOOT_JOINTS: tuple[int, ...] = tuple(JOINT_INDEX[n] for n in ("left_ankle", "right_ankle", "left_foot", "right_foot"))


# Joints the built-in encoder's features lean on by themselves: the heading (hips,
# shoulders), the root's height and velocity (pelvis) and foot contact (ankles, balls of
# the feet). A rig lacking one of these gets a warning when it is filled; a filled spine,
# neck, collar or head lies between or beyond joints the rig has and adds no motion of its
# own, so filling it is not worth a warning (docs/rigs.md).
DIRECTLY_READ: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "left_shoulder", "right_shoulder",
    "left_ankle", "right_ankle", "left_foot", "right_foot",
)


def mirror_permutation() -> list[int]:
    """Index permutation that swaps left and right joints (for mirror augmentation)."""
    out = []
    for name in CANONICAL_JOINTS:
        if name.startswith("left_"):
            out.append(JOINT_INDEX["right_" + name[5:]])
        elif name.startswith("right_"):
            out.append(JOINT_INDEX["left_" + name[6:]])
        else:
            out.append(JOINT_INDEX[name])
    return out
