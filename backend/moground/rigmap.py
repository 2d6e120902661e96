"""Mapping a rig's joints onto the canonical 22-joint skeleton — the one place for it.

BVH/AMC files, the batch scripts and the Blender add-on all come through here, so a
rig that works in one works in all. Steps: normalise names, pick the preset that
matches most canonical joints (or apply a user's JSON override on top), convert to
metres and Y up, then fill the joints the rig lacks from their neighbours and say so.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .wire.errors import BadRequest, UnmappableRig
from .motion import MotionClip
from .rig_presets import ESSENTIAL, ON_BONE, PRESETS
from .skeleton import CANONICAL_JOINTS, JOINT_INDEX

_BLENDER_DUP = re.compile(r"\.\d{3}$")  # "Hips.001"
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_PREFIXES = re.compile(r"^(mixamorig\d*|[mf]avg|def)(?=[a-z])")  # joined-up prefixes


def normalize_name(name: str) -> str:
    """Comparable form of a bone name: no namespace ("Armature|", "mixamorig:", any
    "ns:"), no Blender ".001" copy suffix, lower case, separators dropped (so ".L",
    "_L" and "L" sides agree), and the 'mixamorig'/'m_avg_'/'DEF-' prefixes removed."""
    s = _BLENDER_DUP.sub("", name.strip())
    s = re.split(r"[|:]", s)[-1]
    s = _NON_ALNUM.sub("", s.lower())
    return _PREFIXES.sub("", s)


_NORMALISED: dict[str, dict[str, list[str]]] = {
    preset: {c: [normalize_name(n) for n in names] for c, names in table.items()}
    for preset, table in PRESETS.items()
}


@dataclass
class CanonicalMotion:
    """Canonical joint positions of one clip, and how they were obtained.

    positions: float32 ``[T, 22, 3]``, metres, Y up (not yet centred or rotated).
    mapping: canonical joint → source joint name, for the joints taken from the rig.
    filled: canonical joints computed from neighbours because the rig lacks them
        (not those that lie on a rig bone, see ``rig_presets.ON_BONE``).
    """

    positions: np.ndarray
    fps: float
    frame_start: float = 0.0
    preset: str = ""
    filled: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)

    @property
    def source_joints(self) -> list[str]:
        """Source name per canonical joint, "" where filled."""
        return [self.mapping.get(c, "") for c in CANONICAL_JOINTS]


def _index(names: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, n in enumerate(names):
        out.setdefault(normalize_name(n), i)
    return out


def _match(preset: str, index: dict[str, int]) -> dict[str, int]:
    """canonical joint → source index, for the joints of ``preset`` present."""
    out = {}
    for canon, cands in _NORMALISED[preset].items():
        hit = next((index[c] for c in cands if c in index), None)
        if hit is not None:
            out[canon] = hit
    return out


def _best_preset(names: list[str]) -> tuple[str, dict[str, int], dict[str, int]]:
    """Preset with most essential joints, then most joints overall (table order breaks
    ties); also every preset's match count for reporting."""
    index = _index(names)
    matches = {p: _match(p, index) for p in PRESETS}
    counts = {p: len(m) for p, m in matches.items()}
    best = max(PRESETS, key=lambda p: (sum(c in matches[p] for c in ESSENTIAL), counts[p]))
    return best, matches[best], counts


def _on_bone(preset: str, names: list[str], matched: dict[str, int]) -> dict[str, tuple[int, int, float]]:
    """Canonical joints of ``preset`` that lie on a rig bone the rig has (and that no
    bone was matched to): canonical → (start joint index, end joint index, fraction)."""
    index = _index(names)
    out = {}
    for canon, (a, b, w) in ON_BONE.get(preset, {}).items():
        ia, ib = index.get(normalize_name(a)), index.get(normalize_name(b))
        if canon not in matched and ia is not None and ib is not None:
            out[canon] = (ia, ib, w)
    return out


def _load_override(override: dict | str | os.PathLike | None) -> dict[str, str]:
    if override is None:
        return {}
    if not isinstance(override, dict):
        try:
            override = json.loads(Path(override).read_text())
        except (OSError, ValueError) as exc:
            raise BadRequest(f"cannot read rig mapping file {override}: {exc}") from None
        if not isinstance(override, dict):
            raise BadRequest("a rig mapping file must hold one JSON object {canonical: bone}")
    unknown = sorted(k for k in override if k not in JOINT_INDEX)
    if unknown:
        raise BadRequest(
            f"rig mapping names unknown canonical joints {unknown}; known: {', '.join(CANONICAL_JOINTS)}"
        )
    return {str(k): str(v) for k, v in override.items()}


def _resolve(names: list[str], override: dict[str, str]) -> tuple[str, dict[str, int]]:
    preset, matched, _ = _best_preset(names)
    if not override:
        return preset, matched
    exact = {n: i for i, n in enumerate(names)}
    index = _index(names)
    for canon, bone in override.items():
        i = exact.get(bone, index.get(normalize_name(bone)))
        if i is None:
            raise BadRequest(f"rig mapping sends {canon!r} to bone {bone!r}, which the rig does not have")
        matched[canon] = i
    full = len(override) == len(CANONICAL_JOINTS)
    return ("override" if full else f"{preset}+override"), matched


def describe_mapping(names: list[str], override: dict | str | os.PathLike | None = None) -> dict:
    """What :func:`map_to_canonical` would do with a rig of these bone names:
    ``{"preset", "mapping", "on_bone", "filled", "missing", "preset_scores"}`` (no error
    raised); ``on_bone``: canonical joint → [start joint, end joint] of the bone it lies on."""
    ov = _load_override(override)
    preset, matched = _resolve(list(names), ov)
    on_bone = _on_bone(preset.split("+")[0], list(names), matched)
    absent = [c for c in CANONICAL_JOINTS if c not in matched and c not in on_bone]
    return {
        "preset": preset,
        "mapping": {c: names[i] for c, i in matched.items()},
        "on_bone": {c: [names[a], names[b]] for c, (a, b, _) in on_bone.items()},
        "filled": [c for c in absent if c not in ESSENTIAL],
        "missing": [c for c in absent if c in ESSENTIAL],
        "preset_scores": _best_preset(list(names))[2],
    }


def _to_metres_y_up(clip: MotionClip) -> np.ndarray:
    pos = clip.positions.astype(np.float32) * np.float32(clip.units_to_m)
    if clip.up_axis == "Z":  # Blender: Z up, -Y forward → Y up, +Z forward
        pos = np.stack([pos[..., 0], pos[..., 2], -pos[..., 1]], axis=-1)
    return pos


def _lerp(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    return a + (b - a) * w


def _fill(out: np.ndarray, have: set[str]) -> list[str]:
    """Fill absent canonical joints of ``out`` [T, 22, 3] in place; return their names.

    Rules keep each filled joint on the body: the spine is interpolated along
    pelvis → neck, the neck sits between the shoulders, the head continues the
    trunk, collars lie 40 % of the way from neck to shoulder, and a foot (ball) sits
    forward of and below the ankle, scaled by leg length."""
    J = JOINT_INDEX
    filled: list[str] = []

    def put(name: str, value: np.ndarray) -> None:
        out[:, J[name]] = value
        have.add(name)
        filled.append(name)

    if "neck" not in have:
        a, b = (("left_collar", "right_collar") if {"left_collar", "right_collar"} <= have
                else ("left_shoulder", "right_shoulder"))
        put("neck", _lerp(out[:, J[a]], out[:, J[b]], 0.5))
    chain = ["pelvis", "spine1", "spine2", "spine3", "neck"]
    for k, name in enumerate(chain):
        if name in have:
            continue
        lo = max(i for i in range(k) if chain[i] in have)
        hi = min(i for i in range(k + 1, len(chain)) if chain[i] in have)
        put(name, _lerp(out[:, J[chain[lo]]], out[:, J[chain[hi]]], (k - lo) / (hi - lo)))
    if "head" not in have:
        put("head", out[:, J["neck"]] + 0.18 * (out[:, J["neck"]] - out[:, J["pelvis"]]))
    for side in ("left", "right"):
        if f"{side}_collar" not in have:
            put(f"{side}_collar", _lerp(out[:, J["neck"]], out[:, J[f"{side}_shoulder"]], 0.4))
    if "left_foot" not in have or "right_foot" not in have:
        lateral = out[:, J["left_hip"]] - out[:, J["right_hip"]]
        up = np.array([0.0, 1.0, 0.0], dtype=np.float32)
        fwd = np.cross(lateral, up)
        fwd /= np.maximum(np.linalg.norm(fwd, axis=-1, keepdims=True), 1e-6)
        for side in ("left", "right"):
            if f"{side}_foot" in have:
                continue
            hip, knee, ankle = (out[:, J[f"{side}_{n}"]] for n in ("hip", "knee", "ankle"))
            leg = np.median(np.linalg.norm(knee - hip, axis=-1) + np.linalg.norm(ankle - knee, axis=-1))
            put(f"{side}_foot", ankle + fwd * (0.15 * leg) - up * (0.07 * leg))
    return filled


def map_to_canonical(
    clip: MotionClip, override: dict | str | os.PathLike | None = None
) -> CanonicalMotion:
    """Canonical joint positions (metres, Y up) of ``clip``.

    ``override``: {canonical joint: bone name} or a path to such a JSON file; it is
    applied on top of the best-matching preset. Raises UnmappableRig, naming the
    canonical joints, when pelvis, hips, knees, ankles, shoulders, elbows or wrists
    cannot be found."""
    ov = _load_override(override)
    preset, matched = _resolve(clip.joint_names, ov)
    missing = [c for c in ESSENTIAL if c not in matched]
    if missing:
        shown = ", ".join(clip.joint_names[:12]) + (" ..." if len(clip.joint_names) > 12 else "")
        raise UnmappableRig(
            f"cannot map the rig to the canonical skeleton: no bone found for {', '.join(missing)} "
            f"(closest preset: {preset}; rig bones: {shown}). Pass a JSON mapping "
            f"{{canonical joint: bone name}} to map them by hand.",
            details={"missing": missing, "preset": preset},
        )
    src = _to_metres_y_up(clip)
    out = np.zeros((clip.num_frames, len(CANONICAL_JOINTS), 3), dtype=np.float32)
    for canon, i in matched.items():
        out[:, JOINT_INDEX[canon]] = src[:, i]
    on_bone = _on_bone(preset.split("+")[0], clip.joint_names, matched)
    for canon, (a, b, w) in on_bone.items():
        out[:, JOINT_INDEX[canon]] = _lerp(src[:, a], src[:, b], w)
    filled = _fill(out, set(matched) | set(on_bone))
    return CanonicalMotion(
        positions=out,
        fps=float(clip.fps),
        frame_start=float(clip.frame_start),
        preset=preset,
        filled=[c for c in CANONICAL_JOINTS if c in filled],
        mapping={c: clip.joint_names[i] for c, i in sorted(matched.items(), key=lambda kv: JOINT_INDEX[kv[0]])},
    )
