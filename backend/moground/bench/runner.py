"""Score every grounding method on the same cases in one run, and print the tables.

``zomg-expand`` is ZOMG with phrases expanded through the action lexicon.
Controls: ``zomg-shuffled`` (the prompt's phrases deranged, or for a single query a
caption from another clip: if text did not matter this would score like ``zomg``)
and ``classification`` (given the TRUE segments, the share pooled closest to their
own phrase among the prompt's phrases; chains and spliced cases only).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder
from ..grounding.methods import run_method
from ..grounding.metrics import iou, summarize
from ..grounding.phrases import encode_phrases
from ..grounding.zomg import ZomgConfig
from .sets import Case

METHOD_ORDER = ("zomg", "zomg-expand", "changepoint", "window", "uniform", "zomg-shuffled")
MIN_SEGMENT_S = 0.5


@dataclass
class SetResult:
    ious: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    scores: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    single_ious: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    classification: list[bool] = field(default_factory=list)
    classification_expand: list[bool] = field(default_factory=list)
    clips: int = 0


def _derangement(k: int, rng: np.random.Generator) -> list[int]:
    while True:
        perm = list(rng.permutation(k))
        if all(p != i for i, p in enumerate(perm)):
            return perm


def classify_true_segments(encoder: MotionTextEncoder, feats: torch.Tensor, text: torch.Tensor, spans) -> list[bool]:
    weights = torch.zeros(len(spans), feats.shape[0])
    for i, (s, e) in enumerate(spans):
        weights[i, s:e] = 1.0
    with torch.no_grad():
        sims = encoder.pool(feats, weights) @ text.T
    return [int(sims[i].argmax()) == i for i in range(len(spans))]


def run_cases(
    encoder: MotionTextEncoder, cases: list[Case], methods=METHOD_ORDER, seed: int = 0, zomg: ZomgConfig | None = None, progress=None
) -> dict[str, SetResult]:
    rng = np.random.default_rng(seed)
    results: dict[str, SetResult] = defaultdict(SetResult)
    min_len = int(round(MIN_SEGMENT_S * encoder.fps))
    other_captions = [c.phrases[0] for c in cases]
    for case in cases:
        res = results[case.set_name]
        res.clips += 1
        motion = torch.from_numpy(case.motion)
        text = encoder.encode_text(case.phrases)
        t0 = time.perf_counter()
        with torch.no_grad():
            feats = encoder.frame_features(motion)
        enc_ms = (time.perf_counter() - t0) * 1e3
        k = len(case.phrases)
        for method in methods:
            t0 = time.perf_counter()
            if method == "zomg-expand":
                truth = case.spans
                out = run_method("zomg", encoder, motion, encode_phrases(encoder, case.phrases, expand=True), min_len, feats=feats, zomg=zomg)
            elif method == "zomg-shuffled":
                if k > 1:
                    perm = _derangement(k, rng)
                    phrases = [case.phrases[p] for p in perm]
                    truth = [case.spans[p] for p in perm]
                else:
                    choices = [c for c in other_captions if c != case.phrases[0]] or case.phrases
                    phrases, truth = [choices[int(rng.integers(len(choices)))]], case.spans
                out = run_method("zomg", encoder, motion, encoder.encode_text(phrases), min_len, feats=feats, zomg=zomg)
            else:
                truth = case.spans
                out = run_method(method, encoder, motion, text, min_len, feats=None if method == "window" else feats, zomg=zomg)
            ms = (time.perf_counter() - t0) * 1e3 + (enc_ms if method != "window" and method != "uniform" else 0.0)
            vals = [iou(p, t) for p, t in zip(out.segments, truth)]
            bucket = res.single_ious if case.kind == "single" else res.ious
            bucket[method] += vals
            res.scores[method + ("/single" if case.kind == "single" else "")] += out.scores
            res.ms[method].append(ms)
        if k > 1:
            res.classification += classify_true_segments(encoder, feats, text, case.spans)
            expanded = encode_phrases(encoder, case.phrases, expand=True)
            res.classification_expand += classify_true_segments(encoder, feats, expanded, case.spans)
        if progress is not None:
            progress(case)
    return results


def summarize_set(res: SetResult) -> dict:
    out: dict = {"clips": res.clips, "methods": {}, "single": {}}
    for method, vals in res.ious.items():
        row = summarize(vals, res.scores[method])
        row["ms_per_clip"] = float(np.mean(res.ms[method])) if res.ms[method] else 0.0
        out["methods"][method] = row
    for method, vals in res.single_ious.items():
        out["single"][method] = summarize(vals, res.scores[method + "/single"])
    if res.classification:
        out["classification"] = float(np.mean(res.classification))
        out["classification_n"] = len(res.classification)
        out["classification_expand"] = float(np.mean(res.classification_expand))
    return out


def format_table(name: str, summary: dict) -> str:
    cols = ("r1@0.3", "r1@0.5", "r1@0.7", "miou", "map")
    lines = []
    for part, title in (("methods", "ordered sequences"), ("single", "single queries (K=1)")):
        rows = summary.get(part) or {}
        if not rows:
            continue
        lines.append(f"\n{name}: {title}  ({summary['clips']} clips in set)")
        lines.append(f"{'method':<15}" + "".join(f"{c:>9}" for c in cols) + f"{'n':>6}" + (f"{'ms/clip':>10}" if part == "methods" else ""))
        for method in METHOD_ORDER:
            if method not in rows:
                continue
            r = rows[method]
            line = f"{method:<15}" + "".join(f"{r[c]:>9.3f}" for c in cols) + f"{int(r['n']):>6}"
            if part == "methods":
                line += f"{r['ms_per_clip']:>10.1f}"
            lines.append(line)
    if "classification" in summary:
        lines.append(f"segment classification (true segments → own phrase): {summary['classification']:.3f} "
                     f"of {summary['classification_n']} (with lexicon expansion: {summary['classification_expand']:.3f})")
    return "\n".join(lines)
