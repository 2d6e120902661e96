"""Acclaim ASF (skeleton) + AMC (motion) reader, the format of the CMU mocap database.

Conventions (those of the CMU files and of the usual readers): a bone's ``axis a b c
XYZ`` gives its local frame C (rotations applied X first, then Y, then Z); each frame
rotates the bone by L built from its dof values in the order the ``dof`` line lists
them; world rotation = parent · C · L · C⁻¹; a bone's position is its END, parent
position + length · rotation · direction. The root's ``order`` line says which AMC
value is which, its ``axis`` line the order of its rotations.

Units: CMU writes ``length 0.45``, meaning file lengths are inches × 0.45, so one file
unit is 0.0254 / length metres; without a units line the size heuristic of
``moground.io.units`` decides. AMC files carry no frame rate: CMU captured at 120 fps,
which is the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ..wire.errors import UnreadableFile
from ..motion import MotionClip
from .kinematics import euler_matrix
from .textfile import read_text_lines
from .units import guess_units_to_m, unit_scale

CMU_AMC_FPS = 120.0
_DOF_AXES = {"rx": "X", "ry": "Y", "rz": "Z"}


@dataclass
class _Bone:
    name: str
    direction: np.ndarray = field(default_factory=lambda: np.zeros(3))
    length: float = 0.0
    axis: np.ndarray = field(default_factory=lambda: np.zeros(3))
    axis_order: str = "XYZ"
    dofs: list[str] = field(default_factory=list)


@dataclass
class AsfSkeleton:
    """What an ASF file says: bones, hierarchy, units, the root's conventions."""

    bones: dict[str, _Bone]
    children: dict[str, list[str]]
    length_unit: float | None  # the ':units length' value, None if absent
    angles_in_degrees: bool
    root_order: list[str]  # e.g. ['TX','TY','TZ','RX','RY','RZ']
    root_axis: str
    root_position: np.ndarray
    root_orientation: np.ndarray


def _read_lines(path: str, kind: str) -> list[str]:
    return [ln.strip() for ln in read_text_lines(path, kind)]


def _floats(tok: list[str], n: int, path: str, ln: int) -> np.ndarray:
    try:
        out = np.array([float(v) for v in tok[:n]])
    except ValueError:
        out = np.zeros(0)
    if out.shape != (n,) or not np.isfinite(out).all():
        raise UnreadableFile(f"cannot read ASF file {path}: line {ln + 1}: expected {n} numbers")
    return out


def read_asf(path: str | os.PathLike) -> AsfSkeleton:
    """Parse an ASF skeleton file."""
    path = os.fspath(path)
    lines = _read_lines(path, "ASF")
    bones: dict[str, _Bone] = {"root": _Bone("root")}
    children: dict[str, list[str]] = {}
    length_unit, degrees = None, True
    root_order, root_axis = ["TX", "TY", "TZ", "RX", "RY", "RZ"], "XYZ"
    root_pos, root_ori = np.zeros(3), np.zeros(3)
    section, bone = "", None
    for ln, line in enumerate(lines):
        tok = line.split()
        if not tok or line.startswith("#"):
            continue
        if tok[0].startswith(":"):
            section = tok[0][1:].lower()
            continue
        key = tok[0].lower()
        if section == "units":
            if key == "length" and len(tok) > 1:
                length_unit = float(_floats(tok[1:], 1, path, ln)[0])
                if length_unit <= 0:
                    raise UnreadableFile(f"cannot read ASF file {path}: length unit {length_unit}")
            elif key == "angle" and len(tok) > 1:
                degrees = tok[1].lower().startswith("deg")
        elif section == "root":
            if key == "order":
                root_order = [t.upper() for t in tok[1:]]
            elif key == "axis" and len(tok) > 1:
                root_axis = tok[1].upper()
            elif key == "position":
                root_pos = _floats(tok[1:], 3, path, ln)
            elif key == "orientation":
                root_ori = _floats(tok[1:], 3, path, ln)
        elif section == "bonedata":
            if key == "begin":
                bone = _Bone("")
            elif key == "end":
                if bone is None or not bone.name:
                    raise UnreadableFile(f"cannot read ASF file {path}: line {ln + 1}: bone without a name")
                bones[bone.name] = bone
                bone = None
            elif bone is not None:
                if key == "name" and len(tok) > 1:
                    bone.name = tok[1]
                elif key == "direction":
                    bone.direction = _floats(tok[1:], 3, path, ln)
                elif key == "length":
                    bone.length = float(_floats(tok[1:], 1, path, ln)[0])
                elif key == "axis":
                    bone.axis = _floats(tok[1:], 3, path, ln)
                    bone.axis_order = tok[4].upper() if len(tok) > 4 else "XYZ"
                elif key == "dof":
                    bone.dofs = [t.lower() for t in tok[1:]]
        elif section == "hierarchy":
            if key in ("begin", "end"):
                continue
            children.setdefault(tok[0], []).extend(tok[1:])
    if len(bones) < 2 or not children:
        raise UnreadableFile(f"cannot read ASF file {path}: no :bonedata or :hierarchy section")
    for parent, kids in children.items():
        for name in [parent, *kids]:
            if name not in bones:
                raise UnreadableFile(f"cannot read ASF file {path}: hierarchy names unknown bone {name!r}")
    bad = [b.name for b in bones.values() if any(d not in _DOF_AXES and d not in ("tx", "ty", "tz", "l") for d in b.dofs)]
    if bad:
        raise UnreadableFile(f"cannot read ASF file {path}: unknown dof in bones {bad}")
    return AsfSkeleton(bones, children, length_unit, degrees, root_order, root_axis, root_pos, root_ori)


def read_amc(path: str | os.PathLike, skeleton: AsfSkeleton) -> tuple[dict[str, np.ndarray], int]:
    """Per-bone value arrays ``[T, n_values]`` from an AMC file and its first frame number."""
    path = os.fspath(path)
    lines = _read_lines(path, "AMC")
    frames: list[dict[str, list[float]]] = []
    first_frame = None
    for ln, line in enumerate(lines):
        if not line or line.startswith("#") or line.startswith(":"):
            continue
        tok = line.split()
        if len(tok) == 1 and tok[0].isdigit():
            frames.append({})
            if first_frame is None:
                first_frame = int(tok[0])
            continue
        if not frames:
            raise UnreadableFile(f"cannot read AMC file {path}: line {ln + 1}: values before the first frame number")
        if tok[0] not in skeleton.bones:
            raise UnreadableFile(f"cannot read AMC file {path}: line {ln + 1}: bone {tok[0]!r} is not in the ASF")
        try:
            frames[-1][tok[0]] = [float(v) for v in tok[1:]]
        except ValueError:
            raise UnreadableFile(f"cannot read AMC file {path}: line {ln + 1}: not a number") from None
    if not frames:
        raise UnreadableFile(f"cannot read AMC file {path}: no frames")
    out: dict[str, np.ndarray] = {}
    for name, bone in skeleton.bones.items():
        width = len(skeleton.root_order) if name == "root" else len(bone.dofs)
        if width == 0:
            continue
        arr = np.zeros((len(frames), width))
        for f, fr in enumerate(frames):
            vals = fr.get(name)
            if vals is None:
                raise UnreadableFile(f"cannot read AMC file {path}: frame {first_frame + f} lacks bone {name!r} (truncated?)")
            if len(vals) != width:
                raise UnreadableFile(
                    f"cannot read AMC file {path}: frame {first_frame + f}, bone {name!r}: "
                    f"{len(vals)} values, the ASF gives it {width}"
                )
            arr[f] = vals
        out[name] = arr
    return out, int(first_frame or 0)


def _extrinsic(order: str, angles: np.ndarray) -> np.ndarray:
    """Rotations applied in ``order`` (first letter first): R = R_last · … · R_first."""
    return euler_matrix(order[::-1], angles[:, ::-1])


def read_asf_amc(
    asf_path: str | os.PathLike,
    amc_path: str | os.PathLike,
    units: str | float | None = None,
    fps: float | None = None,
) -> MotionClip:
    """World positions of the root and every bone's end, in ASF length units."""
    sk = read_asf(asf_path)
    values, first = read_amc(amc_path, sk)
    t = next(iter(values.values())).shape[0] if values else 1
    names, parents = ["root"], [-1]
    queue = ["root"]
    while queue:  # breadth-first from the root keeps parents before children
        p = queue.pop(0)
        for c in sk.children.get(p, []):
            if c in names:
                raise UnreadableFile(f"cannot read ASF file {asf_path}: bone {c!r} has two parents")
            names.append(c)
            parents.append(names.index(p))
            queue.append(c)
    to_rad = np.deg2rad if sk.angles_in_degrees else (lambda a: a)
    n = len(names)
    rot = np.broadcast_to(np.eye(3), (t, n, 3, 3)).copy()
    trans = np.zeros((t, n, 3))

    rv = values.get("root", np.zeros((t, len(sk.root_order))))
    r_order = "".join(k[1] for k in sk.root_order if k.startswith("R"))
    r_angles = np.stack([rv[:, i] for i, k in enumerate(sk.root_order) if k.startswith("R")], -1) if r_order else np.zeros((t, 0))
    c_root = _extrinsic(sk.root_axis, to_rad(sk.root_orientation)[None])[0]
    l_root = _extrinsic(r_order, to_rad(r_angles)) if r_order else np.eye(3)[None]
    rot[:, 0] = c_root @ l_root @ c_root.T
    trans[:, 0] = sk.root_position
    for i, k in enumerate(sk.root_order):
        if k.startswith("T"):
            trans[:, 0, "XYZ".index(k[1])] += rv[:, i]

    for i in range(1, n):
        b = sk.bones[names[i]]
        c = _extrinsic(b.axis_order, to_rad(b.axis)[None])[0]
        rdofs = [(k, d) for k, d in enumerate(b.dofs) if d in _DOF_AXES]
        if rdofs:
            vals = values[b.name]
            order = "".join(_DOF_AXES[d] for _k, d in rdofs)
            lmat = _extrinsic(order, to_rad(np.stack([vals[:, k] for k, _d in rdofs], -1)))
        else:
            lmat = np.eye(3)[None]
        # Local rotation relative to the parent's world frame: C · L · C⁻¹, and the
        # bone vector is the direction given in world rest axes.
        rot[:, i] = c @ lmat @ c.T
        trans[:, i] = b.direction / (np.linalg.norm(b.direction) or 1.0) * b.length
    # Unlike BVH (parent rotation applied to the child offset), ASF applies the
    # bone's OWN world rotation to its direction: chain the rotations first and
    # place each bone end with its own rotation. (tx/ty/tz/l dofs are ignored.)
    world_r = np.empty_like(rot)
    pos = np.empty((t, n, 3))
    for i, p in enumerate(parents):
        world_r[:, i] = rot[:, i] if p < 0 else world_r[:, p] @ rot[:, i]
        pos[:, i] = trans[:, i] if p < 0 else pos[:, p] + np.einsum("tab,b->ta", world_r[:, i], trans[0, i])
    if not np.isfinite(pos).all():
        raise UnreadableFile(f"cannot read AMC file {amc_path}: forward kinematics gave non-finite positions")
    scale = unit_scale(units)
    if scale is None:
        scale = 0.0254 / sk.length_unit if sk.length_unit else guess_units_to_m(pos, parents)
    return MotionClip(
        positions=pos.astype(np.float32),
        joint_names=names,
        parents=parents,
        fps=float(fps) if fps else CMU_AMC_FPS,
        frame_start=float(first),
        units_to_m=scale,
        up_axis="Y",
        source=os.fspath(amc_path),
        meta={"format": "asf/amc", "asf": os.fspath(asf_path), "fps_assumed": not fps},
    )
