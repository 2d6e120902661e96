"""Grounding under the artist's constraints: pinned cuts and kept segments come back
exactly, to the source frame, and only the free parts are decoded again.

The methods that decode with the cut DP (``methods.CUT_DP_METHODS``: zomg, fused,
changepoint) take the fixed cuts into that one DP over the whole take
(``cuts.ordered_cuts(fixed=...)``): every other cut is chosen as before, with the
take's own novelty, span statistics and duration prior, so a pin moves only what it
should. (Decoding each free stretch on its own re-standardised those per stretch and
moved right cuts: realchains, 1 pin, non-adjacent mIoU 0.952 -> 0.941;
docs/tuning/correction.md.) The other methods, and a DP that cannot place a segment
between two close pins, fall back to the stretches:

The fixed edges (``options.GroundConstraints.fixed_edges``) split the sub-actions into
*stretches*: runs of consecutive sub-actions with no fixed edge between them. A stretch
of one sub-action is the frames between its neighbours' fixed edges; a longer stretch is
decoded on its own frames, with its own phrases, by the very method the request names
(any method: each sees a shorter take and fewer phrases). The stitched segments are then
scored on the whole take, as an unconstrained run's are. The decoders run on the
encoder's grid (20 fps, cells of 0.5 s), so a fixed edge is written back in source frames
after decoding rather than rounded through that grid: that is what makes it exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder
from ..wire.options import BadConstraint
from ..preprocess import PreparedMotion
from .cuts import fit_min_len
from .fused import FusedConfig
from .methods import CUT_DP_METHODS, MethodOutput, run_method, scored
from .refine import RefineConfig


@dataclass(frozen=True)
class Stretch:
    """Sub-actions ``first``..``last`` (0-based, inclusive) between source offsets
    ``left`` and ``right``; ``left_fixed``/``right_fixed``: a constraint put the first
    sub-action's start (the last one's end) exactly there; otherwise that bound is a
    neighbour's fixed edge or the take's own end, and the method may leave a gap."""

    first: int
    last: int
    left: int
    right: int
    left_fixed: bool
    right_fixed: bool


def stretches(edges: list[tuple[float | None, float | None]], n_source: int) -> list[Stretch]:
    """The free runs of sub-actions between fixed edges (source offsets from the take's
    first frame; ``edges`` already checked by ``fixed_edges``)."""
    out, first = [], 0
    k_count = len(edges)
    for i in range(k_count):
        closes = i == k_count - 1 or edges[i][1] is not None or edges[i + 1][0] is not None
        if not closes:
            continue
        left, right = edges[first][0], edges[i][1]
        # an edge nobody fixed is bounded by the neighbour's fixed edge, or the take's end
        bound_left = left if left is not None else (edges[first - 1][1] if first > 0 else None)
        bound_right = right if right is not None else (edges[i + 1][0] if i + 1 < k_count else None)
        out.append(Stretch(first, i, 0 if bound_left is None else int(bound_left),
                           n_source if bound_right is None else int(bound_right), left is not None, right is not None))
        first = i + 1
    return out


def to_model_frame(offset: int, prepared: PreparedMotion) -> int:
    """The encoder frame nearest to source offset ``offset`` (a boundary, end exclusive)."""
    t_count = len(prepared.positions)
    if offset >= prepared.source_frames:
        return t_count
    return min(t_count, int(np.floor(offset / prepared.source_fps * prepared.fps + 0.5)))


def ground_constrained(
    method: str, encoder: MotionTextEncoder, motion: torch.Tensor, text: torch.Tensor, min_len: int,
    prepared: PreparedMotion, edges: list[tuple[float | None, float | None]],
    feats: torch.Tensor | None = None, zomg: RefineConfig | None = None, fused: FusedConfig | None = None,
) -> tuple[MethodOutput, list[tuple[int, int]]]:
    """(the method's output on the encoder grid, each segment's exact source offsets).
    ``edges``: per sub-action the fixed (start, end) as source offsets, or None."""
    fused = fused or FusedConfig()
    if method in CUT_DP_METHODS and len(edges) > 1:
        cuts = fixed_cuts(edges)
        model_cuts = {b: to_model_frame(v, prepared) for b, v in cuts.items()}
        out = run_method(method, encoder, motion, text, min_len, feats=feats, zomg=zomg, fused=fused,
                         fixed=model_cuts)
        honoured = all(out.segments[b][1] == f for b, f in model_cuts.items())
        source = exact_global(out.segments, edges, cuts, prepared) if honoured else None
        if source is not None:
            return out, source
    timings: dict[str, float] = {}
    t_count = motion.shape[0]
    if feats is None and method != "uniform":
        t0 = time.perf_counter()
        with torch.no_grad():
            feats = encoder.frame_features(motion)
        timings["encoder_ms"] = (time.perf_counter() - t0) * 1e3
    model: list[tuple[int, int]] = []
    source: list[tuple[int, int]] = []
    t0 = time.perf_counter()
    for st in stretches(edges, prepared.source_frames):
        lo, hi = to_model_frame(st.left, prepared), to_model_frame(st.right, prepared)
        count = st.last - st.first + 1
        if hi - lo < count:
            raise BadConstraint(
                f"frames {prepared.source_frame_start + st.left:g}-{prepared.source_frame_start + st.right:g} are "
                f"too short for sub-actions {st.first + 1}-{st.last + 1}", details={"constraint": "order"})
        if count == 1:
            model.append((lo, hi))
            source.append((st.left, st.right))
            continue
        out = run_method(method, encoder, motion[lo:hi], text[st.first : st.last + 1],
                         fit_min_len(hi - lo, count, min_len),
                         feats=None if feats is None else feats[lo:hi], zomg=zomg, fused=fused)
        segs = [(lo + s, lo + e) for s, e in out.segments]
        model += segs
        source += exact_source(segs, st, prepared)
    timings[f"{method}_constrained_ms"] = (time.perf_counter() - t0) * 1e3
    model = [(min(s, t_count - 1), max(min(e, t_count), min(s, t_count - 1) + 1)) for s, e in model]
    if method == "uniform":
        return MethodOutput(model, [1.0 / len(model)] * len(model), timings), source
    return scored(encoder, feats, text, model, None, fused, timings), source


def fixed_cuts(edges: list[tuple[float | None, float | None]]) -> dict[int, int]:
    """{k: source offset} of every cut a constraint fixes: the cut after sub-action k
    (0-based) is the end of k, or else the start of k + 1, where either is fixed."""
    out = {}
    for k in range(len(edges) - 1):
        value = edges[k][1] if edges[k][1] is not None else edges[k + 1][0]
        if value is not None:
            out[k] = int(value)
    return out


def exact_global(segs: list[tuple[int, int]], edges: list[tuple[float | None, float | None]],
                 cuts: dict[int, int], prepared: PreparedMotion) -> list[tuple[int, int]] | None:
    """The cut DP's contiguous segments as source offsets, fixed edges exact; None when
    they would come out empty or out of order (the caller then decodes by stretches)."""
    out, prev = [], 0
    for i, (s, e) in enumerate(segs):
        first = edges[i][0] if edges[i][0] is not None else cuts.get(i - 1, prepared.to_source_offset(s))
        stop = edges[i][1] if edges[i][1] is not None else cuts.get(i, prepared.to_source_offset(e))
        if first < prev or stop <= first:
            return None
        out.append((int(first), int(stop)))
        prev = stop
    return out


def exact_source(segs: list[tuple[int, int]], st: Stretch, prepared: PreparedMotion) -> list[tuple[int, int]]:
    """A stretch's decoded segments as source offsets: free edges mapped from the encoder
    grid and kept inside the stretch, fixed edges at exactly their frame."""
    out = []
    for n, (s, e) in enumerate(segs):
        first = prepared.to_source_offset(s)
        stop = prepared.to_source_offset(e)
        lo, hi = to_model_frame(st.left, prepared), to_model_frame(st.right, prepared)
        if n == 0 and (st.left_fixed or s <= lo):  # starts with the stretch: at its exact frame
            first = st.left
        if n == len(segs) - 1 and (st.right_fixed or e >= hi):
            stop = st.right
        first = min(max(first, st.left), st.right)
        stop = min(max(stop, first), st.right)
        out.append((first, stop))
    return out
