"""Two methods on the same takes: boundary error, IoUs, and the paired CI of their difference.

Whether one method beats another is a question about the difference on the SAME takes,
so the bootstrap draws takes once and recomputes both methods' statistic on that draw
(``paired_diff_ci``); two separate CIs that overlap can hide a difference every take
shows. The unit of resampling is the take (its cuts and segments are not independent).

Boundary error of a predicted cut between sub-actions i and i+1: its distance in
seconds to the true boundary *window* — realchains' human transition window, the
kinectchains gap between the two actions, a spliced sequence's seam (a point) — and 0
inside it, where any cut is right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .stats import N_BOOT


@dataclass
class TakeTruth:
    """What one take is scored against (20 fps frames, half-open spans)."""

    family: str
    take_id: str
    spans: list[tuple[int, int]]  # per sub-action, in prompt order
    windows: list[tuple[int, int]]  # per inner boundary: where a cut is right (a == b: a point)
    ignore: np.ndarray | None  # [T] frames left out of the "excluding" IoU (transitions, gaps)


def boundary_errors(segments: Sequence[tuple[int, int]], windows: Sequence[tuple[int, int]], fps: float) -> list[float]:
    """Seconds from each predicted inner cut to its true window (0 inside)."""
    cuts = [e for _, e in segments[:-1]]
    return [max(0.0, a - c, c - b) / fps for c, (a, b) in zip(cuts, windows)]


def p90(values: np.ndarray) -> float:
    return float(np.quantile(values, 0.9))


def median(values: np.ndarray) -> float:
    return float(np.median(values))


def mean(values: np.ndarray) -> float:
    return float(np.mean(values))


def paired_diff_ci(a: Sequence[np.ndarray], b: Sequence[np.ndarray], stat: Callable[[np.ndarray], float],
                   n_boot: int = N_BOOT, seed: int = 0, level: float = 0.95) -> tuple[float, float, float, float, float]:
    """(stat of a, stat of b, stat(a) − stat(b), low, high): ``a[i]`` and ``b[i]`` are
    the values of take i under the two methods; each draw resamples takes with
    replacement and takes the difference of the pooled statistics."""
    keep = [i for i in range(len(a)) if len(a[i]) and len(b[i])]
    ga = [np.asarray(a[i], dtype=np.float64) for i in keep]
    gb = [np.asarray(b[i], dtype=np.float64) for i in keep]
    if not ga:
        return (float("nan"),) * 5
    sa, sb = stat(np.concatenate(ga)), stat(np.concatenate(gb))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(ga), size=(n_boot, len(ga)))
    diffs = np.array([stat(np.concatenate([ga[i] for i in row])) - stat(np.concatenate([gb[i] for i in row]))
                      for row in draws])
    alpha = (1.0 - level) / 2.0
    return sa, sb, sa - sb, float(np.quantile(diffs, alpha)), float(np.quantile(diffs, 1.0 - alpha))


def verdict(diff_ci: tuple[float, float, float, float, float], higher_is_better: bool) -> str:
    """``better`` / ``worse`` when the paired CI excludes 0, else ``same``."""
    _, _, _, lo, hi = diff_ci
    if lo > 0 or hi < 0:
        return "better" if (lo > 0) == higher_is_better else "worse"
    return "same"
