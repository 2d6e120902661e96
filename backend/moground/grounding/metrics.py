"""Grounding quality: IoU, R@1 at IoU thresholds, mIoU and mAP over IoU 0.1–0.7."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

R1_THRESHOLDS: tuple[float, ...] = (0.3, 0.5, 0.7)
MAP_THRESHOLDS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Temporal IoU of two half-open intervals."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def average_precision(ious: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """AP of one prediction per query, ranked by score over all queries."""
    if len(ious) == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    hits = (ious[order] >= threshold).astype(np.float64)
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / len(hits))


def summarize(ious: Sequence[float], scores: Sequence[float]) -> dict[str, float]:
    """Table row: R@1 at IoU 0.3/0.5/0.7, mIoU, mAP@[0.1:0.7], count."""
    i = np.asarray(ious, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    out: dict[str, float] = {"n": float(len(i))}
    for th in R1_THRESHOLDS:
        out[f"r1@{th}"] = float((i >= th).mean()) if len(i) else 0.0
    out["miou"] = float(i.mean()) if len(i) else 0.0
    out["map"] = float(np.mean([average_precision(i, s, th) for th in MAP_THRESHOLDS]))
    return out
