"""Text and motion change decided together: where the take's motion changes *and*
the best-matching phrase changes.

Measured on real takes (issue 11): the encoder can name a segment but its pooled
similarity barely changes when a span is shifted or stretched, so text alone cannot
place a boundary, and motion change alone cannot tell which change is a sub-action
boundary. Here each phrase gets a per-frame evidence curve (windows of several
lengths pooled from the per-frame features computed once, centred and scaled over the
take), and one exact dynamic program over cut positions picks K ordered segments
maximising

    w_text · Σ_k (evidence of phrase k inside segment k) / (T/K)
    + w_novelty · Σ (motion novelty at each cut)
    − w_duration · Σ ((length − T/K) / (T/K))²

Every term is free of the take's length: the text sum is divided by the mean segment
length T/K (a segment of mean length scores its mean evidence), novelty peaks at 1 and
the duration term is relative. Summing text per frame without that divisor made its
weight against motion grow with segment length, so settings tuned on 7 s sub-actions
gave text a third of that weight on 2–3 s pieces, where it then changed nothing
(docs/tuning/diagnose_spliced.txt).

For a single query (K=1) the span is the contiguous stretch that maximises the
query's evidence above ``single_threshold`` (what is distinctive in this take), with
the same novelty bonus at both ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder
from .changepoint import novelty_curve
from .decode import cell_reduce, ordered_cuts
from .window import standardise_rows, window_cover

MAX_CELLS = 600


@dataclass
class FusedConfig:
    """Settings of the fused decoder (chosen on realchains leave-one-take-out, see
    scripts/tune_fused.py and docs/tuning/tune_fused.log)."""

    scales_s: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    cell_s: float = 0.25
    novelty_window_s: float = 1.0
    w_text: float = 3.0
    w_novelty: float = 10.0
    w_duration: float = 5.0
    # shortest segment as a share of the mean length T/K: real sub-actions last 1.6–16.6 s,
    # and a segment squeezed to the floor lets every later phrase slide one place
    min_share: float = 0.4
    single_threshold: float = 1.0
    single_novelty: float = 5.0
    single_max_s: float = 20.0


def evidence_curves(encoder: MotionTextEncoder, feats: torch.Tensor, text: torch.Tensor,
                    scales_s: tuple[float, ...]) -> np.ndarray:
    """[K, T] per-frame evidence of each phrase: the mean similarity of the windows
    covering a frame (windows pooled from ``feats``, half-overlapping, several lengths),
    centred and scaled over time so a phrase that matches everything cannot take all."""
    t_count, k = feats.shape[0], text.shape[0]
    total = torch.zeros(k, t_count)
    used = 0
    for scale in scales_s:
        length = int(round(scale * encoder.fps))
        if length < 2 or length > t_count:
            continue
        cover = window_cover(t_count, length, max(1, length // 2))
        with torch.no_grad():
            sims = (text @ encoder.pool(feats, cover.to(feats.device)).T).cpu()  # [K, windows]
        total += (sims @ cover) / cover.sum(0).clamp_min(1.0)
        used += 1
    if used == 0:
        return np.zeros((k, t_count))
    return standardise_rows((total / used).numpy())


def fused_segments(evidence: np.ndarray, novelty: np.ndarray, min_len: int, fps: float,
                   cfg: FusedConfig) -> list[tuple[int, int]]:
    """K ordered contiguous segments covering the take (see the module docstring)."""
    k_count, t_count = evidence.shape
    if k_count == 1:
        return [single_query_span(evidence[0], novelty, min_len, fps, cfg)]
    step = max(1, int(round(cfg.cell_s * fps)), -(-t_count // MAX_CELLS))
    min_len = max(min_len, int(cfg.min_share * t_count / k_count))
    text = cell_reduce(evidence, step, np.sum) * (cfg.w_text * k_count / t_count)
    cum = np.concatenate([np.zeros((k_count, 1)), np.cumsum(text, axis=1)], axis=1)
    gain = cell_reduce(novelty, step, np.max) * cfg.w_novelty
    cuts = ordered_cuts(cum, gain, -(-min_len // step), cfg.w_duration)
    edges = [0, *[min(c * step, t_count) for c in cuts], t_count]
    return [(edges[i], edges[i + 1]) for i in range(k_count)]


def single_query_span(evidence: np.ndarray, novelty: np.ndarray, min_len: int, fps: float,
                      cfg: FusedConfig) -> tuple[int, int]:
    """The contiguous span maximising Σ(evidence − threshold) + novelty bonus at both ends."""
    t_count = len(evidence)
    cum = np.concatenate([[0.0], np.cumsum(evidence - cfg.single_threshold)])
    nov_end = np.append(novelty, 0.0)  # novelty at the frame a span ends before
    best, span = -np.inf, (0, t_count)
    max_len = min(t_count, max(min_len, int(round(cfg.single_max_s * fps))))
    for length in range(max(1, min_len), max_len + 1):
        vals = cum[length:] - cum[:-length] + cfg.single_novelty * (novelty[: t_count - length + 1] + nov_end[length:])
        i = int(vals.argmax())
        if vals[i] > best:
            best, span = float(vals[i]), (i, i + length)
    return span


def fused_method(encoder: MotionTextEncoder, feats: torch.Tensor, text: torch.Tensor, min_len: int,
                 cfg: FusedConfig | None = None) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
    """(segments, evidence [K, T], novelty [T]) for one take."""
    cfg = cfg or FusedConfig()
    evidence = evidence_curves(encoder, feats, text, cfg.scales_s)
    novelty = novelty_curve(feats, int(round(cfg.novelty_window_s * encoder.fps)))
    return fused_segments(evidence, novelty, min_len, encoder.fps, cfg), evidence, novelty
