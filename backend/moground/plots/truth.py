"""Human boundaries for a clip: ``--truth FILE`` (JSON ``[{label, start_s, end_s}]``).

An object ``{"segments": [...]}`` is read the same way (the packaged demo take's file
has that shape, plus its attribution). Seconds are from the clip's first frame. A
file that cannot be read is ``unreadable_file``; one that is read but malformed is
``bad_request`` and the message names the offending entry.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ..wire.errors import BadRequest, UnreadableFile
from ..grounding.metrics import iou


def load_truth(path: str | os.PathLike, duration_s: float | None = None) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UnreadableFile(f"cannot read truth file {path}: {exc}") from None
    return parse_truth(data, str(path), duration_s)


def parse_truth(data: object, name: str = "truth", duration_s: float | None = None) -> list[dict]:
    if isinstance(data, dict) and "segments" in data:
        data = data["segments"]
    if not isinstance(data, list) or not data:
        raise BadRequest(f"{name}: expected a non-empty JSON list of {{label, start_s, end_s}} objects")
    out = []
    for i, item in enumerate(data):
        where = f"{name}: entry {i}"
        if not isinstance(item, dict):
            raise BadRequest(f"{where} is not an object {{label, start_s, end_s}}")
        missing = [k for k in ("label", "start_s", "end_s") if k not in item]
        if missing:
            raise BadRequest(f"{where} lacks {', '.join(missing)}")
        label = item["label"]
        if not isinstance(label, str) or not label.strip():
            raise BadRequest(f"{where}: label must be a non-empty string")
        times = []
        for key in ("start_s", "end_s"):
            v = item[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise BadRequest(f"{where}: {key} must be a finite number of seconds, got {v!r}")
            times.append(float(v))
        start, end = times
        if start < 0 or end <= start:
            raise BadRequest(f"{where} ({label!r}): needs 0 <= start_s < end_s, got {start:g}-{end:g}")
        if duration_s is not None and start >= duration_s:
            raise BadRequest(f"{where} ({label!r}) starts at {start:g} s, after the clip's end ({duration_s:.2f} s)")
        out.append({"label": label.strip(), "start_s": start, "end_s": end})
    return out


def truth_ious(segments: list, truth: list[dict]) -> list[float] | None:
    """Per-sub-action IoU when prediction and truth pair up one to one (same count, in
    order); None otherwise. ``segments`` are dicts or objects with start_s/end_s."""
    if len(segments) != len(truth):
        return None
    get = lambda s, k: s[k] if isinstance(s, dict) else getattr(s, k)  # noqa: E731
    return [iou((get(p, "start_s"), get(p, "end_s")), (t["start_s"], t["end_s"])) for p, t in zip(segments, truth)]
