"""Benchmark pictures for ``moground bench --plots DIR``.

* ``bench_summary.png``: mIoU per method and set with 95 % CI bars (case bootstrap
  over clips, as the bench computes it), the text-control gap (method − the same
  method on deranged phrases, paired CI), and a reliability diagram of segment scores
  (share of segments with IoU ≥ 0.5 per score bin).
* one timeline per multi-segment case (``timelines/``), ZOMG re-run with its trace.

Works from the bench's JSON payload: ``sets`` → ``{set: {"methods": {method: {"miou":
[est, lo, hi] | float, "gap": [est, lo, hi], "control_miou": ..., "auroc": ...}}}}`` and
``cases`` → ``[{set, kind, vocab, clip, method, control, scores, ious, ...}]``. Missing
fields are drawn without (no CI bar, no gap panel entry, no reliability points).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np

from .timeline import DPI, OKABE_ITO, WIDTH_PX

IOU_HIT = 0.5
RELIABILITY_BINS = 10
METHOD_COLOURS = {"zomg": OKABE_ITO[4], "changepoint": OKABE_ITO[0], "window": OKABE_ITO[2],
                  "uniform": OKABE_ITO[7], "zomg-expand": OKABE_ITO[1]}


def _triplet(v) -> tuple[float, float, float] | None:
    if v is None:
        return None
    if isinstance(v, (list, tuple)) and len(v) == 3:
        return tuple(float(x) for x in v)  # type: ignore[return-value]
    if isinstance(v, (int, float)):
        return float(v), float(v), float(v)
    return None


def _colour(method: str, order: list[str]) -> str:
    return METHOD_COLOURS.get(method, OKABE_ITO[order.index(method) % len(OKABE_ITO)])


def _set_label(name: str, summary: dict) -> str:
    n = summary.get("segments") or summary.get("clips")
    parts = name.split("/")
    label = "\n".join(parts[:1] + [" ".join(parts[1:])]) if len(parts) > 1 else name
    return f"{label}\n({summary.get('clips', '?')} clips, {n} segs)" if n else label


def _ci_whiskers(ax, xs, est, err, cap: float) -> None:
    """CI bars drawn as lines (matplotlib's yerr trips a numpy deprecation for one bar)."""
    xs, est = np.asarray(xs, dtype=float), np.asarray(est, dtype=float)
    lo, hi = est - err[0], est + err[1]
    keep = hi > lo
    if keep.any():
        ax.vlines(xs[keep], lo[keep], hi[keep], color="black", linewidth=0.9, zorder=5)
        ax.hlines(np.r_[lo[keep], hi[keep]], np.r_[xs[keep], xs[keep]] - cap, np.r_[xs[keep], xs[keep]] + cap,
                  color="black", linewidth=0.9, zorder=5)


def reliability(scores, ious, bins: int = RELIABILITY_BINS):
    """Equal-width score bins in [0, 1]: (mean score, share with IoU ≥ 0.5, count) per
    non-empty bin."""
    s = np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)
    y = np.asarray(ious, dtype=np.float64) >= IOU_HIT
    idx = np.minimum((s * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        m = idx == b
        if m.any():
            out.append((float(s[m].mean()), float(y[m].mean()), int(m.sum())))
    return out


def plot_bench_summary(payload: dict, path: str | os.PathLike | None = None, title: str | None = None):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    sets: dict = payload.get("sets") or {}
    names = [n for n, s in sets.items() if s.get("methods")]
    methods: list[str] = []
    for n in names:
        methods += [m for m in sets[n]["methods"] if m not in methods]
    fig = Figure(figsize=(WIDTH_PX / DPI, 9.0), dpi=DPI)
    FigureCanvasAgg(fig)
    gs = fig.add_gridspec(2, 2, height_ratios=[1.0, 1.0], width_ratios=[1.6, 1.0], left=0.06, right=0.985,
                          top=0.9, bottom=0.1, hspace=0.5, wspace=0.16)
    ax_m, ax_g, ax_r = fig.add_subplot(gs[0, :]), fig.add_subplot(gs[1, 0]), fig.add_subplot(gs[1, 1])
    x = np.arange(len(names))
    width = 0.8 / max(1, len(methods))
    ctrl_drawn = False

    for j, method in enumerate(methods):
        vals = [_triplet(sets[n]["methods"].get(method, {}).get("miou")) for n in names]
        xs = [x[i] + (j - (len(methods) - 1) / 2) * width for i, v in enumerate(vals) if v]
        est = [v[0] for v in vals if v]
        err = np.array([[v[0] - v[1], v[2] - v[0]] for v in vals if v]).T.reshape(2, -1)
        bars = ax_m.bar(xs, est, width=width * 0.92, color=_colour(method, methods), edgecolor="black",
                        linewidth=0.5, label=method)
        _ci_whiskers(ax_m, xs, est, err, width * 0.25)
        for b in bars:
            b.set_gid("miou-bar")
        for i, n in enumerate(names):
            c = _triplet(sets[n]["methods"].get(method, {}).get("control_miou"))
            if c:
                cx = x[i] + (j - (len(methods) - 1) / 2) * width
                ax_m.hlines(c[0], cx - width * 0.46, cx + width * 0.46, color="black", linewidth=2.2, zorder=4,
                            label="text control (phrases deranged)" if not ctrl_drawn else None)
                ctrl_drawn = True
    ax_m.set_xticks(x, [_set_label(n, sets[n]) for n in names], fontsize=8)
    ax_m.set_ylabel("mIoU per sub-action", fontsize=9)
    ax_m.set_ylim(0, 1)
    ax_m.set_title("mIoU per method and set (bars: 95 % CI, bootstrap over clips; black tick: the same "
                   "method on deranged phrases)", fontsize=10, loc="left")
    ax_m.legend(fontsize=8, ncol=min(6, len(methods) + 1), loc="upper right", frameon=False)
    ax_m.grid(axis="y", color="0.88", linewidth=0.6)
    ax_m.set_axisbelow(True)

    # text-control gap per method and set, grouped like the mIoU panel
    any_gap = False
    for j, method in enumerate(methods):
        vals = [_triplet(sets[n]["methods"].get(method, {}).get("gap")) for n in names]
        xs = [x[i] + (j - (len(methods) - 1) / 2) * width for i, v in enumerate(vals) if v]
        if not xs:
            continue
        any_gap = True
        est = [v[0] for v in vals if v]
        err = np.array([[v[0] - v[1], v[2] - v[0]] for v in vals if v]).T.reshape(2, -1)
        bars = ax_g.bar(xs, est, width=width * 0.92, color=_colour(method, methods), edgecolor="black",
                        linewidth=0.5)
        _ci_whiskers(ax_g, xs, est, err, width * 0.25)
        for bar in bars:
            bar.set_gid("gap-bar")
    ax_g.axhline(0, color="black", linewidth=0.8)
    ax_g.set_xticks(x, [n.replace("/", "\n", 1) for n in names], fontsize=7)
    ax_g.set_ylabel("mIoU − mIoU(deranged)", fontsize=9)
    ax_g.set_title("what the text adds: method − text control, 95 % CI (0: the text is ignored)", fontsize=10, loc="left")
    ax_g.grid(axis="y", color="0.88", linewidth=0.6)
    ax_g.set_axisbelow(True)
    if not any_gap:
        ax_g.text(0.5, 0.5, "no control runs in this bench", transform=ax_g.transAxes, ha="center")

    # reliability diagram over every non-control segment, per method
    cases = payload.get("cases") or []
    ax_r.plot([0, 1], [0, 1], color="0.5", linestyle="--", linewidth=0.8, label="calibrated")
    for method in methods:
        sc, io, informative = [], [], False
        for c in cases:
            if c.get("method") == method and not c.get("control"):
                s = list(c.get("scores") or [])
                sc += s
                io += list(c.get("ious") or [])
                informative |= len(set(np.round(s, 6))) > 1
        if not sc or not informative:  # scores equal within every case (uniform: 1/K) say nothing
            continue
        pts = reliability(sc, io)
        aucs = [sets[n]["methods"][method].get("auroc") for n in names if method in sets[n]["methods"]]
        aucs = [a for a in aucs if isinstance(a, (int, float)) and not math.isnan(a)]
        lab = f"{method} (n={len(sc)})"
        ax_r.plot([p[0] for p in pts], [p[1] for p in pts], "-", color=_colour(method, methods), linewidth=1.2,
                  label=lab)
        ax_r.scatter([p[0] for p in pts], [p[1] for p in pts], s=[12 + 4 * math.sqrt(p[2]) for p in pts],
                     color=_colour(method, methods), edgecolor="black", linewidth=0.4, zorder=3)
    ax_r.set_xlim(0, 1)
    ax_r.set_ylim(-0.02, 1.02)
    ax_r.set_xlabel("segment score (bin mean; dot area ~ segments in bin)", fontsize=9)
    ax_r.set_ylabel(f"share with IoU ≥ {IOU_HIT}", fontsize=9)
    ax_r.set_title("reliability of segment scores (all sets pooled)", fontsize=10, loc="left")
    ax_r.legend(fontsize=8, frameon=False, loc="upper left")
    ax_r.grid(color="0.9", linewidth=0.5)
    for ax in (ax_m, ax_g, ax_r):
        ax.tick_params(labelsize=8)
    head = title or "MoGround bench"
    meta = ", ".join(f"{k} {payload[k]}" for k in ("split", "seed", "encoder") if k in payload)
    fig.text(0.06, 0.975, head + (f"  ({meta})" if meta else ""), fontsize=12, va="top")
    if path is not None:
        fig.savefig(path, dpi=DPI)
    return fig


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:80] or "case"


def case_timeline(encoder, case, path, zomg=None, min_segment_s: float = 0.5):
    """Re-run ZOMG on one bench case with its trace and draw it against the case's truth."""
    import torch

    from ..grounding.methods import run_method
    from .timeline import plot_timeline
    from ..grounding.trace import build_trace

    fps = float(encoder.fps)
    motion = torch.from_numpy(np.ascontiguousarray(case.motion, dtype=np.float32))
    text = encoder.encode_text(list(case.phrases))
    with torch.no_grad():
        feats = encoder.frame_features(motion)
    min_len = max(1, int(round(min_segment_s * fps)))
    out = run_method("zomg", encoder, motion, text, min_len, feats=feats, zomg=zomg)
    t_count = motion.shape[0]
    trace = build_trace(encoder, motion, feats, text, list(case.phrases), np.arange(t_count) / fps, fps, 0.0,
                        t_count / fps, "zomg", out.info.get("masks"))
    segments = [{"label": p, "index": i, "start_s": s / fps, "end_s": e / fps, "score": sc}
                for i, (p, (s, e), sc) in enumerate(zip(case.phrases, out.segments, out.scores))]
    labels = list(getattr(case, "labels", None) or case.phrases)
    truth = [{"label": labels[i], "start_s": s / fps, "end_s": e / fps} for i, (s, e) in enumerate(case.spans)]
    title = f"{case.set_name} / {case.kind} / {getattr(case, 'vocab', '')}  {case.clip_id}"
    return plot_timeline({"segments": segments, "trace": trace}, path, truth=truth, title=title)


def write_bench_plots(payload: dict, out_dir: str | os.PathLike, encoder=None, cases=None, zomg=None,
                      max_timelines: int | None = None, progress=None) -> list[Path]:
    """The summary figure, and (given the encoder and the cases) one timeline per case
    with two or more sub-actions. Returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "bench_summary.png"]
    fig = plot_bench_summary(payload, written[0])
    del fig
    if encoder is not None and cases:
        multi = [c for c in cases if len(c.spans) > 1]
        if max_timelines is not None:
            multi = multi[:max_timelines]
        (out / "timelines").mkdir(exist_ok=True)
        seen: dict[str, int] = {}
        for c in multi:
            stem = _slug(f"{c.set_name}_{c.kind}_{getattr(c, 'vocab', '')}_{c.clip_id}")
            seen[stem] = seen.get(stem, 0) + 1
            path = out / "timelines" / (f"{stem}.png" if seen[stem] == 1 else f"{stem}_{seen[stem]}.png")
            case_timeline(encoder, c, path, zomg=zomg)
            written.append(path)
            if progress is not None:
                progress(c)
    return written
