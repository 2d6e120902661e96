"""One entry point per grounding method, so the engine and the benchmark run the very
same code: ``zomg`` (the product), ``fused`` (its starting point: text and motion change
decoded together), ``changepoint``, ``window`` and ``uniform``.

Every method's segments are scored the same way (``scored``): the text score
(``scoring.segment_scores``) times, when the prompt has several sub-actions, the sharpness
of the motion change at the segment's weaker cut (``novelty.cut_sharpness``).
With ``max_shift_s`` 0 (tuned, docs/tuning/tune_fused.log) ZOMG's masks move no
boundary and enter no score: ``zomg`` returns what ``fused`` does, and the masks are
kept for the timeline pictures."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder
from ..wire.errors import BadRequest
from ..wire.methods import METHODS
from .baselines import changepoint_segments, uniform_segments
from .fused import FusedConfig, fused_method
from .masks import ZomgConfig, decode_masks, limit_shift, optimise_masks
from .novelty import CUT_RADIUS_S, cut_sharpness, novelty_curve
from .scoring import segment_scores
from .window import WindowBank, window_scores, window_segments


@dataclass
class MethodOutput:
    segments: list[tuple[int, int]]  # half-open, in encoder frames
    scores: list[float]  # text score × cut sharpness (see ``scored``)
    timings_ms: dict[str, float] = field(default_factory=dict)
    info: dict = field(default_factory=dict)


def check_method(method: str) -> None:
    """BadRequest (a coded error) unless ``method`` is one of METHODS: the one check."""
    if method not in METHODS:
        raise BadRequest(f"unknown method {method!r}; choose from {', '.join(METHODS)}")


def run_method(
    method: str,
    encoder: MotionTextEncoder,
    motion: torch.Tensor,
    text: torch.Tensor,
    min_len: int,
    feats: torch.Tensor | None = None,
    zomg: ZomgConfig | None = None,
    fused: FusedConfig | None = None,
    windows: WindowBank | None = None,
) -> MethodOutput:
    """Ground K phrases (``text`` [K, D]) in ``motion`` [T, 22, 3] at ``encoder.fps``.

    ``feats`` may be passed when the caller already ran ``frame_features``, and
    ``windows`` when it already encoded the sliding windows of this motion.
    """
    check_method(method)
    timings: dict[str, float] = {}
    k, t_count = text.shape[0], motion.shape[0]
    fused = fused or FusedConfig()
    if method == "uniform":
        segs = uniform_segments(t_count, k)
        return MethodOutput(segs, [1.0 / k] * k, timings)
    if method == "window":
        t0 = time.perf_counter()
        scores = window_scores(encoder, motion, text, encoder.fps, bank=windows)
        segs = window_segments(scores, min_len)
        timings["window_ms"] = (time.perf_counter() - t0) * 1e3
        feats = feats if feats is not None else _features(encoder, motion, timings)
        return scored(encoder, feats, text, segs, None, fused, timings)
    if feats is None:
        feats = _features(encoder, motion, timings)
    t0 = time.perf_counter()
    if method == "changepoint":
        segs = changepoint_segments(feats, k, encoder.fps, min_len)
        timings["changepoint_ms"] = (time.perf_counter() - t0) * 1e3
        return scored(encoder, feats, text, segs, None, fused, timings)
    init, evidence, novelty = fused_method(encoder, feats, text, min_len, fused)
    timings["fused_ms"] = (time.perf_counter() - t0) * 1e3
    if method == "fused":
        return scored(encoder, feats, text, init, novelty, fused, timings)
    t0 = time.perf_counter()
    zomg = zomg or ZomgConfig()
    with torch.enable_grad():
        masks, info = optimise_masks(encoder, feats, text, init, min_len, zomg)
    segs = limit_shift(decode_masks(masks, min_len, stride=info["stride"]), init, int(round(zomg.max_shift_s * encoder.fps)))
    timings["optimise_ms"] = (time.perf_counter() - t0) * 1e3
    info["masks"] = masks  # [K+1, T], already computed: kept for pictures (moground.plots)
    return scored(encoder, feats, text, segs, novelty, fused, timings, info)


def scored(encoder: MotionTextEncoder, feats: torch.Tensor, text: torch.Tensor, segs: list[tuple[int, int]],
           novelty: np.ndarray | None, fused: FusedConfig, timings: dict[str, float],
           info: dict | None = None) -> MethodOutput:
    """The method's output with every segment's score: its text score, times the cut
    sharpness when K > 1 (a single query's span has no forced cut). ZOMG's mask
    membership is not part of it: on development data it lowered the AUROC for every set
    (docs/tuning/segment_score.md). Both parts are kept in ``info`` so the confidence
    flag can say which one is weak."""
    info = info if info is not None else {}
    text_scores = segment_scores(encoder, feats, text, segs, None)
    sharp = [1.0] * len(segs)
    if len(segs) > 1:
        if novelty is None:
            novelty = novelty_curve(feats, int(round(fused.novelty_window_s * encoder.fps)))
        sharp = cut_sharpness(novelty, segs, int(round(CUT_RADIUS_S * encoder.fps)))
    info["text_scores"], info["cut_sharpness"] = text_scores, sharp
    return MethodOutput(segs, [p * c for p, c in zip(text_scores, sharp)], timings, info)


def _features(encoder: MotionTextEncoder, motion: torch.Tensor, timings: dict[str, float]) -> torch.Tensor:
    t0 = time.perf_counter()
    with torch.no_grad():
        feats = encoder.frame_features(motion)
    timings["encoder_ms"] = (time.perf_counter() - t0) * 1e3
    return feats
