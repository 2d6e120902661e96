"""Rig mapping: every preset recognised from a realistic bone list, real clips mapped
with plausible bone lengths, fills reported, unmappable rigs named, overrides."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moground.wire.errors import BadRequest, UnmappableRig
from moground.io import load_bandai_clip, load_cmu_trial, load_motion
from moground.motion import MotionClip
from moground.paths import data_root
from moground.rig_presets import ESSENTIAL
from moground.rigmap import describe_mapping, map_to_canonical, normalize_name
from moground.skeleton import CANONICAL_JOINTS, CANONICAL_PARENTS, JOINT_INDEX

DATA = data_root(required=False)
needs_data = pytest.mark.skipif(DATA is None, reason="shared mocap data folder not found (set MOGROUND_DATA)")

SIDES = [("Left", "Right"), ("L", "R"), ("l", "r")]

RIGS: dict[str, list[str]] = {
    "smpl": ["pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
             "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
             "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
             "left_wrist", "right_wrist", "jaw", "left_eye_smplhf", "left_index1"],
    # SMPL Blender add-on armature, exported with Blender's "Armature|" object prefix.
    "smpl_addon": ["Armature|" + n for n in (
        "Pelvis", "L_Hip", "R_Hip", "Spine1", "L_Knee", "R_Knee", "Spine2", "L_Ankle", "R_Ankle",
        "Spine3", "L_Foot", "R_Foot", "Neck", "L_Collar", "R_Collar", "Head", "L_Shoulder",
        "R_Shoulder", "L_Elbow", "R_Elbow", "L_Wrist", "R_Wrist", "L_Hand", "R_Hand")],
    "mixamo": ["mixamorig:" + n for n in (
        "Hips", "Spine", "Spine1", "Spine2", "Neck", "Head", "HeadTop_End", "LeftShoulder", "LeftArm",
        "LeftForeArm", "LeftHand", "LeftHandIndex1", "RightShoulder", "RightArm", "RightForeArm",
        "RightHand", "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase", "LeftToe_End", "RightUpLeg",
        "RightLeg", "RightFoot", "RightToeBase", "RightToe_End")],
    "cmu_asf": ["root", "lhipjoint", "lfemur", "ltibia", "lfoot", "ltoes", "rhipjoint", "rfemur",
                "rtibia", "rfoot", "rtoes", "lowerback", "upperback", "thorax", "lowerneck", "upperneck",
                "head", "lclavicle", "lhumerus", "lradius", "lwrist", "lhand", "lfingers", "lthumb",
                "rclavicle", "rhumerus", "rradius", "rwrist", "rhand", "rfingers", "rthumb"],
    "cmu_bvh": ["hip", "abdomen", "chest", "neck", "head", "leftEye", "rightEye", "rCollar", "rShldr",
                "rForeArm", "rHand", "lCollar", "lShldr", "lForeArm", "lHand", "rButtock", "rThigh",
                "rShin", "rFoot", "rFoot_end", "lButtock", "lThigh", "lShin", "lFoot", "lFoot_end"],
    "bandai": ["joint_Root", "Hips", "Spine", "Chest", "Neck", "Head", "Shoulder_L", "UpperArm_L",
               "LowerArm_L", "Hand_L", "Shoulder_R", "UpperArm_R", "LowerArm_R", "Hand_R", "UpperLeg_L",
               "LowerLeg_L", "Foot_L", "Toes_L", "UpperLeg_R", "LowerLeg_R", "Foot_R", "Toes_R"],
    "rokoko": ["Hips", "Spine1", "Spine2", "Spine3", "Spine4", "Neck", "Head", "LeftShoulder", "LeftArm",
               "LeftForeArm", "LeftHand", "RightShoulder", "RightArm", "RightForeArm", "RightHand",
               "LeftThigh", "LeftShin", "LeftFoot", "LeftToe", "RightThigh", "RightShin", "RightFoot",
               "RightToe"],
    "unreal": ["root", "pelvis", "spine_01", "spine_02", "spine_03", "neck_01", "head", "clavicle_l",
               "upperarm_l", "lowerarm_l", "hand_l", "clavicle_r", "upperarm_r", "lowerarm_r", "hand_r",
               "thigh_l", "calf_l", "foot_l", "ball_l", "thigh_r", "calf_r", "foot_r", "ball_r", "ik_foot_root"],
}
EXPECTED_FILLED = {"cmu_bvh": ["spine1"], "bandai": ["spine2"]}


@pytest.mark.parametrize("rig", sorted(RIGS))
def test_each_preset_recognised(rig: str) -> None:
    info = describe_mapping(RIGS[rig])
    assert info["preset"] == rig.removesuffix("_addon")
    assert info["missing"] == []
    assert info["filled"] == EXPECTED_FILLED.get(info["preset"], [])
    # every mapped bone is a real bone of the rig, and no bone serves two joints
    assert set(info["mapping"].values()) <= set(RIGS[rig])
    assert len(set(info["mapping"].values())) == len(info["mapping"])


def test_name_normalisation() -> None:
    same = ["mixamorig:LeftArm", "mixamorig1:LeftArm", "Character|LeftArm", "left_arm", "LeftArm.001",
            "mixamorig_LeftArm"]
    assert {normalize_name(n) for n in same} == {"leftarm"}
    assert normalize_name("upperarm.L") == normalize_name("UpperArm_L") == "upperarml"
    assert normalize_name("m_avg_L_Hip") == normalize_name("L_Hip") == "lhip"
    assert describe_mapping(["DEF-" + n + ".001" for n in RIGS["bandai"]])["preset"] == "bandai"


def _clip_from_rest(names: list[str], parents: list[int], pos: np.ndarray, **kw) -> MotionClip:
    return MotionClip(positions=np.repeat(pos[None], 3, axis=0), joint_names=names, parents=parents, fps=30, **kw)


def _smpl_rest() -> np.ndarray:
    """A rough SMPL-like rest pose in metres, Y up, facing +Z (left = +X)."""
    p = {"pelvis": (0, 0.95, 0), "spine1": (0, 1.05, 0), "spine2": (0, 1.18, 0), "spine3": (0, 1.25, 0),
         "neck": (0, 1.45, 0), "head": (0, 1.55, 0)}
    for s, x in (("left", 1), ("right", -1)):
        p |= {f"{s}_hip": (0.08 * x, 0.88, 0), f"{s}_knee": (0.1 * x, 0.5, 0), f"{s}_ankle": (0.1 * x, 0.08, 0),
              f"{s}_foot": (0.1 * x, 0.02, 0.12), f"{s}_collar": (0.07 * x, 1.36, 0),
              f"{s}_shoulder": (0.18 * x, 1.4, 0), f"{s}_elbow": (0.45 * x, 1.4, 0), f"{s}_wrist": (0.7 * x, 1.4, 0)}
    return np.array([p[n] for n in CANONICAL_JOINTS], dtype=np.float32)


def test_mixamo_in_blender_cm_z_up_with_fills() -> None:
    """A Blender Mixamo rig (Z up, centimetres) without spine2, head and toes."""
    rest = _smpl_rest()
    names = {"pelvis": "Hips", "spine1": "Spine", "spine3": "Spine2", "neck": "Neck",
             **{f"{s}_{j}": f"{S}{b}" for s, S in (("left", "Left"), ("right", "Right"))
                for j, b in (("hip", "UpLeg"), ("knee", "Leg"), ("ankle", "Foot"), ("collar", "Shoulder"),
                             ("shoulder", "Arm"), ("elbow", "ForeArm"), ("wrist", "Hand"))}}
    keep = [c for c in CANONICAL_JOINTS if c in names]
    zup = np.stack([rest[:, 0], -rest[:, 2], rest[:, 1]], -1) * 100  # Y-up m → Blender Z-up cm
    clip = _clip_from_rest(["mixamorig:" + names[c] for c in keep], [-1] * len(keep),
                           zup[[JOINT_INDEX[c] for c in keep]], units_to_m=0.01, up_axis="Z")
    m = map_to_canonical(clip)
    assert m.preset == "mixamo"
    assert m.filled == ["spine2", "left_foot", "right_foot", "head"]  # canonical order
    for c in keep:  # mapped joints come back exactly, in metres and Y up
        np.testing.assert_allclose(m.positions[0, JOINT_INDEX[c]], rest[JOINT_INDEX[c]], atol=1e-5)
    P = m.positions[0]
    assert P[JOINT_INDEX["head"], 1] > P[JOINT_INDEX["neck"], 1] + 0.05
    for s in ("left", "right"):  # filled toes: in front of and below the ankle
        foot, ankle = P[JOINT_INDEX[f"{s}_foot"]], P[JOINT_INDEX[f"{s}_ankle"]]
        assert foot[2] > ankle[2] + 0.08 and foot[1] < ankle[1]
    assert m.source_joints[JOINT_INDEX["spine2"]] == "" and m.source_joints[0] == "mixamorig:Hips"


def _bone_lengths(pos: np.ndarray) -> dict[str, float]:
    return {CANONICAL_JOINTS[j]: float(np.median(np.linalg.norm(pos[:, j] - pos[:, p], axis=-1)))
            for j, p in enumerate(CANONICAL_PARENTS) if p >= 0}


def _check_plausible(pos: np.ndarray) -> None:
    L = _bone_lengths(pos)
    for s in ("left", "right"):
        assert 0.35 <= L[f"{s}_knee"] <= 0.5  # thigh
        assert 0.35 <= L[f"{s}_ankle"] <= 0.5  # shin
        assert 0.2 <= L[f"{s}_elbow"] <= 0.35  # upper arm
        assert 0.2 <= L[f"{s}_wrist"] <= 0.3  # forearm
        assert 0.05 <= L[f"{s}_foot"] <= 0.2
    J = JOINT_INDEX
    up = np.median(pos[:, J["head"], 1] - pos[:, J["pelvis"], 1])
    assert 0.4 <= up <= 0.8  # head above pelvis: Y up, metres
    lat = np.median(pos[:, J["left_hip"]] - pos[:, J["right_hip"]], axis=0)
    assert 0.1 <= np.linalg.norm(lat) <= 0.3


@needs_data
def test_real_bandai_bvh_and_cmu_shard() -> None:
    bvh = load_motion(DATA / "bandai" / "raw_bvh" / "dataset-2_run_normal_001.bvh")
    m = map_to_canonical(bvh)
    assert m.preset == "bandai" and m.filled == ["spine2"] and m.mapping["left_foot"] == "Toes_L"
    _check_plausible(m.positions)
    shard = map_to_canonical(load_bandai_clip("dataset-2_run_normal_001"))
    assert np.abs(shard.positions - m.positions).max() < 0.003  # BVH file ≡ shard
    cmu = map_to_canonical(load_cmu_trial("02_01"))
    assert cmu.preset == "cmu_bvh" and cmu.fps == 24.0 and cmu.filled == ["spine1"]
    _check_plausible(cmu.positions)
    sp = cmu.positions[:, [JOINT_INDEX[n] for n in ("pelvis", "spine1", "spine2")]]
    np.testing.assert_allclose(sp[:, 1], (sp[:, 0] + sp[:, 2]) / 2, atol=1e-6)  # filled midway


def test_unknown_rig_names_missing_joints() -> None:
    names = ["Root", "Torso", "Head", "Arm.L", "Arm.R", "Leg.L", "Leg.R"]
    clip = _clip_from_rest(names, [-1, 0, 1, 1, 1, 0, 0], np.zeros((7, 3), np.float32))
    with pytest.raises(UnmappableRig) as err:
        map_to_canonical(clip)
    # "Root" is the CMU ASF pelvis; nothing else is recognised
    assert err.value.details["missing"] == [c for c in ESSENTIAL if c != "pelvis"]
    assert "left_knee" in err.value.message and err.value.code == "unmappable_rig"
    # a rig missing only the elbows says exactly that
    names = [n for n in RIGS["mixamo"] if "ForeArm" not in n]
    clip = _clip_from_rest(names, [-1] * len(names), np.zeros((len(names), 3), np.float32))
    with pytest.raises(UnmappableRig, match="left_elbow, right_elbow") as err:
        map_to_canonical(clip)
    assert err.value.details["missing"] == ["left_elbow", "right_elbow"]


def test_override(tmp_path: Path) -> None:
    names = [n for n in RIGS["mixamo"] if "ForeArm" not in n] + ["mixamorig:LeftElbowX", "mixamorig:RightElbowX"]
    pos = np.random.default_rng(0).normal(size=(len(names), 3)).astype(np.float32)
    clip = _clip_from_rest(names, [-1] * len(names), pos)
    ov = {"left_elbow": "mixamorig:LeftElbowX", "right_elbow": "RightElbowX"}  # normalised match works too
    m = map_to_canonical(clip, override=ov)
    assert m.preset == "mixamo+override" and m.mapping["right_elbow"] == "mixamorig:RightElbowX"
    np.testing.assert_array_equal(m.positions[0, JOINT_INDEX["left_elbow"]], pos[names.index("mixamorig:LeftElbowX")])
    f = tmp_path / "map.json"
    f.write_text(json.dumps(ov))
    assert map_to_canonical(clip, override=str(f)).mapping == m.mapping
    # an override can also swap a preset's choice
    m2 = map_to_canonical(clip, override={**ov, "left_wrist": "mixamorig:LeftHandIndex1"})
    assert m2.mapping["left_wrist"] == "mixamorig:LeftHandIndex1"
    with pytest.raises(BadRequest, match="does not have"):
        map_to_canonical(clip, override={"left_elbow": "NoSuchBone"})
    with pytest.raises(BadRequest, match="unknown canonical"):
        map_to_canonical(clip, override={"left_elbo": "mixamorig:LeftElbowX"})
    f.write_text("{not json")
    with pytest.raises(BadRequest, match="cannot read rig mapping"):
        map_to_canonical(clip, override=f)


def test_cmu_asf_collars_lie_on_the_clavicles_not_filled() -> None:
    """CMU ASF has lclavicle/rclavicle: no 'filled from neighbours' warning for collars."""
    names = RIGS["cmu_asf"]
    info = describe_mapping(names)
    assert info["filled"] == [] and info["on_bone"] == {"left_collar": ["thorax", "lclavicle"],
                                                        "right_collar": ["thorax", "rclavicle"]}
    rest = np.random.default_rng(0).normal(size=(len(names), 3)).astype(np.float32)
    parents = [-1] + [0] * (len(names) - 1)
    m = map_to_canonical(_clip_from_rest(names, parents, rest))
    assert m.filled == []
    i = JOINT_INDEX["left_collar"]
    np.testing.assert_allclose(m.positions[0, i], m.positions[0, JOINT_INDEX["spine3"]]
                               + 0.4 * (m.positions[0, JOINT_INDEX["left_shoulder"]]
                                        - m.positions[0, JOINT_INDEX["spine3"]]), atol=1e-5)
