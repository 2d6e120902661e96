"""Text and motion change decided together: where the take's motion changes *and*
the best-matching phrase changes.

Motion change alone cannot tell which change is a sub-action boundary, and text alone
cannot place one unless the encoder notices a shifted or stretched span (the default
encoder is trained to, ``training/extent.py``). One exact dynamic program over cut positions, on a grid of
cells, picks K ordered segments maximising

    w_span · Σ_k (standardised similarity of segment k, pooled whole, to phrase k)
    + w_text · Σ_k (evidence of phrase k inside segment k) / (T/K)
    + w_novelty · Σ (motion novelty at each cut)
    − w_duration · Σ ((length − T/K) / (T/K))²

The span term pools each candidate segment once (``spans.span_similarity``); the text
term sums per-frame evidence curves (windows of several lengths pooled from the frame
features, centred and scaled over the take). Every term is free of the take's length:
the evidence sum is divided by the mean segment length T/K, span similarities are
standardised, novelty peaks at 1 and the duration term is relative, so settings tuned
on long sub-actions keep their meaning on short ones (docs/tuning/history.md).

For a single query (K=1) the span is the contiguous stretch that maximises the
query's evidence above ``single_threshold`` (what is distinctive in this take), with
the same novelty bonus at both ends. (A span's pooled similarity alone does not find
it: the best-scoring span of a take is a short sliver; docs/tuning/history.md.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder
from .cuts import MAX_CELLS, cell_reduce, ordered_cuts
from .evidence import WINDOW_SCALES_S, evidence_curves
from .novelty import NOVELTY_WINDOW_S, novelty_curve
from .spans import span_count, span_similarity

MAX_SPANS = 40_000  # spans pooled for the span term: few sub-actions in a long take get coarser cells


@dataclass
class FusedConfig:
    """Settings of the fused decoder (chosen on both real-take families held out,
    realchains by take and kinectchains by subject, with val spliced sequences: see
    scripts/tune_fused.py and docs/tuning/real_families.md)."""

    scales_s: tuple[float, ...] = WINDOW_SCALES_S
    cell_s: float = 0.5
    novelty_window_s: float = NOVELTY_WINDOW_S
    w_span: float = 3.0
    w_text: float = 0.0
    w_novelty: float = 10.0
    w_duration: float = 8.0
    # shortest segment as a share of the mean length T/K: real sub-actions last 1.6–16.6 s,
    # and a segment squeezed to the floor lets every later phrase slide one place
    min_share: float = 0.25
    single_threshold: float = 1.0
    single_novelty: float = 5.0
    single_max_s: float = 20.0


def dp_step(t_count: int, fps: float, cfg: FusedConfig, k_count: int) -> int:
    """Cell size in frames of the cut DP's grid (and of the span table): ``cell_s``,
    coarser when the take is long for the DP or, with the span term, when it would
    pool more than ``MAX_SPANS`` spans (a 60 s take with K=4 pools about 8,000)."""
    step = max(1, int(round(cfg.cell_s * fps)), -(-t_count // MAX_CELLS))
    if cfg.w_span and k_count > 1:
        while span_count(-(-t_count // step), k_count) > MAX_SPANS:
            step += 1
    # a short take keeps at least one cell per sub-action, so no segment comes out empty
    return max(1, min(step, t_count // max(1, k_count)))


def fused_segments(evidence: np.ndarray, novelty: np.ndarray, min_len: int, fps: float,
                   cfg: FusedConfig, spans: np.ndarray | None = None,
                   fixed: dict[int, int] | None = None) -> list[tuple[int, int]]:
    """K ordered contiguous segments covering the take (see the module docstring).
    ``spans``: ``span_similarity`` on the ``dp_step`` grid, needed when ``w_span`` > 0.
    ``fixed`` {k: frame}: the cut after segment k lies at that frame (pins)."""
    k_count, t_count = evidence.shape
    if k_count == 1:
        return [single_query_span(evidence[0], novelty, min_len, fps, cfg)]
    step = dp_step(t_count, fps, cfg, k_count)
    min_len = max(min_len, int(cfg.min_share * t_count / k_count))
    if cfg.w_span and spans is None:
        raise ValueError("w_span > 0 needs the span table (spans.span_similarity)")
    text = cell_reduce(evidence, step, np.sum) * (cfg.w_text * k_count / t_count)
    cum = np.concatenate([np.zeros((k_count, 1)), np.cumsum(text, axis=1)], axis=1)
    gain = cell_reduce(novelty, step, np.max) * cfg.w_novelty
    cells = {k: int(round(f / step)) for k, f in (fixed or {}).items()}
    cuts = ordered_cuts(cum, gain, -(-min_len // step), cfg.w_duration,
                        span_scores=spans if cfg.w_span else None, span_weight=cfg.w_span, fixed=cells)
    edges = [0, *[fixed[k] if fixed and k in fixed else min(c * step, t_count) for k, c in enumerate(cuts)], t_count]
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
                 cfg: FusedConfig | None = None, fixed: dict[int, int] | None = None,
                 ) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
    """(segments, evidence [K, T], novelty [T]) for one take (evidence all 0 when the
    settings give it no weight); ``fixed``: pinned cuts."""
    cfg = cfg or FusedConfig()
    k_count = text.shape[0]
    if k_count == 1 or cfg.w_text:
        evidence = evidence_curves(encoder, feats, text, cfg.scales_s)
    else:  # the cut DP weighs evidence by w_text = 0: skip pooling the windows
        evidence = np.zeros((k_count, feats.shape[0]))
    novelty = novelty_curve(feats, int(round(cfg.novelty_window_s * encoder.fps)))
    spans = None
    if k_count > 1 and cfg.w_span:
        spans = span_similarity(encoder, feats, text, dp_step(feats.shape[0], encoder.fps, cfg, k_count))
    return fused_segments(evidence, novelty, min_len, encoder.fps, cfg, spans, fixed), evidence, novelty
