"""Options of one grounding request: one typed object, built by the CLI, the server,
the batch and the bench, checked in one place.

Each option has a type and a documented valid range (``OPTION_RANGES``). A value
outside it, a wrong type or an unknown option raises :class:`BadOption` (code
``bad_request``, ``details.option`` names it), so wire clients, the CLI and batch
files all get the same message. Plain Python: no torch, importable by the protocol.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from .errors import BadRequest
from .limits import MAX_SEARCH_TOP, finite_number


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
    if not finite_number(value) or value > spec.high or value < spec.low or (
            spec.low_open and value == spec.low):
        raise bad
    return spec.kind(value)


@dataclass(frozen=True)
class GroundOptions:
    """The options of one request; ``None`` means the method's own default."""

    min_segment_s: float = 0.5
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


class BadConstraint(BadRequest):
    """Pinned boundaries or kept segments that cannot be honoured (code ``bad_request``,
    ``details.constraint`` names the offending entry)."""


MAX_CONSTRAINTS = 64  # pins plus keeps in one request: K is at most 32 (protocol.MAX_SUB_ACTIONS)


@dataclass(frozen=True)
class Pin:
    """The cut after sub-action ``after`` (1-based, as the CLI prints) at source ``frame``:
    sub-action ``after`` ends there (exclusive) and the next one starts there."""

    after: int
    frame: float


@dataclass(frozen=True)
class Keep:
    """Sub-action ``index`` (1-based) spans source frames [``start``, ``end``), end
    exclusive like ``start_frame``/``end_frame`` of a result."""

    index: int
    start: float
    end: float


def _whole_frame(value: Any, what: str) -> float:
    if type(value) is bool or not isinstance(value, (int, float)) or not finite_number(value) \
            or abs(value) > 1e9 or value != round(value):
        raise BadConstraint(f"{what} must be a whole frame number, got {repr(value)[:40]}",
                            details={"constraint": what})
    return float(value)


def _index(value: Any, what: str) -> int:
    if type(value) is not int or not 1 <= value <= MAX_CONSTRAINTS:
        raise BadConstraint(f"{what} must be a sub-action number 1..{MAX_CONSTRAINTS} (1-based), "
                            f"got {repr(value)[:40]}", details={"constraint": what})
    return value


@dataclass(frozen=True)
class GroundConstraints:
    """What the artist fixed: pinned cuts, kept segments and the frame range to work in,
    all in the source's own frame numbering. Built once at the edge (wire, CLI, batch,
    add-on) by :meth:`from_mapping`, which checks the shape; :meth:`fixed_edges` checks
    them against the take and K once K is known. Plain Python: vendored with the wire."""

    pins: tuple[Pin, ...] = ()
    keeps: tuple[Keep, ...] = ()
    frame_range: tuple[float, float] | None = None

    def __bool__(self) -> bool:
        return bool(self.pins or self.keeps or self.frame_range)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "GroundConstraints":
        """From ``{"pins": [{"after", "frame"}], "keeps": [{"index", "start", "end"}],
        "range": [start, end]}`` (every key optional; ``null`` means none)."""
        if data is None:
            return cls()
        if isinstance(data, GroundConstraints):
            return data
        if not isinstance(data, Mapping):
            raise BadConstraint("constraints must be an object {pins, keeps, range}", details={"constraint": "constraints"})
        unknown = sorted(str(k)[:40] for k in data if k not in ("pins", "keeps", "range"))
        if unknown:
            raise BadConstraint(f"unknown constraint field(s) {', '.join(unknown)}; known: pins, keeps, range",
                                details={"constraint": unknown[0]})
        pins_raw, keeps_raw = data.get("pins") or [], data.get("keeps") or []
        if not isinstance(pins_raw, list) or not isinstance(keeps_raw, list):
            raise BadConstraint("pins and keeps must be lists", details={"constraint": "constraints"})
        if len(pins_raw) + len(keeps_raw) > MAX_CONSTRAINTS:
            raise BadConstraint(f"{len(pins_raw) + len(keeps_raw)} pins and keeps; the limit is {MAX_CONSTRAINTS}",
                                details={"constraint": "constraints"})
        pins = []
        for n, p in enumerate(pins_raw):
            if not isinstance(p, Mapping) or set(p) != {"after", "frame"}:
                raise BadConstraint(f"pins[{n}] must be {{after, frame}}", details={"constraint": f"pins[{n}]"})
            pins.append(Pin(_index(p["after"], f"pins[{n}].after"), _whole_frame(p["frame"], f"pins[{n}].frame")))
        keeps = []
        for n, k in enumerate(keeps_raw):
            if not isinstance(k, Mapping) or set(k) != {"index", "start", "end"}:
                raise BadConstraint(f"keeps[{n}] must be {{index, start, end}}", details={"constraint": f"keeps[{n}]"})
            keep = Keep(_index(k["index"], f"keeps[{n}].index"), _whole_frame(k["start"], f"keeps[{n}].start"),
                        _whole_frame(k["end"], f"keeps[{n}].end"))
            if keep.end <= keep.start:
                raise BadConstraint(f"keeps[{n}] ends at frame {keep.end:g}, not after its start {keep.start:g}",
                                    details={"constraint": f"keeps[{n}]"})
            keeps.append(keep)
        frame_range = data.get("range")
        if frame_range is not None:
            if not isinstance(frame_range, (list, tuple)) or len(frame_range) != 2:
                raise BadConstraint("range must be [first frame, end frame]", details={"constraint": "range"})
            frame_range = (_whole_frame(frame_range[0], "range[0]"), _whole_frame(frame_range[1], "range[1]"))
            if frame_range[1] <= frame_range[0]:
                raise BadConstraint(f"range {frame_range[0]:g}-{frame_range[1]:g} is empty", details={"constraint": "range"})
        for what, values in (("pins", [p.after for p in pins]), ("keeps", [k.index for k in keeps])):
            if len(set(values)) != len(values):
                raise BadConstraint(f"two {what} name the same sub-action", details={"constraint": what})
        return cls(tuple(sorted(pins, key=lambda p: p.after)), tuple(sorted(keeps, key=lambda k: k.index)), frame_range)

    def to_dict(self) -> dict[str, Any]:
        """The wire form (what :meth:`from_mapping` reads back)."""
        out: dict[str, Any] = {}
        if self.pins:
            out["pins"] = [{"after": p.after, "frame": p.frame} for p in self.pins]
        if self.keeps:
            out["keeps"] = [{"index": k.index, "start": k.start, "end": k.end} for k in self.keeps]
        if self.frame_range:
            out["range"] = list(self.frame_range)
        return out

    def fixed_edges(self, k_count: int, first: float, end: float) -> list[tuple[float | None, float | None]]:
        """Per sub-action, its (start, end) source frames where a pin or a keep fixes
        them, else None. Checks, once: every index fits K, every frame lies in
        [``first``, ``end``] (the take, or the range), a pin and a keep that share an edge
        agree, and the fixed edges leave every sub-action at least one frame, in order."""
        edges: list[list[float | None]] = [[None, None] for _ in range(k_count)]

        def fix(i: int, side: int, value: float, what: str) -> None:
            if edges[i][side] is not None and edges[i][side] != value:
                raise BadConstraint(f"{what} puts the {'end' if side else 'start'} of sub-action {i + 1} at frame "
                                    f"{value:g}, another constraint at {edges[i][side]:g}", details={"constraint": what})
            edges[i][side] = value

        for p in self.pins:
            if p.after >= k_count:
                raise BadConstraint(f"a pin after sub-action {p.after} needs at least {p.after + 1} sub-actions; "
                                    f"there are {k_count}", details={"constraint": f"pin {p.after}"})
            if not first < p.frame < end:
                raise BadConstraint(f"the pin after sub-action {p.after} at frame {p.frame:g} is outside "
                                    f"frames {first:g}-{end:g}", details={"constraint": f"pin {p.after}"})
            fix(p.after - 1, 1, p.frame, f"pin {p.after}")
            fix(p.after, 0, p.frame, f"pin {p.after}")
        for kp in self.keeps:
            if kp.index > k_count:
                raise BadConstraint(f"kept sub-action {kp.index} does not exist: there are {k_count}",
                                    details={"constraint": f"keep {kp.index}"})
            if not first <= kp.start < kp.end <= end:
                raise BadConstraint(f"kept sub-action {kp.index} ({kp.start:g}-{kp.end:g}) is outside "
                                    f"frames {first:g}-{end:g}", details={"constraint": f"keep {kp.index}"})
            fix(kp.index - 1, 0, kp.start, f"keep {kp.index}")
            fix(kp.index - 1, 1, kp.end, f"keep {kp.index}")
        # in order: between two fixed edges lie at least as many frames as whole sub-actions
        prev_value, prev_pos = first, -1
        for pos in range(2 * k_count):
            value = edges[pos // 2][pos % 2]
            if value is None:
                continue
            if value - prev_value < whole_segments_between(prev_pos, pos):
                raise BadConstraint(f"constraints out of order: frame {value:g} ({'end' if pos % 2 else 'start'} of "
                                    f"sub-action {pos // 2 + 1}) leaves too few frames after frame {prev_value:g}",
                                    details={"constraint": "order"})
            prev_value, prev_pos = value, pos
        if end - prev_value < whole_segments_between(prev_pos, 2 * k_count):
            raise BadConstraint(f"constraints leave too few frames after frame {prev_value:g} for the "
                                "sub-actions that follow", details={"constraint": "order"})
        return [(s, e) for s, e in edges]


def whole_segments_between(prev_pos: int, pos: int) -> int:
    """Sub-actions lying wholly between edge positions ``prev_pos`` and ``pos`` (position
    2i is the start of sub-action i, 2i+1 its end; -1 and 2K stand for the take's ends)."""
    return sum(1 for i in range((prev_pos + 1) // 2, (pos + 1) // 2) if prev_pos <= 2 * i and 2 * i + 1 <= pos)
