"""A small BVH reader: hierarchy (any channel order, 3- or 6-channel joints, End Sites)
and vectorised forward kinematics to world joint positions in the file's own units.

Written here rather than taken from a library because the job is small and the
libraries in reach either drop End Sites, assume the root alone has position channels,
or loop over frames in Python.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ..wire.errors import UnreadableFile
from ..motion import MotionClip
from ..wire.limits import check_motion_budget
from .kinematics import chain_positions, euler_matrix
from .textfile import read_text_lines
from .units import guess_units_to_m, unit_scale

_CHANNELS = {"Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation"}


@dataclass
class _Joint:
    name: str
    parent: int
    offset: np.ndarray
    channels: list[str] = field(default_factory=list)
    first_channel: int = 0  # column of its first channel in a motion row


def _fail(path: str, why: str) -> UnreadableFile:
    return UnreadableFile(f"cannot read BVH file {path}: {why}")


def _parse_hierarchy(lines: list[str], path: str) -> tuple[list[_Joint], int]:
    """Joints in file (depth-first) order and the index of the MOTION line."""
    joints: list[_Joint] = []
    stack: list[int] = []  # open joint indices; -2 marks an End Site block
    pending: tuple[str, int, bool] | None = None  # (name, parent, is_end) awaiting '{'
    n_channels = 0
    for ln, raw in enumerate(lines):
        tok = raw.split()
        if not tok:
            continue
        key = tok[0]
        where = f"line {ln + 1}"
        if key == "HIERARCHY":
            continue
        if key == "MOTION":
            if stack or pending:
                raise _fail(path, f"{where}: MOTION before the hierarchy's braces close")
            if not joints:
                raise _fail(path, "no joints in the HIERARCHY section")
            return joints, ln
        if key in ("ROOT", "JOINT"):
            if len(tok) < 2:
                raise _fail(path, f"{where}: {key} without a name")
            if key == "JOINT" and not stack:
                raise _fail(path, f"{where}: JOINT outside any ROOT")
            parent = stack[-1] if stack else -1
            if parent == -2:
                raise _fail(path, f"{where}: JOINT inside an End Site")
            name = " ".join(t for t in tok[1:] if t != "{")
            pending = (name, parent, False)
            if tok[-1] == "{":
                stack.append(_open(joints, pending))
                pending = None
        elif key == "End":
            if not stack or stack[-1] < 0:
                raise _fail(path, f"{where}: End Site outside a joint")
            parent = stack[-1]
            pending = (joints[parent].name + "_end", parent, True)
            if tok[-1] == "{":
                stack.append(_open(joints, pending))
                pending = None
        elif key == "{":
            if pending is None:
                raise _fail(path, f"{where}: unexpected '{{'")
            stack.append(_open(joints, pending))
            pending = None
        elif key == "}":
            if not stack:
                raise _fail(path, f"{where}: unbalanced '}}'")
            stack.pop()
        elif key == "OFFSET":
            if not stack:
                raise _fail(path, f"{where}: OFFSET outside a joint")
            try:
                off = np.array([float(v) for v in tok[1:4]])
            except ValueError:
                raise _fail(path, f"{where}: OFFSET is not three numbers") from None
            if off.shape != (3,) or not np.isfinite(off).all():
                raise _fail(path, f"{where}: OFFSET is not three finite numbers")
            joints[_current(stack, joints)].offset = off
        elif key == "CHANNELS":
            j = _current(stack, joints)
            if stack[-1] == -2:
                raise _fail(path, f"{where}: CHANNELS inside an End Site")
            try:
                count = int(tok[1])
            except (IndexError, ValueError):
                raise _fail(path, f"{where}: CHANNELS without a count") from None
            chans = tok[2:]
            if len(chans) != count or not set(chans) <= _CHANNELS:
                raise _fail(path, f"{where}: CHANNELS {count} followed by {chans}")
            joints[j].channels = chans
            joints[j].first_channel = n_channels
            n_channels += count
        else:
            raise _fail(path, f"{where}: unexpected {key!r} in the hierarchy")
    raise _fail(path, "no MOTION section (file truncated?)")


def _open(joints: list[_Joint], pending: tuple[str, int, bool]) -> int:
    name, parent, is_end = pending
    joints.append(_Joint(name, parent, np.zeros(3)))
    return -2 if is_end else len(joints) - 1


def _current(stack: list[int], joints: list[_Joint]) -> int:
    # An End Site is the last joint appended while its -2 marker is on top.
    return len(joints) - 1 if stack and stack[-1] == -2 else stack[-1]


def _parse_motion(lines: list[str], start: int, n_channels: int, path: str) -> tuple[np.ndarray, float]:
    frames_line = lines[start + 1].split() if start + 1 < len(lines) else []
    time_line = lines[start + 2].split() if start + 2 < len(lines) else []
    try:
        assert frames_line[0] == "Frames:" and time_line[:2] == ["Frame", "Time:"]
        n_frames = int(frames_line[1])
        frame_time = float(time_line[2])
    except (AssertionError, IndexError, ValueError):
        raise _fail(path, "the MOTION section lacks 'Frames: N' and 'Frame Time: dt'") from None
    if n_frames < 1 or not (np.isfinite(frame_time) and frame_time > 0):
        raise _fail(path, f"Frames: {n_frames}, Frame Time: {frame_time} (need ≥1 frame, dt > 0)")
    check_motion_budget(n_frames, 1.0 / frame_time)  # before parsing (and later resampling) any frame
    text = " ".join(lines[start + 3 :])
    try:
        values = np.array(text.split(), dtype=np.float64)
    except ValueError:
        raise _fail(path, "the motion data contains something that is not a number") from None
    if not np.isfinite(values).all():
        first = int(np.argmax(~np.isfinite(values)))
        row, col = divmod(first, max(n_channels, 1))
        raise _fail(path, f"non-finite value {values[first]} at frame {row} (line {start + 4 + row}, channel {col + 1})")
    expected = n_frames * n_channels
    if values.size < expected:
        raise _fail(
            path,
            f"declares {n_frames} frames × {n_channels} channels but holds {values.size} "
            f"values (truncated after frame {values.size // max(n_channels, 1)})",
        )
    if values.size > expected:
        raise _fail(path, f"holds {values.size} values, more than {n_frames} frames × {n_channels} channels")
    return values.reshape(n_frames, n_channels), frame_time


def _fps(frame_time: float) -> float:
    fps = 1.0 / frame_time
    return float(round(fps)) if abs(fps - round(fps)) < 1e-3 * fps else fps


def read_bvh(path: str | os.PathLike, units: str | float | None = None) -> MotionClip:
    """Read a BVH file into a MotionClip of world joint positions (file units;
    ``units_to_m`` from ``units`` or the size heuristic of ``moground.io.units``).

    End Sites become joints named ``<parent>_end``. Position channels replace the
    joint's OFFSET on the axes they name (the convention of the common exporters)."""
    path = os.fspath(path)
    lines = read_text_lines(path, "BVH")
    if not lines or lines[0].split()[:1] != ["HIERARCHY"]:
        raise _fail(path, "it does not start with HIERARCHY")
    joints, motion_at = _parse_hierarchy(lines, path)
    n_channels = sum(len(j.channels) for j in joints)
    data, frame_time = _parse_motion(lines, motion_at, n_channels, path)

    t, n = data.shape[0], len(joints)
    trans = np.broadcast_to(np.stack([j.offset for j in joints]), (t, n, 3)).copy()
    rot = np.broadcast_to(np.eye(3), (t, n, 3, 3)).copy()
    for i, j in enumerate(joints):
        order, cols = "", []
        for k, ch in enumerate(j.channels):
            col = data[:, j.first_channel + k]
            if ch.endswith("position"):
                trans[:, i, "XYZ".index(ch[0])] = col
            else:
                order += ch[0]
                cols.append(col)
        if order:
            rot[:, i] = euler_matrix(order, np.deg2rad(np.stack(cols, axis=-1)))
    parents = [j.parent for j in joints]
    positions = chain_positions(parents, rot, trans)
    if not np.isfinite(positions).all():
        t, j = (int(v) for v in np.argwhere(~np.isfinite(positions))[0][:2])
        raise _fail(path, f"forward kinematics gave non-finite positions at frame {t}, joint {joints[j].name!r}")
    scale = unit_scale(units)
    return MotionClip(
        positions=positions.astype(np.float32),
        joint_names=[j.name for j in joints],
        parents=parents,
        fps=_fps(frame_time),
        frame_start=0.0,
        units_to_m=scale if scale is not None else guess_units_to_m(positions, parents),
        up_axis="Y",
        source=path,
        meta={"format": "bvh", "frame_time": frame_time, "units_guessed": scale is None},
    )
