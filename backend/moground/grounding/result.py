"""Grounding output: ordered segments in the source's own frame numbers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Segment:
    """One sub-action's span. ``end_frame``/``end_s`` are exclusive: a segment that
    stops where the next begins shares that boundary value with it."""

    label: str
    index: int
    start_frame: float
    end_frame: float
    start_s: float
    end_s: float
    score: float
    low_confidence: bool = False  # see grounding.confidence
    reason: str | None = None


@dataclass
class GroundingResult:
    sub_actions: list[str]
    segments: list[Segment]
    fps: float
    method: str
    encoder: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # per-frame signals (moground.grounding.trace.GroundingTrace) when the caller asked for
    # them; never serialised
    trace: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {
            "sub_actions": list(self.sub_actions),
            "segments": [asdict(s) for s in self.segments],
            "fps": self.fps,
            "method": self.method,
            "encoder": self.encoder,
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "warnings": list(self.warnings),
        }
