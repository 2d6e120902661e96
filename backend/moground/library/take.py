"""One readable take of a file: what the readers of every format hand to the index."""

from __future__ import annotations

from dataclasses import dataclass

from ..motion import MotionClip


@dataclass
class Take:
    """One readable take of a file."""

    name: str  # "" when the file holds one take
    clip: MotionClip
    armature: str | None = None
    action: str | None = None
