"""The CLI's constraints: ``--pin I:FRAME``, ``--keep I:START-END`` and ``--constraints
FILE.json``, turned into the one ``GroundConstraints`` object the wire also carries.

The file is either a constraints object (``{pins, keeps, range}``, docs/protocol.md) or a
previous run's ``--json`` output, edited: a segment marked ``"keep": true`` is kept at its
``start_frame``/``end_frame``, and one marked ``"pin": true`` pins the cut after it at its
``end_frame``. A previous run also gives its ``sub_actions``, so re-grounding needs no
prompt (``constraints_file_actions``).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from ..wire.errors import UnreadableFile
from ..wire.options import BadConstraint, GroundConstraints

_PIN = re.compile(r"^\s*(\d+)\s*:\s*(-?\d+)\s*$")
_KEEP = re.compile(r"^\s*(\d+)\s*:\s*(-?\d+)\s*-\s*(-?\d+)\s*$")


def add_constraint_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("constraints (source frames, sub-actions numbered from 1 as printed)")
    g.add_argument("--pin", action="append", default=[], metavar="I:FRAME",
                   help="the cut after sub-action I lies at FRAME (repeatable)")
    g.add_argument("--keep", action="append", default=[], metavar="I:START-END",
                   help="sub-action I spans exactly frames START to END, END exclusive (repeatable)")
    g.add_argument("--range", metavar="START-END", help="work only on frames START to END (END exclusive)")
    g.add_argument("--constraints", metavar="JSON",
                   help="a constraints object {pins, keeps, range}, or a previous run's --json output with "
                        'segments marked "keep": true or "pin": true')


def read_constraints_file(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise UnreadableFile(f"cannot read constraints {path}: {exc}") from None
    if not isinstance(data, dict):
        raise BadConstraint(f"constraints {path} must be a JSON object", details={"constraint": "file"})
    return data


def constraints_from_result(data: dict[str, Any]) -> dict[str, Any]:
    """The constraints a previous run's JSON carries: its marked segments (plus any
    ``constraints`` object beside them)."""
    out = dict(data.get("constraints") or {})
    segments = data.get("segments")
    if not isinstance(segments, list):
        return out
    pins, keeps = list(out.get("pins") or []), list(out.get("keeps") or [])
    for n, seg in enumerate(segments):
        if not isinstance(seg, dict):
            raise BadConstraint(f"segments[{n}] is not an object", details={"constraint": f"segments[{n}]"})
        index = seg.get("index", n)
        index = index + 1 if isinstance(index, int) and not isinstance(index, bool) else index
        if seg.get("keep") is True:
            keeps.append({"index": index, "start": seg.get("start_frame"), "end": seg.get("end_frame")})
        if seg.get("pin") is True:
            pins.append({"after": index, "frame": seg.get("end_frame")})
    if pins:
        out["pins"] = pins
    if keeps:
        out["keeps"] = keeps
    return out


def constraints_from_args(args: argparse.Namespace) -> GroundConstraints:
    """Every constraint the command line gives, checked (a bad one is a coded error)."""
    data: dict[str, Any] = {}
    if args.constraints:
        raw = read_constraints_file(args.constraints)
        data = constraints_from_result(raw) if "segments" in raw else raw
    pins, keeps = list(data.get("pins") or []), list(data.get("keeps") or [])
    for text in args.pin:
        m = _PIN.match(text)
        if not m:
            raise BadConstraint(f"--pin {text!r}: expected I:FRAME, e.g. 2:480", details={"constraint": "--pin"})
        pins.append({"after": int(m[1]), "frame": int(m[2])})
    for text in args.keep:
        m = _KEEP.match(text)
        if not m:
            raise BadConstraint(f"--keep {text!r}: expected I:START-END, e.g. 3:480-720", details={"constraint": "--keep"})
        keeps.append({"index": int(m[1]), "start": int(m[2]), "end": int(m[3])})
    if args.range:
        m = re.match(r"^\s*(-?\d+)\s*-\s*(-?\d+)\s*$", args.range)
        if not m:
            raise BadConstraint(f"--range {args.range!r}: expected START-END", details={"constraint": "--range"})
        data["range"] = [int(m[1]), int(m[2])]
    data.update(pins=pins, keeps=keeps)
    return GroundConstraints.from_mapping(data)


def constraints_file_actions(path: str | None) -> list[str] | None:
    """The sub-actions of a previous run's JSON, to re-ground with when no prompt is given."""
    if not path:
        return None
    actions = read_constraints_file(path).get("sub_actions")
    if isinstance(actions, list) and actions and all(isinstance(a, str) for a in actions):
        return actions
    return None
