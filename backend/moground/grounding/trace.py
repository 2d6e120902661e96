"""Per-frame signals behind one grounding run, for pictures (``--plot``).

Computed only when a caller asks (``GroundingEngine.ground(..., trace=True)``), from
what the run already has (canonical motion, frame features, phrase embeddings, the
soft masks): a normal request pays nothing for them. Everything is numpy, on the
encoder's frame grid, with ``times_s`` giving each frame's time in the source clip.
No matplotlib here: the engine may import this module, the server never draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder
from .novelty import NOVELTY_WINDOW_S, novelty_curve

# local similarity: a box window of this length around each frame, every STEP_S
SIMILARITY_WINDOW_S = 2.0
SIMILARITY_STEP_S = 0.25
_POOL_BATCH = 64


@dataclass
class GroundingTrace:
    """What a timeline figure draws besides the segments themselves.

    fps: encoder frame rate; times_s: [T] source seconds of each encoder frame.
    source_fps / frame_start: to label the axis in the source's own frame numbers.
    energy: [T] mean joint speed (m/s) of the canonical skeleton.
    novelty: [T] the text-free motion-change curve in [0, 1] (the change-point split
        that ZOMG starts from, and the ``changepoint`` baseline, cut at its peaks).
    similarity: [K, T] cosine similarity of each phrase with the motion in a
        ``SIMILARITY_WINDOW_S`` window around each frame.
    masks: [K+1, T] ZOMG's final soft masks (last row: background), or None for
        methods without masks.
    """

    phrases: list[str]
    fps: float
    times_s: np.ndarray
    source_fps: float
    frame_start: float
    duration_s: float
    energy: np.ndarray
    novelty: np.ndarray
    similarity: np.ndarray
    masks: np.ndarray | None
    method: str


def joint_speed(motion: torch.Tensor | np.ndarray, fps: float) -> np.ndarray:
    """[T, J, 3] metres → [T] mean joint speed in m/s (central differences)."""
    x = motion.detach().cpu().numpy() if isinstance(motion, torch.Tensor) else np.asarray(motion)
    x = x.astype(np.float64)
    if x.shape[0] < 2:
        return np.zeros(x.shape[0])
    vel = np.gradient(x, axis=0) * fps
    return np.linalg.norm(vel, axis=-1).mean(axis=-1)


def local_similarity(
    encoder: MotionTextEncoder,
    feats: torch.Tensor,
    text: torch.Tensor,
    window_s: float = SIMILARITY_WINDOW_S,
    step_s: float = SIMILARITY_STEP_S,
) -> np.ndarray:
    """[K, T]: each phrase against the motion pooled over a window around each frame."""
    t_count = feats.shape[0]
    fps = float(encoder.fps)
    half = max(1, int(round(window_s * fps / 2)))
    step = max(1, int(round(step_s * fps)))
    centres = np.arange(0, t_count, step)
    if centres[-1] != t_count - 1:
        centres = np.append(centres, t_count - 1)
    sims = []
    with torch.no_grad():
        for i in range(0, len(centres), _POOL_BATCH):
            chunk = centres[i : i + _POOL_BATCH]
            w = torch.zeros(len(chunk), t_count, device=feats.device)
            for j, c in enumerate(chunk):
                w[j, max(0, c - half) : min(t_count, c + half + 1)] = 1.0
            sims.append((encoder.pool(feats, w) @ text.T).float().cpu().numpy())  # [n, K]
    s = np.concatenate(sims).T  # [K, len(centres)]
    frames = np.arange(t_count)
    return np.stack([np.interp(frames, centres, row) for row in s])


def build_trace(
    encoder: MotionTextEncoder,
    motion: torch.Tensor,
    feats: torch.Tensor,
    text: torch.Tensor,
    phrases: list[str],
    times_s: np.ndarray,
    source_fps: float,
    frame_start: float,
    duration_s: float,
    method: str,
    masks: torch.Tensor | None = None,
) -> GroundingTrace:
    fps = float(encoder.fps)
    return GroundingTrace(
        phrases=list(phrases),
        fps=fps,
        times_s=np.asarray(times_s, dtype=np.float64)[: feats.shape[0]],
        source_fps=float(source_fps),
        frame_start=float(frame_start),
        duration_s=float(duration_s),
        energy=joint_speed(motion, fps),
        novelty=novelty_curve(feats, int(round(NOVELTY_WINDOW_S * fps))).astype(np.float64),
        similarity=local_similarity(encoder, feats, text),
        masks=None if masks is None else masks.detach().float().cpu().numpy(),
        method=method,
    )
