"""A text-free, encoder-free motion-change score, used to check benchmark seams.

Spliced sequences flatter change-point methods when the joins are easier to see than
real action changes. This score (before/after difference of body-centred kinematics
over 1.5 s windows) gives every frame a percentile within its sequence; a join is
"no easier than real" when its percentile is not above that of the human boundaries
of the real takes. It deliberately does not use the encoder, so it judges the data,
not the model.
"""

from __future__ import annotations

import numpy as np

from ..preprocess import heading_yaws, to_heading_frame
from ..skeleton import JOINT_INDEX

WINDOW_S = 1.5


def kinematic_features(motion: np.ndarray, fps: float) -> np.ndarray:
    """[T, F]: pelvis speed and height, joint heights and body-frame joint velocities."""
    p = np.asarray(motion, dtype=np.float64)
    pelvis = p[:, JOINT_INDEX["pelvis"]]
    rel = to_heading_frame(p - pelvis[:, None], heading_yaws(p))
    vel = np.gradient(rel, axis=0) * fps
    root_speed = np.linalg.norm(np.gradient(pelvis[:, [0, 2]], axis=0) * fps, axis=1)
    return np.concatenate([root_speed[:, None], pelvis[:, 1:2], p[:, :, 1], vel.reshape(len(p), -1)], axis=1)


def change_score(motion: np.ndarray, fps: float, window_s: float = WINDOW_S) -> np.ndarray:
    """[T] distance between the standardised mean features of the window before and after each frame."""
    x = kinematic_features(motion, fps)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    t, w = len(x), max(1, int(round(window_s * fps)))
    csum = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0)])
    idx = np.arange(t)
    lo, hi = np.maximum(idx - w, 0), np.minimum(idx + w, t)
    before = (csum[idx] - csum[lo]) / np.maximum(idx - lo, 1)[:, None]
    after = (csum[hi] - csum[idx]) / np.maximum(hi - idx, 1)[:, None]
    score = np.linalg.norm(after - before, axis=1)
    score[(idx - lo) < w // 2] = 0.0  # too close to an end to compare
    score[(hi - idx) < w // 2] = 0.0
    return score


def boundary_percentiles(motion: np.ndarray, fps: float, boundaries: list[int], tolerance_s: float = 0.25) -> list[float]:
    """Percentile (0–100) within the sequence of the best change score within
    ``tolerance_s`` of each boundary frame."""
    score = change_score(motion, fps)
    tol = int(round(tolerance_s * fps))
    ranks = score.argsort().argsort() / max(1, len(score) - 1) * 100.0
    return [float(ranks[max(0, b - tol) : b + tol + 1].max()) for b in boundaries]
