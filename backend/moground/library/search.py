"""Finding moments by text, coarse to fine.

Coarse: one matrix product of the query with every stored window embedding (windows
of 1–8 s, text-free, computed at indexing), the best windows kept with overlap
suppression inside a take. Fine: for each kept window, the grounding's single-query
path (``fused.single_query_span``) inside a neighbourhood of it, on that take's
evidence curve (window scores spread over frames and standardised over the take) and
motion novelty, so the span can grow, shrink or slide to where the action starts and
ends. Hits are ranked by their coarse window's cosine as a z-score among windows of
the same length (``per_length_z``; raw cosines favour 1 s windows); ``score`` is the
cosine of the query with the hit's final span.
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder
from ..wire.errors import BadRequest
from ..wire.limits import MAX_SEARCH_TOP
from ..wire.options import SEARCH_OPTION_RANGES, check_option, check_search_bounds
from ..grounding.novelty import novelty_curve
from ..grounding.fused import FusedConfig, single_query_span
from ..grounding.settings import decoder_settings_for
from ..grounding.metrics import iou
from ..grounding.phrases import encode_phrases
from ..grounding.evidence import standardise_rows
from .identity import check_identity, encoder_identity
from .store import LibraryIndex, TakeRecord
from .threads import one_torch_thread

MAX_TOP = MAX_SEARCH_TOP
REFINE_MIN_S = 0.5  # shortest refined span unless the search sets min_s


@dataclass
class SearchOptions:
    """One search request (CLI flags, the wire ``search`` kind)."""

    top: int = 20
    min_s: float | None = None
    max_s: float | None = None
    path_glob: str | None = None
    candidates: int = 60  # coarse windows refined
    refine: bool = True
    expand_phrases: bool = False

    def __post_init__(self) -> None:
        # the ranges of options.SEARCH_OPTION_RANGES: the same checks for the wire and the CLI
        for name, wire in (("top", "top"), ("min_s", "min_s"), ("max_s", "max_s"), ("path_glob", "path")):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, check_option(wire, value, SEARCH_OPTION_RANGES))
        check_search_bounds(self.min_s, self.max_s)
        if not 1 <= int(self.candidates) <= 10 * MAX_TOP:
            raise BadRequest(f"candidates must be between 1 and {10 * MAX_TOP}, got {self.candidates}")


@dataclass
class Hit:
    rank: int
    score: float  # cosine of the query with the hit's pooled motion
    coarse_score: float  # cosine with the best coarse window it came from
    file: str
    take: str
    armature: str | None
    action: str | None
    start_frame: float  # source frames, end exclusive
    end_frame: float
    start_s: float  # seconds from the take's first frame
    end_s: float
    key: str = field(repr=False, default="")
    rank_score: float = 0.0  # what orders the hits: the coarse window's per-length z-score
    model_span: tuple[int, int] = field(repr=False, default=(0, 0))  # encoder frames

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_json(self) -> dict:
        out = asdict(self)
        out.pop("model_span")
        out["duration_s"] = round(self.duration_s, 4)
        return out


class Searcher:
    """An opened index and the encoder that queries it (checked to be the one that
    built it); window embeddings are held as float32 once, for every query."""

    def __init__(self, index: LibraryIndex, encoder: MotionTextEncoder, fused: FusedConfig | None = None) -> None:
        check_identity(index.manifest.encoder, encoder_identity(encoder), str(index.path))
        self.index = index
        self.encoder = encoder
        self.fused = fused or decoder_settings_for(encoder)[0]  # the settings tuned for these weights
        self.windows = torch.from_numpy(np.asarray(index.windows, dtype=np.float32))
        self.spans = np.asarray(index.spans)
        self.lengths_s = (self.spans[:, 2] - self.spans[:, 1]) / index.fps
        # the windows of each length, found once: every query standardises within them
        self.length_groups = [np.flatnonzero(self.lengths_s == v) for v in np.unique(self.lengths_s)]

    def search(self, query: str, opts: SearchOptions | None = None) -> list[Hit]:
        with one_torch_thread():
            return self._search(query, opts)

    def _search(self, query: str, opts: SearchOptions | None) -> list[Hit]:
        opts = opts or SearchOptions()
        if not isinstance(query, str) or not query.strip():
            raise BadRequest("the search query is empty: describe the moment, e.g. 'a person climbs a ladder'")
        if not self.index.takes:
            return []
        q = encode_phrases(self.encoder, [query.strip()], expand=opts.expand_phrases)[0].float().cpu()
        sims = (self.windows @ q).numpy()
        eligible = self._eligible(opts)
        ranking = per_length_z(sims, self.length_groups)
        chosen = self._coarse(ranking, eligible, opts.candidates)
        hits: list[Hit] = []
        evidence: dict[int, np.ndarray] = {}
        for w in chosen:
            take_no, s, e = (int(v) for v in self.spans[w])
            span = (s, e)
            score = float(sims[w])  # a window's stored embedding is its span pooled
            if opts.refine:
                if take_no not in evidence:
                    evidence[take_no] = self._evidence(take_no, sims)
                span = self._refine(take_no, (s, e), evidence[take_no], opts)
                score = self._span_score(take_no, span, q) if span != (s, e) else score
            hits.append(self._hit(take_no, span, score, float(sims[w]), float(ranking[w])))
        hits = _suppress(sorted(hits, key=lambda h: -h.rank_score), opts)
        for rank, hit in enumerate(hits[: opts.top], start=1):
            hit.rank = rank
        return hits[: opts.top]

    # -- coarse ------------------------------------------------------------------------
    def _eligible(self, opts: SearchOptions) -> np.ndarray:
        ok = np.ones(len(self.spans), dtype=bool)
        if opts.path_glob:
            takes = [fnmatch.fnmatch(t.file, opts.path_glob) or fnmatch.fnmatch(t.key, opts.path_glob)
                     for t in self.index.takes]
            ok &= np.asarray(takes, dtype=bool)[self.spans[:, 0]]
        # windows far outside the duration range cannot refine into it
        if opts.min_s:
            ok &= self.lengths_s >= opts.min_s / 2
        if opts.max_s:
            ok &= self.lengths_s <= opts.max_s * 2
        return ok

    def _coarse(self, sims: np.ndarray, eligible: np.ndarray, count: int) -> list[int]:
        """The best windows, skipping one that mostly overlaps a better one of its take."""
        idx = np.flatnonzero(eligible)
        return best_distinct(idx, sims[idx], self.spans, count)

    # -- fine --------------------------------------------------------------------------
    def _evidence(self, take_no: int, sims: np.ndarray) -> np.ndarray:
        """[T] the query's evidence over one take from its stored window scores."""
        t = self.index.takes[take_no]
        spans = self.spans[t.win_row : t.win_row + t.win_count, 1:]
        scores = sims[t.win_row : t.win_row + t.win_count]
        return standardise_rows(spread_over_frames(scores, spans, t.frames)[None])[0]

    def _refine(self, take_no: int, span: tuple[int, int], evidence: np.ndarray, opts: SearchOptions) -> tuple[int, int]:
        t = self.index.takes[take_no]
        fps = self.index.fps
        length = span[1] - span[0]
        pad = max(length, int(round(2 * fps)))
        lo, hi = max(0, span[0] - pad), min(t.frames, span[1] + pad)
        novelty = novelty_curve(self._frames(take_no, lo, hi), int(round(self.fused.novelty_window_s * fps)))
        min_len = max(2, int(round((opts.min_s or REFINE_MIN_S) * fps)))
        max_s = min(self.fused.single_max_s, opts.max_s or self.fused.single_max_s)
        cfg = replace(self.fused, single_max_s=max_s)
        if hi - lo < min_len:
            return span
        s, e = single_query_span(evidence[lo:hi], novelty, min_len, fps, cfg)
        return lo + s, lo + e

    def _frames(self, take_no: int, lo: int, hi: int) -> torch.Tensor:
        """[hi - lo, H] float32 features of one take, read from the memory map."""
        return torch.from_numpy(np.asarray(self.index.take_frames(take_no)[lo:hi], dtype=np.float32))

    def _span_score(self, take_no: int, span: tuple[int, int], q: torch.Tensor) -> float:
        feats = self._frames(take_no, *span)
        with torch.no_grad():
            emb = self.encoder.pool(feats, torch.ones(1, feats.shape[0]))[0].float().cpu()
        return float(emb @ q)

    def _hit(self, take_no: int, span: tuple[int, int], score: float, coarse: float, rank_score: float) -> Hit:
        t: TakeRecord = self.index.takes[take_no]
        fps = self.index.fps
        start, end = t.to_source_frame(span[0], fps), t.to_source_frame(span[1], fps)
        return Hit(
            rank=0, score=round(score, 4), coarse_score=round(coarse, 4), file=t.file, take=t.take,
            armature=t.armature, action=t.action, start_frame=float(start), end_frame=float(end),
            start_s=round(t.to_seconds(span[0], fps), 4), end_s=round(t.to_seconds(span[1], fps), 4),
            key=t.key, rank_score=round(rank_score, 4), model_span=span,
        )


def per_length_z(sims: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Each window's cosine as a z-score among the index's windows of its own length
    (``groups``: the window rows of each length). Raw cosines favour short windows
    (their scores spread wider), so a 1 s window outranked the 5 s moment it sat in;
    per length, every scale competes on how far it stands out from its peers."""
    out = np.empty_like(sims)
    for rows in groups:
        v = sims[rows]
        out[rows] = (v - v.mean()) / (v.std() + 1e-6)
    return out


def spread_over_frames(scores: np.ndarray, spans: np.ndarray, t_count: int) -> np.ndarray:
    """[T] a frame's mean score over the windows covering it, per window length, then
    averaged over lengths (the evidence curve of ``fused.evidence_curves``)."""
    lengths = spans[:, 1] - spans[:, 0]
    total = np.zeros(t_count)
    used = 0
    for length in np.unique(lengths):
        sel = lengths == length
        acc = np.zeros(t_count + 1)
        cnt = np.zeros(t_count + 1)
        np.add.at(acc, spans[sel, 0], scores[sel])
        np.add.at(acc, spans[sel, 1], -scores[sel])
        np.add.at(cnt, spans[sel, 0], 1.0)
        np.add.at(cnt, spans[sel, 1], -1.0)
        total += np.cumsum(acc)[:t_count] / np.maximum(np.cumsum(cnt)[:t_count], 1.0)
        used += 1
    return total / max(used, 1)


def best_distinct(rows: np.ndarray, scores: np.ndarray, spans: np.ndarray, count: int,
                  max_iou: float = 0.3) -> list[int]:
    """Up to ``count`` of ``rows`` by falling score, skipping a row whose span overlaps
    a kept one of the same take by more than ``max_iou``; ``spans`` [W, 3] is
    (take, first, end) per row. Only the best ``6 * count`` are considered, so a
    query costs a partial sort of the scores, not a full one."""
    if rows.size == 0:
        return []
    pool_size = min(rows.size, count * 6)
    if pool_size < rows.size:
        part = np.argpartition(-scores, pool_size - 1)[:pool_size]
    else:
        part = np.arange(rows.size)
    pool = rows[part[np.argsort(-scores[part], kind="stable")]]
    kept: list[int] = []
    by_take: dict[int, list[tuple[int, int]]] = {}
    for w in pool.tolist():
        take_no, s, e = (int(v) for v in spans[w])
        mine = by_take.setdefault(take_no, [])
        if any(iou((s, e), k) > max_iou for k in mine):
            continue
        kept.append(w)
        mine.append((s, e))
        if len(kept) == count:
            break
    return kept


def _suppress(hits: list[Hit], opts: SearchOptions) -> list[Hit]:
    """Drop a hit that overlaps a better one of the same take (refinement can make two
    windows converge) and hits outside the duration filter."""
    kept: list[Hit] = []
    for h in hits:
        if opts.min_s and h.duration_s < opts.min_s - 1e-6:
            continue
        if opts.max_s and h.duration_s > opts.max_s + 1e-6:
            continue
        if any(k.key == h.key and iou(k.model_span, h.model_span) > 0.5 for k in kept):
            continue
        kept.append(h)
    return kept
