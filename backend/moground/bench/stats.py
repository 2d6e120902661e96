"""Confidence intervals by case bootstrap over distinct clips.

Segments of one clip are not independent (one bad boundary spoils two segments), so
the unit of resampling is the clip: draw clips with replacement, pool their segments,
recompute the statistic. With five takes the interval is wide; that is the point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

N_BOOT = 2000


def bootstrap_ci(
    groups: Sequence[np.ndarray], stat: Callable[[np.ndarray], float] = np.mean, n_boot: int = N_BOOT,
    seed: int = 0, level: float = 0.95,
) -> tuple[float, float, float]:
    """(estimate, low, high) of ``stat`` over the pooled values of ``groups`` (one
    array per clip), resampling clips."""
    groups = [np.asarray(g, dtype=np.float64) for g in groups if len(g)]
    if not groups:
        return (float("nan"),) * 3
    point = float(stat(np.concatenate(groups)))
    if len(groups) == 1:
        return point, point, point
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(groups), size=(n_boot, len(groups)))
    vals = np.array([stat(np.concatenate([groups[i] for i in row])) for row in draws])
    alpha = (1.0 - level) / 2.0
    # a draw can leave a statistic undefined (AUROC with one class only): skip those draws
    return point, float(np.nanquantile(vals, alpha)), float(np.nanquantile(vals, 1.0 - alpha))


def auroc(scores: Sequence[float], positive: Sequence[bool]) -> float:
    """Area under the ROC curve of ``scores`` for ``positive`` (ties count half);
    NaN when either class is empty."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(positive, dtype=bool)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))
