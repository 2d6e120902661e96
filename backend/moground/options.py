"""Options of one grounding request: one typed object, built by the CLI, the server,
the batch and the bench, checked in one place.

Each option has a type and a documented valid range (``OPTION_RANGES``). A value
outside it, a wrong type or an unknown option raises :class:`BadOption` (code
``bad_request``, ``details.option`` names it), so wire clients, the CLI and batch
files all get the same message. Plain Python: no torch, importable by the protocol.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from .errors import BadRequest


class BadOption(BadRequest):
    """An engine option that is unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class OptionRange:
    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # low itself is not allowed
    help: str = ""

    def describe(self) -> str:
        if self.kind is bool:
            return "true or false"
        lo = "(" if self.low_open else "["
        return f"{'an integer' if self.kind is int else 'a number'} in {lo}{self.low:g}, {self.high:g}]"


OPTION_RANGES: dict[str, OptionRange] = {
    "min_segment_s": OptionRange(float, 0.05, 600.0, help="shortest segment in seconds (default 0.5)"),
    "steps": OptionRange(int, 1, 5000, help="ZOMG optimisation steps (default 120)"),
    "lr": OptionRange(float, 0.0, 10.0, low_open=True, help="ZOMG learning rate (default 0.15)"),
    "tau": OptionRange(float, 1e-3, 10.0, help="ZOMG contrastive temperature (default 0.07)"),
    "expand_phrases": OptionRange(bool, help="embed phrases with their action-lexicon descriptions"),
}
"""Every option a ground request may carry, its type and valid range (docs/protocol.md)."""


def check_option(name: str, value: Any) -> Any:
    """``value`` as the option's type, or BadOption naming the option and its range."""
    spec = OPTION_RANGES.get(name)
    if spec is None:
        raise BadOption(f"unknown option {str(name)[:40]!r}; known options: {', '.join(OPTION_RANGES)}",
                        details={"option": str(name)[:40]})
    bad = BadOption(f"option {name} must be {spec.describe()}, got {repr(value)[:40]}",
                    details={"option": name, "valid": spec.describe()})
    if spec.kind is bool:
        if type(value) is not bool:
            raise bad
        return value
    if type(value) is bool or not isinstance(value, (int, float)):
        raise bad
    if spec.kind is int and (type(value) is not int):
        raise bad
    if not math.isfinite(value) or value > spec.high or value < spec.low or (
            spec.low_open and value == spec.low):
        raise bad
    return spec.kind(value)


@dataclass(frozen=True)
class GroundOptions:
    """The options of one request; ``None`` means the method's own default."""

    min_segment_s: float = 0.5
    steps: int | None = None
    lr: float | None = None
    tau: float | None = None
    expand_phrases: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                object.__setattr__(self, f.name, check_option(f.name, value))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "GroundOptions":
        """From a wire/CLI/batch mapping; ``null`` values mean the default."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise BadOption("options must be an object of option: value")
        for key in data:
            if key not in OPTION_RANGES:
                check_option(key, None)  # raises: unknown option
        return cls(**{k: v for k, v in data.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        """The options that differ from the defaults (what goes on the wire)."""
        default = GroundOptions()
        return {k: v for k, v in asdict(self).items() if v != getattr(default, k)}

    def zomg_overrides(self) -> dict[str, Any]:
        """The ZomgConfig fields these options set."""
        return {k: getattr(self, k) for k in ("steps", "lr", "tau") if getattr(self, k) is not None}

    def min_frames(self, fps: float) -> int:
        """The shortest segment in frames at ``fps`` (at least one)."""
        return max(1, int(round(self.min_segment_s * fps)))
