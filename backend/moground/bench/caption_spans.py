"""Timed HumanML3D captions of a CMU trial, grouped by span."""

from __future__ import annotations

from ..training.sources import FPS, ClipRecord


def distinct_spans(rec: ClipRecord, t_count: int | None = None) -> list[tuple[int, int, list[str]]]:
    """HumanML3D captions grouped by span (20 fps frames, clipped to ``t_count`` when
    given), non-overlapping spans only, in time order."""
    groups: dict[tuple[int, int], list[str]] = {}
    for cap in rec.captions:
        if cap.kind != "hml" or cap.start_s is None or cap.end_s is None:
            continue
        s = int(round(cap.start_s * FPS))
        e = int(round(cap.end_s * FPS))
        if t_count is not None:
            e = min(t_count, e)
        if e - s >= int(FPS):  # at least one second inside the clip
            groups.setdefault((s, e), []).append(cap.text.strip().rstrip("."))
    out: list[tuple[int, int, list[str]]] = []
    for (s, e), texts in sorted(groups.items()):
        if out and s < out[-1][1]:  # overlapping span: keep the longer one
            if e - s > out[-1][1] - out[-1][0]:
                out[-1] = (s, e, texts)
            continue
        out.append((s, e, texts))
    return out
