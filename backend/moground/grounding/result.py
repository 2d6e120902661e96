"""Grounding output: ordered segments in the source's own frame numbers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Every grounding method a CLI flag or a wire request may name (see grounding.methods).
METHODS: tuple[str, ...] = ("fused", "zomg", "changepoint", "window", "uniform")
# what each method does, in one line (``moground info``, the wire ``info`` reply)
METHOD_SUMMARIES: dict[str, str] = {
    "fused": "K ordered segments from one cut DP on 0.5 s cells: each segment pooled whole must match its "
             "phrase, cuts where the motion changes, a duration prior (the default)",
    "zomg": "fused, then each cut moved to the frame within one cell that best separates its two phrases "
            "(contrastive objective on the frozen encoder) and the motion change; no better than fused on real takes",
    "changepoint": "text-free: cuts at motion-change peaks with a duration prior",
    "window": "sliding windows of several lengths with the same encoder (TMR temporal pyramid)",
    "uniform": "K equal parts",
}


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
    # per-frame signals (moground.plots.trace.GroundingTrace) when the caller asked for
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
