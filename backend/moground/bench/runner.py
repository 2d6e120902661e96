"""Score every grounding method on the same cases, with controls and confidence intervals.

For each case and method: the segments from the real phrases and, as the text control,
from the deranged phrases (``Case.control_phrases``), both scored against the SAME
truth. ``method − control`` is what the text adds; a text-blind method has a gap of 0
by construction (it is run anyway, so the table shows it). Per sub-action IoU at the
annotated boundaries and with the human transition frames excluded; CIs are case
bootstraps over distinct clips (``stats.bootstrap_ci``).

Diagnostics beside the methods (given the TRUE segments):
* ``classification``: share of true segments whose pooled motion is closest to their
  own phrase among the prompt's phrases;
* ``extent``: share of shifted / extended / truncated versions of a true segment that
  score below it against its own phrase (an encoder that cannot tell extent scores 0.5).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, fields, replace

import numpy as np
import torch

from ..wire.methods import METHODS
from ..encoders.base import MotionTextEncoder
from ..grounding.methods import run_method
from ..grounding.fused import FusedConfig
from ..grounding.window import WindowBank, window_bank
from ..grounding.metrics import R1_THRESHOLDS, extent_variants, frame_accuracy, iou, iou_excluding, recall_at
from ..grounding.refine import RefineConfig
from .motion_change import boundary_percentiles
from .sets import Case
from .stats import auroc, bootstrap_ci

REAL_SETS = ("realchains", "kinectchains")  # real takes: scored with held-out decoder settings
MIN_SEGMENT_S = 0.5
EXTENT_CHANGES = (0.2, 0.35, 0.5)  # share of the segment's length


@dataclass
class CaseRun:
    case: Case
    method: str
    control: bool
    segments: list[tuple[int, int]]
    scores: list[float]
    ious: list[float]
    ious_excl: list[float]
    frame_acc: float
    ms: float


def _score(case: Case, method: str, control: bool, segs, scores, ms) -> CaseRun:
    ious = [iou(p, t) for p, t in zip(segs, case.spans)]
    excl = [iou_excluding(p, t, case.ignore) for p, t in zip(segs, case.spans)] if case.ignore is not None else ious
    acc = frame_accuracy(segs, case.spans, len(case.motion), case.ignore) if len(case.spans) > 1 else float("nan")
    return CaseRun(case, method, control, list(segs), list(scores), ious, excl, acc, ms)


def true_segment_diagnostics(encoder: MotionTextEncoder, feats: torch.Tensor, text: torch.Tensor,
                             spans: list[tuple[int, int]]) -> tuple[list[bool], list[float]]:
    """(own phrase ranked first among the prompt's, per segment; extent accuracy per segment)."""
    t_count = feats.shape[0]
    rows, owner = [], []
    for i, span in enumerate(spans):
        for s, e in [span, *extent_variants(span, t_count, EXTENT_CHANGES)]:
            w = torch.zeros(t_count)
            w[s:e] = 1.0
            rows.append(w)
            owner.append(i)
    with torch.no_grad():
        sims = encoder.pool(feats, torch.stack(rows)) @ text.T  # [rows, K]
    owner_t = torch.tensor(owner)
    classified, extent = [], []
    for i in range(len(spans)):
        idx = torch.nonzero(owner_t == i).flatten()
        own = sims[idx, i]
        if len(spans) > 1:
            classified.append(int(sims[idx[0]].argmax()) == i)
        extent.append(float((own[1:] < own[0]).float().mean()) if len(idx) > 1 else float("nan"))
    return classified, extent


def run_cases(encoder: MotionTextEncoder, cases: list[Case], methods=METHODS, zomg: RefineConfig | None = None,
              controls: bool = True, progress=None, loto: dict[str, dict] | None = None,
              fused: FusedConfig | None = None) -> tuple[list[CaseRun], dict[tuple, dict[str, list]]]:
    """Every method on every case (and on its control phrases); returns the runs and
    per-(set, kind, vocab) diagnostics. ``loto`` maps a realchains take to the settings
    tuned on the other takes (``loto_settings.json``), so no take is scored with
    settings chosen on itself; ``fused`` is the decoder settings for everything else
    (default: ``FusedConfig()``)."""
    runs: list[CaseRun] = []
    diag: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    min_len = int(round(MIN_SEGMENT_S * encoder.fps))
    banks: dict[int, WindowBank] = {}  # cases of one take share its motion: encode its windows once
    window_ms = 0.0
    feats_of, feats, enc_ms = None, None, 0.0  # ms still counts the encoding in every case's time
    for case in cases:
        motion = torch.from_numpy(case.motion)
        if "window" in methods and id(case.motion) not in banks:
            t0 = time.perf_counter()
            banks = {id(case.motion): window_bank(encoder, motion, encoder.fps)}
            window_ms = (time.perf_counter() - t0) * 1e3
        if id(case.motion) != feats_of:  # cases of one take share its motion: encode it once
            t0 = time.perf_counter()
            with torch.no_grad():
                feats = encoder.frame_features(motion)
            enc_ms, feats_of = (time.perf_counter() - t0) * 1e3, id(case.motion)
        texts = {False: encoder.encode_text(case.phrases)}
        if controls:
            texts[True] = encoder.encode_text(case.control_phrases)
        fused_case, zomg_case = settings_for(case, zomg, loto, fused)
        for method in methods:
            for control, text in texts.items():
                t0 = time.perf_counter()
                out = run_method(method, encoder, motion, text, min_len, feats=feats, zomg=zomg_case, fused=fused_case,
                                 windows=banks.get(id(case.motion)))
                ms = (time.perf_counter() - t0) * 1e3 + {"window": window_ms, "uniform": 0.0}.get(method, enc_ms)
                runs.append(_score(case, method, control, out.segments, out.scores, ms))
        key = (case.set_name, case.kind, case.vocab)
        classified, extent = true_segment_diagnostics(encoder, feats, texts[False], case.spans)
        diag[key]["classification"].append(classified)
        diag[key]["extent"].append(extent)
        if progress is not None:
            progress(case)
    return runs, diag


def settings_for(case: Case, zomg: RefineConfig | None, loto: dict[str, dict] | None,
                 base: FusedConfig | None = None) -> tuple[FusedConfig, RefineConfig]:
    """The decoder settings a case is scored with: the held-out settings of its real
    take (realchains: tuned without that take; kinectchains: without that subject) when
    given, else ``base`` (the shipped defaults), and ``zomg``'s
    refinement settings."""
    zomg = zomg or RefineConfig()
    base = base or FusedConfig()
    chosen = (loto or {}).get(case.clip_id) if case.set_name in REAL_SETS else None
    if not chosen:
        return base, zomg
    fused_keys = {f.name for f in fields(FusedConfig)}
    return replace(base, **{k: v for k, v in chosen.items() if k in fused_keys}), zomg


def _by_clip(runs: list[CaseRun], value) -> list[np.ndarray]:
    groups: dict[str, list[float]] = defaultdict(list)
    for r in runs:
        groups[r.case.clip_id] += value(r)
    return [np.asarray(v) for v in groups.values()]


def _ci(groups: list[np.ndarray], stat=np.mean) -> list[float]:
    return [round(v, 4) for v in bootstrap_ci(groups, stat)]


def summarize_runs(runs: list[CaseRun], diag: dict[tuple, dict[str, list]] | None = None) -> dict[str, dict]:
    """{"set/kind/vocab": summary} with, per method: mIoU [est, lo, hi], mIoU with
    transitions excluded, R@1 at IoU thresholds, frame accuracy, score AUROC, the text
    control's mIoU and the gap method − control with a paired CI."""
    keyed: dict[tuple, list[CaseRun]] = defaultdict(list)
    for r in runs:
        keyed[(r.case.set_name, r.case.kind, r.case.vocab)].append(r)
    out = {}
    for key in sorted(keyed, key=_set_order):
        group = keyed[key]
        cases = {id(r.case): r.case for r in group}.values()
        summary: dict = {"cases": len(cases), "clips": len({c.clip_id for c in cases}),
                         "segments": sum(len(c.spans) for c in cases), "methods": {}}
        for method in dict.fromkeys(r.method for r in group):
            real = [r for r in group if r.method == method and not r.control]
            ctrl = [r for r in group if r.method == method and r.control]
            ious = [v for r in real for v in r.ious]
            row = {
                "miou": _ci(_by_clip(real, lambda r: r.ious)),
                "miou_excl": _ci(_by_clip(real, lambda r: r.ious_excl)),
                **{f"r1@{th}": round(recall_at(ious, th), 4) for th in R1_THRESHOLDS},
                "r1@0.5_ci": _ci(_by_clip(real, lambda r: r.ious), stat=lambda v: float((v >= 0.5).mean())),
                "r1@0.5_excl_ci": _ci(_by_clip(real, lambda r: r.ious_excl), stat=lambda v: float((v >= 0.5).mean())),
                "auroc": round(auroc([s for r in real for s in r.scores], [v >= 0.5 for v in ious]), 4),
                "auroc_ci": _ci(_by_clip(real, lambda r: list(zip(r.scores, r.ious))), stat=_auroc_of_pairs),
                "ms_per_case": round(float(np.mean([r.ms for r in real])), 1),
            }
            accs = [r.frame_acc for r in real if not np.isnan(r.frame_acc)]
            if accs:
                row["frame_acc"] = _ci(_by_clip([r for r in real if not np.isnan(r.frame_acc)], lambda r: [r.frame_acc]))
            if ctrl:
                pairs = list(zip(real, ctrl))
                row["control_miou"] = _ci(_by_clip(ctrl, lambda r: r.ious))
                row["control_miou_excl"] = _ci(_by_clip(ctrl, lambda r: r.ious_excl))
                row["gap"] = _ci([np.asarray(v) for v in _paired_gaps(pairs).values()])
            summary["methods"][method] = row
        if diag and key in diag:
            d = diag[key]
            cls = [np.asarray(c, dtype=float) for c in d["classification"] if c]
            if cls:
                summary["classification"] = _ci(cls)
            summary["extent"] = _ci([np.asarray(e)[~np.isnan(e)] for e in d["extent"]])
        out["/".join(key)] = summary
    return out


def _auroc_of_pairs(pairs: np.ndarray) -> float:
    """AUROC of the scores for IoU ≥ 0.5, from [n, 2] rows of (score, IoU)."""
    return auroc(pairs[:, 0], pairs[:, 1] >= 0.5) if len(pairs) else float("nan")


def _paired_gaps(pairs: list[tuple[CaseRun, CaseRun]]) -> dict[str, list[float]]:
    gaps: dict[str, list[float]] = defaultdict(list)
    for real, ctrl in pairs:
        gaps[real.case.clip_id] += [a - b for a, b in zip(real.ious, ctrl.ious)]
    return gaps


def _set_order(key: tuple) -> tuple:
    set_rank = {"realchains": 0, "kinectchains": 1}.get(key[0], 2)
    return (set_rank, key[0], {"take": 0, "single": 1}.get(key[1], 2), {"verbatim": 0, "caption": 1}.get(key[2], 2))


def boundary_report(cases: list[Case]) -> dict[str, float]:
    """Median motion-change percentile of the true boundaries, per set (seams of spliced
    sets vs human boundaries of real takes: a join easier to see than a real change
    flatters change-point methods)."""
    per_set: dict[str, list[float]] = defaultdict(list)
    seen = set()
    for c in cases:
        if c.kind == "single" or (c.set_name, c.clip_id) in seen:
            continue
        seen.add((c.set_name, c.clip_id))
        per_set[c.set_name] += boundary_percentiles(c.motion, 20.0, [s for s, _ in c.spans[1:]])
    return {k: round(float(np.median(v)), 1) for k, v in per_set.items()}


def _fmt(ci: list[float]) -> str:
    return f"{ci[0]:.3f} [{ci[1]:.2f},{ci[2]:.2f}]"


def format_table(name: str, summary: dict) -> str:
    lines = [f"\n{name}: {summary['cases']} cases, {summary['clips']} distinct clips, {summary['segments']} segments"]
    head = f"{'method':<12}{'mIoU [95% CI]':>22}{'excl. trans.':>22}{'R@1 .3/.5/.7':>18}{'frame acc':>11}{'AUROC [95% CI]':>19}{'control':>9}{'method−control':>24}{'ms':>8}"
    lines.append(head)
    for method, r in summary["methods"].items():
        acc = f"{r['frame_acc'][0]:.3f}" if "frame_acc" in r else "-"
        gap = _fmt(r["gap"]) if "gap" in r else "-"
        ctrl = f"{r['control_miou'][0]:.3f}" if "control_miou" in r else "-"
        aur = "-" if np.isnan(r["auroc"]) else f"{r['auroc']:.2f}"
        if aur != "-" and "auroc_ci" in r:
            aur += f" [{r['auroc_ci'][1]:.2f},{r['auroc_ci'][2]:.2f}]"
        lines.append(f"{method:<12}{_fmt(r['miou']):>22}{_fmt(r['miou_excl']):>22}"
                     f"{r['r1@0.3']:>6.2f}{r['r1@0.5']:>6.2f}{r['r1@0.7']:>6.2f}{acc:>11}{aur:>19}{ctrl:>9}{gap:>24}{r['ms_per_case']:>8.0f}")
    extra = []
    if summary["segments"] == summary["cases"]:  # single queries: R@1 where the truth ignores frames too
        extra.append("R@1@0.5 excl. " + ", ".join(f"{m} {_fmt(r['r1@0.5_excl_ci'])}" for m, r in summary["methods"].items()))
    if "classification" in summary:
        extra.append(f"true segments → own phrase {_fmt(summary['classification'])}")
    if "extent" in summary:
        extra.append(f"extent accuracy {_fmt(summary['extent'])}")
    if extra:
        lines.append("  diagnostics: " + "; ".join(extra))
    return "\n".join(lines)


def per_clip_miou(runs: list[CaseRun], key: str) -> dict[str, dict[str, float]]:
    """{method: {clip: mIoU}} for one "set/kind/vocab" key (real phrases only)."""
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in runs:
        if "/".join((r.case.set_name, r.case.kind, r.case.vocab)) == key and not r.control:
            out[r.method][r.case.clip_id] += r.ious
    return {m: {c: round(float(np.mean(v)), 4) for c, v in clips.items()} for m, clips in out.items()}


def format_per_clip(key: str, table: dict[str, dict[str, float]]) -> str:
    clips = sorted({c for row in table.values() for c in row})
    lines = [f"\n{key}: mIoU per take", f"{'method':<12}" + "".join(f"{c:>8}" for c in clips)]
    for method, row in table.items():
        lines.append(f"{method:<12}" + "".join(f"{row.get(c, float('nan')):>8.3f}" for c in clips))
    return "\n".join(lines)
