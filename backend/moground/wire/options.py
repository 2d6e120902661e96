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
from .limits import MAX_SEARCH_TOP


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
        if self.kind is str:
            return f"a string of at most {self.high:g} characters"
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


SEARCH_OPTION_RANGES: dict[str, OptionRange] = {
    "top": OptionRange(int, 1, MAX_SEARCH_TOP, help="hits returned, best first (default 20)"),
    "min_s": OptionRange(float, 0.0, 3600.0, low_open=True, help="shortest moment in seconds"),
    "max_s": OptionRange(float, 0.0, 3600.0, low_open=True, help="longest moment in seconds"),
    "path": OptionRange(str, 1, 256, help="only takes whose file (or take key) matches this glob"),
}
"""Every option a search request may carry (the wire ``search`` kind, ``moground search``)."""


def check_option(name: str, value: Any, ranges: Mapping[str, OptionRange] = OPTION_RANGES) -> Any:
    """``value`` as the option's type, or BadOption naming the option and its range."""
    spec = ranges.get(name)
    if spec is None:
        raise BadOption(f"unknown option {str(name)[:40]!r}; known options: {', '.join(ranges)}",
                        details={"option": str(name)[:40]})
    bad = BadOption(f"option {name} must be {spec.describe()}, got {repr(value)[:40]}",
                    details={"option": name, "valid": spec.describe()})
    if spec.kind is bool:
        if type(value) is not bool:
            raise bad
        return value
    if spec.kind is str:
        if type(value) is not str or not spec.low <= len(value) <= spec.high or "\x00" in value:
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


def search_options(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Search options from a wire/CLI mapping (``null`` means the default), checked:
    the keyword arguments of ``library.search.SearchOptions`` (``path`` → ``path_glob``)."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise BadOption("options must be an object of option: value")
    out = {k: check_option(k, v, SEARCH_OPTION_RANGES) for k, v in data.items() if v is not None or
           k not in SEARCH_OPTION_RANGES}
    check_search_bounds(out.get("min_s"), out.get("max_s"))
    if "path" in out:
        out["path_glob"] = out.pop("path")
    return out


def check_search_bounds(min_s: float | None, max_s: float | None) -> None:
    if min_s is not None and max_s is not None and min_s > max_s:
        raise BadOption(f"option min_s {min_s:g} is more than max_s {max_s:g}",
                        details={"option": "min_s", "valid": "at most max_s"})
