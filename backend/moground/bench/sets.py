"""Evaluation cases built from the held-out split of shared/data.

* ``cmu-real``: real CMU trials with timed HumanML3D captions — ordered chains of the
  distinct captioned spans of a trial, and single queries (K=1), each in its whole
  trial. Real transitions, so this is the honest set.
* ``spliced``: 2–6 held-out clips (Bandai, CMU HumanML3D spans, action clips) joined
  with short blends. The joins are artificial and flatter change-point methods, so it
  is reported separately.

Everything is canonical 22-joint positions at 20 fps; spans are frame intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..preprocess import canonicalize, facing_yaw, rotate_y
from ..training.captions import action_captions, bandai_captions
from ..training.motion_io import load_canonical
from ..training.sources import FPS, ClipRecord, load_records


@dataclass
class Case:
    set_name: str
    kind: str  # chain | single | spliced
    clip_id: str
    motion: np.ndarray  # [T, 22, 3] canonical at 20 fps
    phrases: list[str]
    spans: list[tuple[int, int]]  # ground truth per phrase, half-open frames


def _distinct_spans(rec: ClipRecord, t_count: int | None = None) -> list[tuple[int, int, list[str]]]:
    """HumanML3D captions grouped by span (20 fps frames, clipped to ``t_count`` when
    given), non-overlapping spans only, in time order."""
    groups: dict[tuple[int, int], list[str]] = {}
    for cap in rec.captions:
        if cap.kind != "hml" or cap.start_s is None or cap.end_s is None:
            continue
        s = int(round(cap.start_s * FPS))
        e = int(round(cap.end_s * FPS))
        if t_count is not None:
            e = min(t_count, e)
        if e - s >= int(FPS):  # at least one second inside the clip
            groups.setdefault((s, e), []).append(cap.text.strip().rstrip("."))
    out: list[tuple[int, int, list[str]]] = []
    for (s, e), texts in sorted(groups.items()):
        if out and s < out[-1][1]:  # overlapping span: keep the longer one
            if e - s > out[-1][1] - out[-1][0]:
                out[-1] = (s, e, texts)
            continue
        out.append((s, e, texts))
    return out


def real_cmu_cases(split: str = "test", root=None, variants: int = 3, max_trials: int | None = None) -> list[Case]:
    cases: list[Case] = []
    recs = [r for r in load_records(root, splits=(split,), sources=("cmu",)) if any(c.kind == "hml" for c in r.captions)]
    for rec in recs[:max_trials]:
        motion = canonicalize(load_canonical(rec))
        spans = _distinct_spans(rec, len(motion))
        if not spans:
            continue
        if len(spans) >= 2:
            lo = max(0, spans[0][0] - int(FPS))
            hi = min(len(motion), spans[-1][1] + int(FPS))
            crop = canonicalize(motion[lo:hi])
            for v in range(variants):
                phrases = [texts[v % len(texts)] for _, _, texts in spans]
                cases.append(Case("cmu-real", "chain", rec.id, crop, phrases, [(s - lo, e - lo) for s, e, _ in spans]))
        for s, e, texts in spans:
            for text in texts[:variants]:
                cases.append(Case("cmu-real", "single", rec.id, motion, [text], [(s, e)]))
    return cases


def _pieces(split: str, root) -> list[tuple[ClipRecord, tuple[int, int] | None, str]]:
    """Candidate held-out pieces: (record, span in 20 fps frames or None for the whole
    clip, caption)."""
    out = []
    for rec in load_records(root, splits=(split,)):
        if rec.source == "bandai":
            out.append((rec, None, bandai_captions(rec.meta["content"], rec.meta["style"])[0]))
        elif rec.source == "cmu":
            for s, e, texts in _distinct_spans(rec):
                out.append((rec, (s, e), texts[0]))
        elif rec.label and rec.quality > 0.5:
            out.append((rec, None, action_captions(rec.label.split(":", 1)[-1])[0]))
    return out


def _align_to(piece: np.ndarray, end_root_xz: np.ndarray, end_yaw: float) -> np.ndarray:
    """Place a canonical piece so that it starts where and facing the way the last ended."""
    out = rotate_y(piece, end_yaw) if end_yaw else piece.copy()
    out[..., 0] += end_root_xz[0] - out[0, 0, 0]
    out[..., 2] += end_root_xz[1] - out[0, 0, 2]
    return out


def splice(pieces: list[np.ndarray], blend: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Join canonical pieces with linear cross-fades of ``blend`` frames; spans put each
    boundary in the middle of its blend."""
    seq = canonicalize(pieces[0])
    spans = [(0, len(seq))]
    for piece in pieces[1:]:
        yaw = facing_yaw(seq, frame=len(seq) - 1)
        nxt = _align_to(canonicalize(piece), seq[-1, 0, [0, 2]], yaw)
        b = min(blend, len(seq) // 2, len(nxt) // 2)
        w = np.linspace(0.0, 1.0, b + 2)[1:-1, None, None]
        mixed = (1 - w) * seq[len(seq) - b :] + w * nxt[:b]
        start = len(seq) - b
        seq = np.concatenate([seq[: len(seq) - b], mixed, nxt[b:]])
        mid = start + b // 2
        spans[-1] = (spans[-1][0], mid)
        spans.append((mid, len(seq)))
    return seq.astype(np.float32), spans


def spliced_cases(split: str = "test", root=None, count: int = 100, seed: int = 0, blend_s: float = 0.3) -> list[Case]:
    rng = np.random.default_rng(seed)
    pool = _pieces(split, root)
    cases = []
    for n in range(count):
        k = int(rng.integers(2, 7))
        chosen = [pool[i] for i in rng.choice(len(pool), size=k, replace=False)]
        pieces, phrases = [], []
        for rec, span, caption in chosen:
            motion = load_canonical(rec)
            if span is not None:
                motion = motion[span[0] : span[1]]
            max_len = int(8 * FPS)
            if len(motion) > max_len:
                off = int(rng.integers(0, len(motion) - max_len + 1))
                motion = motion[off : off + max_len]
            pieces.append(motion)
            phrases.append(caption)
        seq, spans = splice(pieces, int(round(blend_s * FPS)))
        cases.append(Case("spliced", "spliced", f"spliced-{n:03d}", seq, phrases, spans))
    return cases
