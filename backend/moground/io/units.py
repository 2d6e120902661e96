"""Guessing the length unit of formats that do not state it (BVH, ASF without units).

Heuristic (documented for users; override with ``units=``): measure the skeleton's
size as the longest path through its rigid bones (leaf to leaf: fingertip to toe or
head to toe, about a standing height), then pick the unit among metres, centimetres,
millimetres and inches that brings that size closest to 1.7 m on a log scale. Bones
whose length changes over time (joints with animated translation, such as a ground
node above the hips) are not bones of the body and are left out.
"""

from __future__ import annotations

import numpy as np

from ..wire.errors import BadRequest

UNIT_TO_M: dict[str, float] = {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254, "inch": 0.0254,
                               "ft": 0.3048, "feet": 0.3048}
_TYPICAL_SIZE_M = 1.7


def unit_scale(units: str | float | None) -> float | None:
    """Metres per file unit for a user-given unit name or number (None: not given)."""
    if units is None:
        return None
    if isinstance(units, (int, float)):
        if not np.isfinite(units) or units <= 0:
            raise BadRequest(f"units must be a positive number of metres per unit, got {units!r}")
        return float(units)
    key = str(units).strip().lower()
    if key in UNIT_TO_M:
        return UNIT_TO_M[key]
    try:
        return unit_scale(float(key))
    except ValueError:
        raise BadRequest(
            f"unknown units {units!r}: use one of {sorted(UNIT_TO_M)} or metres per unit"
        ) from None


def skeleton_size(positions: np.ndarray, parents: list[int]) -> float:
    """Longest leaf-to-leaf path over rigid bones, in file units (0 if none)."""
    n = len(parents)
    adj: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for j, p in enumerate(parents):
        if p < 0:
            continue
        lengths = np.linalg.norm(positions[:, j] - positions[:, p], axis=-1)
        mean = float(np.median(lengths))
        if mean <= 0 or float(np.ptp(lengths)) > 0.02 * mean:
            continue  # animated translation or zero-length: not a body bone
        adj[j].append((p, mean))
        adj[p].append((j, mean))

    def farthest(start: int) -> tuple[int, float]:
        dist = {start: 0.0}
        stack = [start]
        while stack:
            u = stack.pop()
            for v, w in adj[u]:
                if v not in dist:
                    dist[v] = dist[u] + w
                    stack.append(v)
        far = max(dist, key=dist.get)
        return far, dist[far]

    best = 0.0
    seen: set[int] = set()
    for s in range(n):
        if s in seen or not adj[s]:
            continue
        a, _ = farthest(s)
        _, d = farthest(a)  # two sweeps give a tree's diameter
        best = max(best, d)
        stack = [s]
        seen.add(s)
        while stack:  # mark the component
            u = stack.pop()
            for v, _w in adj[u]:
                if v not in seen:
                    seen.add(v)
                    stack.append(v)
    return best


def guess_units_to_m(positions: np.ndarray, parents: list[int]) -> float:
    """Metres per file unit by the size heuristic in the module docstring (1.0 when
    the skeleton has no rigid bones to measure)."""
    sample = positions[:: max(1, positions.shape[0] // 50)]
    size = skeleton_size(sample, parents)
    if size <= 0:
        return 1.0
    scales = (1.0, 0.01, 0.001, 0.0254)
    return min(scales, key=lambda s: abs(np.log(size * s / _TYPICAL_SIZE_M)))
