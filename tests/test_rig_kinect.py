"""The depth-camera rig preset: Kinect v1, Kinect v2 and Azure Kinect skeletons, generated
from real CMU motion with each SDK's joint names, map onto the canonical skeleton with
no mapping file, the tracked joints unchanged and the missing ones filled on the body."""

from __future__ import annotations

import numpy as np
import pytest

from moground.io import load_cmu_trial
from moground.motion import MotionClip
from moground.rigmap import describe_mapping, map_to_canonical
from moground.skeleton import JOINT_INDEX as J


@pytest.fixture(scope="module")
def body(data_dir) -> np.ndarray:
    """[T, 22, 3] canonical positions of a real CMU walk (the source of the generated rigs)."""
    return map_to_canonical(load_cmu_trial("02_01")).positions[:120]


def _beyond(a: np.ndarray, b: np.ndarray, f: float) -> np.ndarray:
    return b + f * (b - a)


def kinect_v1(p: np.ndarray) -> dict[str, np.ndarray]:
    out = {"hip_center": p[:, J["pelvis"]], "spine": p[:, J["spine2"]], "shoulder_center": p[:, J["neck"]],
           "head": p[:, J["head"]]}
    for s in ("left", "right"):
        for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "foot"):
            out[f"{j}_{s}"] = p[:, J[f"{s}_{j}"]]
        out[f"hand_{s}"] = _beyond(p[:, J[f"{s}_elbow"]], p[:, J[f"{s}_wrist"]], 0.3)
    return out


def kinect_v2(p: np.ndarray) -> dict[str, np.ndarray]:
    out = {"SpineBase": p[:, J["pelvis"]], "SpineMid": p[:, J["spine2"]], "SpineShoulder": p[:, J["neck"]],
           "Neck": (p[:, J["neck"]] + p[:, J["head"]]) / 2, "Head": p[:, J["head"]]}
    for s, S in (("left", "Left"), ("right", "Right")):
        for j in ("Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle", "Foot"):
            out[f"{j}{S}"] = p[:, J[f"{s}_{j.lower()}"]]
        out[f"Hand{S}"] = _beyond(p[:, J[f"{s}_elbow"]], p[:, J[f"{s}_wrist"]], 0.3)
        out[f"HandTip{S}"] = _beyond(p[:, J[f"{s}_elbow"]], p[:, J[f"{s}_wrist"]], 0.6)
        out[f"Thumb{S}"] = out[f"Hand{S}"] + np.float32([0.0, 0.03, 0.0])
    return out


def azure_kinect(p: np.ndarray, prefix: str = "") -> dict[str, np.ndarray]:
    out = {"PELVIS": p[:, J["pelvis"]], "SPINE_NAVEL": p[:, J["spine1"]], "SPINE_CHEST": p[:, J["spine3"]],
           "NECK": p[:, J["neck"]], "HEAD": p[:, J["head"]]}
    for s in ("left", "right"):
        S = s.upper()
        for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "foot", "collar"):
            out[f"{'CLAVICLE' if j == 'collar' else j.upper()}_{S}"] = p[:, J[f"{s}_{j}"]]
        out[f"HAND_{S}"] = _beyond(p[:, J[f"{s}_elbow"]], p[:, J[f"{s}_wrist"]], 0.3)
        out[f"HANDTIP_{S}"] = _beyond(p[:, J[f"{s}_elbow"]], p[:, J[f"{s}_wrist"]], 0.6)
        out[f"THUMB_{S}"] = out[f"HAND_{S}"] + np.float32([0.0, 0.03, 0.0])
        out[f"EYE_{S}"] = out[f"EAR_{S}"] = p[:, J["head"]] + np.float32([0.0, 0.08, 0.0])
    out["NOSE"] = p[:, J["head"]] + np.float32([0.0, 0.05, 0.1])
    return {prefix + k: v for k, v in out.items()}


# which canonical joint each generated rig carries, and which it lacks (filled)
RIGS = {
    "kinect_v1": (kinect_v1, ["spine1", "spine3", "left_collar", "right_collar"]),
    "kinect_v2": (kinect_v2, ["spine1", "spine3", "left_collar", "right_collar"]),
    "azure_kinect": (azure_kinect, ["spine2"]),
    "azure_kinect_sdk_names": (lambda p: azure_kinect(p, "K4ABT_JOINT_"), ["spine2"]),
}


@pytest.mark.parametrize("rig", sorted(RIGS))
def test_depth_camera_rigs_load_without_a_mapping_file(rig: str, body: np.ndarray) -> None:
    make, filled = RIGS[rig]
    joints = make(body)
    names = list(joints)
    clip = MotionClip(positions=np.stack([joints[n] for n in names], axis=1), joint_names=names,
                      parents=[-1] * len(names), fps=30.0)
    m = map_to_canonical(clip)
    assert m.preset == "kinect"
    assert m.filled == filled
    assert set(m.mapping.values()) <= set(names) and len(set(m.mapping.values())) == len(m.mapping)
    for canon in m.mapping:  # every tracked joint comes back where the sensor put it
        np.testing.assert_allclose(m.positions[:, J[canon]], body[:, J[canon]], atol=1e-6)
    # hands, hand tips, thumbs, eyes and the mid-neck joint are never taken for wrists or neck
    assert m.mapping["left_wrist"] in ("wrist_left", "WristLeft", "WRIST_LEFT", "K4ABT_JOINT_WRIST_LEFT")
    assert m.mapping["neck"] in ("shoulder_center", "SpineShoulder", "NECK", "K4ABT_JOINT_NECK")
    P = m.positions
    if "spine1" in filled:  # filled spine lies on the trunk between pelvis and the tracked spine
        np.testing.assert_allclose(P[:, J["spine1"]], (P[:, J["pelvis"]] + P[:, J["spine2"]]) / 2, atol=1e-6)
    for s in ("left", "right"):  # collars (tracked or filled) lie between neck and shoulder
        c, n, sh = P[:, J[f"{s}_collar"]], P[:, J["neck"]], P[:, J[f"{s}_shoulder"]]
        assert np.all(np.linalg.norm(c - n, axis=-1) < np.linalg.norm(sh - n, axis=-1))


def test_real_kinect_v1_data_maps_as_training_did(data_dir) -> None:
    """The kinectchains and actions/ Kinect files name their joints the v1 SDK's way."""
    import json

    names = json.loads((data_dir / "kinectchains" / "skeleton.json").read_text())["joints"]
    info = describe_mapping(names)
    assert info["preset"] == "kinect" and info["missing"] == []
    assert info["mapping"]["spine2"] == "spine" and info["mapping"]["neck"] == "shoulder_center"
    assert info["mapping"]["left_wrist"] == "wrist_left" and "hand_left" not in info["mapping"].values()
    assert info["preset_scores"]["kinect"] == 18 and max(
        v for k, v in info["preset_scores"].items() if k != "kinect") <= 2
