"""The in-memory motion clip every reader produces and every consumer accepts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .wire.errors import BadMotion


@dataclass
class MotionClip:
    """World-space joint positions of one take.

    positions: float32 ``[T, J, 3]`` in the source's own units and axes (see
        ``units_to_m`` and ``up_axis``); readers convert nothing they need not.
    joint_names / parents: one entry per joint, parent index -1 for roots.
    fps: frames per second of ``positions``.
    frame_start: source frame number of ``positions[0]`` (Blender frame, BVH frame 0...),
        so results can be reported in the source's own numbering.
    units_to_m: multiply positions by this to get metres.
    up_axis: "Y" or "Z" (Blender scenes are Z-up).
    checked: the positions were already checked (finite, at least 2 frames), by
        :meth:`validate` or by the wire decoder (protocol.validate_request).
    """

    positions: np.ndarray
    joint_names: list[str]
    parents: list[int]
    fps: float
    frame_start: float = 0.0
    units_to_m: float = 1.0
    up_axis: str = "Y"
    source: str = ""
    meta: dict = field(default_factory=dict)
    checked: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pos = np.asarray(self.positions, dtype=np.float32)
        if pos.ndim != 3 or pos.shape[-1] != 3:
            raise BadMotion(f"positions must be [T, J, 3], got shape {tuple(pos.shape)}")
        if pos.shape[1] != len(self.joint_names) or len(self.parents) != len(self.joint_names):
            raise BadMotion(
                f"{pos.shape[1]} joints in positions but {len(self.joint_names)} names "
                f"and {len(self.parents)} parents"
            )
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise BadMotion(f"fps must be a positive number, got {self.fps!r}")
        if self.up_axis not in ("Y", "Z"):
            raise BadMotion(f"up_axis must be 'Y' or 'Z', got {self.up_axis!r}")
        self.positions = pos

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps

    def validate(self) -> None:
        """The one check of a reader's clip before grounding: at least 2 frames, no NaN/inf
        (BadMotion naming the first bad frame and joint). Wire clips were checked by the
        protocol decoder and skip it."""
        if self.checked:
            return
        if self.num_frames < 2:
            raise BadMotion(f"the clip has {self.num_frames} frame(s); at least 2 are needed")
        bad = ~np.isfinite(self.positions)
        if bad.any():
            t, j, _ = np.argwhere(bad)[0]
            raise BadMotion(
                f"non-finite position at frame {int(t) + self.frame_start:g}, "
                f"joint {self.joint_names[j]!r} ({int(bad.any(axis=2).sum())} bad joint samples)"
            )
        self.checked = True
