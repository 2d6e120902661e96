"""Bone-name tables: for each known rig family, canonical joint → candidate bone names.

Data only; matching and filling live in ``rigmap.py``. Names are written as the rigs
spell them and normalised on load (case, separators, namespaces, side suffixes), so
``mixamorig:LeftArm``, ``LeftArm`` and ``left_arm`` are the same entry. Per canonical
joint the first candidate present in the rig wins. Joints left out of a preset are
ones that rig family lacks and rigmap fills from neighbours (e.g. the cgspeed CMU BVH
has two spine joints where SMPL has three).
"""

from __future__ import annotations


def _sides(table: dict[str, list[str]]) -> dict[str, list[str]]:
    """Expand '{s}'/'{S}'/'{side}'/'{Side}'/'{SIDE}' templates into left_/right_ entries."""
    out: dict[str, list[str]] = {}
    for key, names in table.items():
        if "{" not in key:
            out[key] = names
            continue
        for side, s, S, word, Word in (("left", "l", "L", "left", "Left"), ("right", "r", "R", "right", "Right")):
            out[key.format(side=side)] = [n.format(s=s, S=S, side=word, Side=Word, SIDE=word.upper())
                                          for n in names]
    return out


PRESETS: dict[str, dict[str, list[str]]] = {
    # smplx joint names, the SMPL Blender add-on (Pelvis, L_Hip, ...) and the SMPL FBX
    # rigs (m_avg_L_Hip; the m_avg_/f_avg_ prefix is stripped by normalisation).
    "smpl": _sides({
        "pelvis": ["pelvis"],
        "{side}_hip": ["{side}_hip", "{S}_Hip"],
        "spine1": ["spine1"],
        "{side}_knee": ["{side}_knee", "{S}_Knee"],
        "spine2": ["spine2"],
        "{side}_ankle": ["{side}_ankle", "{S}_Ankle"],
        "spine3": ["spine3"],
        "{side}_foot": ["{side}_foot", "{S}_Foot"],
        "neck": ["neck"],
        "{side}_collar": ["{side}_collar", "{S}_Collar"],
        "head": ["head"],
        "{side}_shoulder": ["{side}_shoulder", "{S}_Shoulder"],
        "{side}_elbow": ["{side}_elbow", "{S}_Elbow"],
        "{side}_wrist": ["{side}_wrist", "{S}_Wrist"],
    }),
    "mixamo": _sides({
        "pelvis": ["Hips"],
        "spine1": ["Spine"],
        "spine2": ["Spine1"],
        "spine3": ["Spine2"],
        "neck": ["Neck"],
        "head": ["Head"],
        "{side}_hip": ["{Side}UpLeg"],
        "{side}_knee": ["{Side}Leg"],
        "{side}_ankle": ["{Side}Foot"],
        "{side}_foot": ["{Side}ToeBase", "{Side}Toe_End"],
        "{side}_collar": ["{Side}Shoulder"],
        "{side}_shoulder": ["{Side}Arm"],
        "{side}_elbow": ["{Side}ForeArm"],
        "{side}_wrist": ["{Side}Hand"],
    }),
    # Acclaim ASF as CMU writes it; a bone's position is its END (see io.asf_amc), so
    # the hip joint is the end of lhipjoint, the knee the end of lfemur, and so on.
    "cmu_asf": _sides({
        "pelvis": ["root"],
        "spine1": ["lowerback"],
        "spine2": ["upperback"],
        "spine3": ["thorax"],
        "neck": ["lowerneck"],
        "head": ["upperneck"],
        "{side}_hip": ["{s}hipjoint"],
        "{side}_knee": ["{s}femur"],
        "{side}_ankle": ["{s}tibia"],
        "{side}_foot": ["{s}foot"],
        "{side}_shoulder": ["{s}clavicle"],
        "{side}_elbow": ["{s}humerus"],
        "{side}_wrist": ["{s}radius"],
    }),
    # cgspeed's CMU BVH ("Daz-friendly"), also the skeleton of shared/data/cmu. Its
    # abdomen sits ~21 cm above the hip, at SMPL's spine2 height; spine1 is filled.
    "cmu_bvh": _sides({
        "pelvis": ["hip"],
        "spine2": ["abdomen"],
        "spine3": ["chest"],
        "neck": ["neck"],
        "head": ["head"],
        "{side}_hip": ["{s}Thigh"],
        "{side}_knee": ["{s}Shin"],
        "{side}_ankle": ["{s}Foot"],
        "{side}_foot": ["{s}Foot_end", "{s}Toe"],
        "{side}_collar": ["{s}Collar"],
        "{side}_shoulder": ["{s}Shldr"],
        "{side}_elbow": ["{s}ForeArm"],
        "{side}_wrist": ["{s}Hand"],
    }),
    # Bandai Namco Research Motiondataset BVH (shared/data/bandai). Spine ~16 cm and
    # Chest ~25 cm above the hips: spine1 and spine3; spine2 is filled.
    "bandai": _sides({
        "pelvis": ["Hips"],
        "spine1": ["Spine"],
        "spine3": ["Chest"],
        "neck": ["Neck"],
        "head": ["Head"],
        "{side}_hip": ["UpperLeg_{S}"],
        "{side}_knee": ["LowerLeg_{S}"],
        "{side}_ankle": ["Foot_{S}"],
        "{side}_foot": ["Toes_{S}"],
        "{side}_collar": ["Shoulder_{S}"],
        "{side}_shoulder": ["UpperArm_{S}"],
        "{side}_elbow": ["LowerArm_{S}"],
        "{side}_wrist": ["Hand_{S}"],
    }),
    "rokoko": _sides({
        "pelvis": ["Hips"],
        "spine1": ["Spine1", "Spine"],
        "spine2": ["Spine2"],
        "spine3": ["Spine3", "Spine4"],
        "neck": ["Neck"],
        "head": ["Head"],
        "{side}_hip": ["{Side}Thigh"],
        "{side}_knee": ["{Side}Shin"],
        "{side}_ankle": ["{Side}Foot"],
        "{side}_foot": ["{Side}Toe", "{Side}ToeBase"],
        "{side}_collar": ["{Side}Shoulder"],
        "{side}_shoulder": ["{Side}Arm"],
        "{side}_elbow": ["{Side}ForeArm"],
        "{side}_wrist": ["{Side}Hand"],
    }),
    # Unreal Engine mannequin (UE4: spine_01..03; UE5 adds spine_04/05, unused here).
    "unreal": _sides({
        "pelvis": ["pelvis"],
        "spine1": ["spine_01"],
        "spine2": ["spine_02"],
        "spine3": ["spine_03"],
        "neck": ["neck_01"],
        "head": ["head"],
        "{side}_hip": ["thigh_{s}"],
        "{side}_knee": ["calf_{s}"],
        "{side}_ankle": ["foot_{s}"],
        "{side}_foot": ["ball_{s}"],
        "{side}_collar": ["clavicle_{s}"],
        "{side}_shoulder": ["upperarm_{s}"],
        "{side}_elbow": ["lowerarm_{s}"],
        "{side}_wrist": ["hand_{s}"],
    }),
    # Depth-camera body trackers, one table for the three generations (normalisation
    # makes "hip_left", "HipLeft" and "HIP_LEFT" one name): Kinect v1 SDK (20 joints:
    # HipCenter, Spine, ShoulderCenter; shared/data/kinectchains and actions/), Kinect v2
    # SDK (25: SpineBase, SpineMid, SpineShoulder, Neck) and Azure Kinect Body Tracking
    # (32: PELVIS, SPINE_NAVEL, SPINE_CHEST, NECK, CLAVICLE_*; also with the SDK's
    # "K4ABT_JOINT_" prefix). v1's mid-trunk Spine and v2's SpineMid sit at SMPL's spine2
    # height, as in training; the joint between the shoulders (v1 ShoulderCenter, v2
    # SpineShoulder) is the neck base; v2's and Azure's Neck (mid-neck) is the neck only
    # where nothing lower is there. Wrists are the wrists: Hand/HandTip are not used.
    "kinect": _sides({
        "pelvis": ["HipCenter", "SpineBase", "Pelvis", "K4ABT_JOINT_PELVIS"],
        "spine1": ["SpineNavel", "K4ABT_JOINT_SPINE_NAVEL"],
        "spine2": ["Spine", "SpineMid"],
        "spine3": ["SpineChest", "K4ABT_JOINT_SPINE_CHEST"],
        "neck": ["ShoulderCenter", "SpineShoulder", "Neck", "K4ABT_JOINT_NECK"],
        "head": ["Head", "K4ABT_JOINT_HEAD"],
        "{side}_hip": ["Hip{Side}", "K4ABT_JOINT_HIP_{SIDE}"],
        "{side}_knee": ["Knee{Side}", "K4ABT_JOINT_KNEE_{SIDE}"],
        "{side}_ankle": ["Ankle{Side}", "K4ABT_JOINT_ANKLE_{SIDE}"],
        "{side}_foot": ["Foot{Side}", "K4ABT_JOINT_FOOT_{SIDE}"],
        "{side}_collar": ["Clavicle{Side}", "K4ABT_JOINT_CLAVICLE_{SIDE}"],
        "{side}_shoulder": ["Shoulder{Side}", "K4ABT_JOINT_SHOULDER_{SIDE}"],
        "{side}_elbow": ["Elbow{Side}", "K4ABT_JOINT_ELBOW_{SIDE}"],
        "{side}_wrist": ["Wrist{Side}", "K4ABT_JOINT_WRIST_{SIDE}"],
    }),
}

# Canonical joints that lie ON a rig bone rather than at one of its joints: (joint at
# the bone's start, joint at its end, fraction along it). CMU's ASF has a clavicle bone
# from the top of the thorax to the shoulder; SMPL's collar sits on it.
ON_BONE: dict[str, dict[str, tuple[str, str, float]]] = {
    "cmu_asf": {
        "left_collar": ("thorax", "lclavicle", 0.4),
        "right_collar": ("thorax", "rclavicle", 0.4),
    },
}

# A rig without these cannot be grounded: filling them would invent the motion.
ESSENTIAL: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)

# Video-pose keypoint sets (BlazePose, COCO-17, Human3.6M-17) live in their own module.
from .rig_presets_video import VIDEO_ON_BONE, VIDEO_PRESETS  # noqa: E402

PRESETS.update(VIDEO_PRESETS)
ON_BONE.update(VIDEO_ON_BONE)
