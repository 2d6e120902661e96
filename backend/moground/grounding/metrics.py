"""Grounding quality per sub-action: IoU (optionally with frames excluded), R@1 at IoU
thresholds, mIoU and frame accuracy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

R1_THRESHOLDS: tuple[float, ...] = (0.3, 0.5, 0.7)


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Temporal IoU of two half-open intervals."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def iou_excluding(a: tuple[int, int], b: tuple[int, int], ignore: np.ndarray) -> float:
    """IoU counted only over frames where ``ignore`` [T] is False (human transition
    windows belong to neither action, so a boundary anywhere inside one is right)."""
    keep = ~np.asarray(ignore, dtype=bool)
    ca = np.concatenate([[0], np.cumsum(keep)])
    count = lambda s, e: int(ca[max(s, 0) : max(e, 0) + 1][-1] - ca[max(s, 0)]) if e > s else 0  # noqa: E731
    inter = count(max(a[0], b[0]), min(a[1], b[1]))
    union = count(a[0], a[1]) + count(b[0], b[1]) - inter
    return inter / union if union > 0 else 0.0


def frame_accuracy(pred: Sequence[tuple[int, int]], truth: Sequence[tuple[int, int]], t_count: int,
                   ignore: np.ndarray | None = None) -> float:
    """Share of frames (outside ``ignore``) given the same sub-action index as the truth
    (frames in no predicted segment count as wrong)."""
    def labels(spans):
        out = np.full(t_count, -1)
        for i, (s, e) in enumerate(spans):
            out[s:e] = i
        return out
    keep = np.ones(t_count, dtype=bool) if ignore is None else ~np.asarray(ignore, dtype=bool)
    truth_lab = labels(truth)
    keep &= truth_lab >= 0
    return float((labels(pred)[keep] == truth_lab[keep]).mean()) if keep.any() else 0.0


def recall_at(ious: Sequence[float], threshold: float) -> float:
    i = np.asarray(ious, dtype=np.float64)
    return float((i >= threshold).mean()) if len(i) else 0.0


def extent_variants(span: tuple[int, int], t_count: int, changes: tuple[float, ...]) -> list[tuple[int, int]]:
    """Shifted (both ways), extended (each side) and truncated (each side) copies of a
    span, each change a share of its length, clipped to [0, t_count): the spans an
    extent-aware encoder must score below the true one (bench diagnostic, training)."""
    s, e = span
    out = []
    for f in changes:
        d = max(1, int(round(f * (e - s))))
        out += [(s - d, e - d), (s + d, e + d), (s - d, e), (s, e + d), (s + d, e), (s, e - d)]
    clipped = [(max(0, a), min(t_count, b)) for a, b in out]
    # a change that clipping undoes (extending the take's first span to the left) is no variant
    return list(dict.fromkeys(c for c in clipped if c[1] - c[0] >= 2 and c != span))
