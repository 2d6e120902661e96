"""Timeline picture of one grounding run (matplotlib, Agg: no display needed).

One time axis, in seconds (bottom) and the source's own frame numbers (top), rows
from top to bottom:

* motion energy: mean joint speed as a colour strip;
* motion change: the text-free novelty curve the change-point split cuts at;
* one row per sub-action: its phrase's similarity with the motion around each frame
  (line) and, for ZOMG, its final soft mask (filled, right-hand scale 0–1);
* the chosen segments as labelled bars with their scores; low-confidence segments
  are hatched and their label starts with "!";
* with human truth, its segments as grey bars (with per-segment IoU when prediction
  and truth pair up one to one).

Okabe–Ito colours (safe for the common colour-vision deficiencies) and the cividis
map; labels that do not fit inside their bar go to lanes below it, placed so that no
two labels overlap. Segment bars carry the artist gid ``"segment"`` and truth bars
``"truth"`` (tests count them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..grounding.trace import GroundingTrace

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999")
TRUTH_SHADES = ("#BDBDBD", "#8C8C8C")
WIDTH_PX = 1600
DPI = 100
LEFT, RIGHT = 0.17, 0.985  # axes span in figure fractions (fixed, so label widths can be measured first)
LABEL_PT = 9.0
MAX_LABEL_CHARS = 40


@dataclass
class _Bar:
    start: float
    end: float
    text: str
    color: str
    hatch: str | None = None
    gid: str = "segment"


def _get(seg, key, default=None):
    return seg.get(key, default) if isinstance(seg, dict) else getattr(seg, key, default)


def _short(text: str, n: int = MAX_LABEL_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _text_on(color: str) -> str:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "white"


def segment_bars(segments: list) -> list[_Bar]:
    bars = []
    for i, seg in enumerate(segments):
        idx = int(_get(seg, "index", i))
        low = bool(_get(seg, "low_confidence", False))
        text = f"{'! ' if low else ''}{idx + 1} {_short(str(_get(seg, 'label', '')))} · {float(_get(seg, 'score', 0.0)):.2f}"
        bars.append(_Bar(float(_get(seg, "start_s")), float(_get(seg, "end_s")), text,
                         OKABE_ITO[idx % len(OKABE_ITO)], "///" if low else None))
    return bars


def truth_bars(truth: list[dict], ious: list[float] | None) -> list[_Bar]:
    bars = []
    for i, t in enumerate(truth):
        text = _short(t["label"]) + (f" · IoU {ious[i]:.2f}" if ious is not None else "")
        bars.append(_Bar(t["start_s"], t["end_s"], text, TRUTH_SHADES[i % 2], gid="truth"))
    return bars


def assign_lanes(bars: list[_Bar], widths_px: list[float], px_per_s: float, x_max: float, pad_px: float = 6.0):
    """Inside the bar when the label fits, else the first lane below (1, 2, ...) where it
    does not touch a label already there. Returns [(lane, x_centre)] and the lane count."""
    placed: dict[int, list[tuple[float, float]]] = {}
    out = []
    for bar, w_px in zip(bars, widths_px):
        w = (w_px + pad_px) / px_per_s
        centre = 0.5 * (bar.start + bar.end)
        if w <= bar.end - bar.start:
            out.append((0, centre))
            continue
        centre = min(max(centre, w / 2), max(w / 2, x_max - w / 2))
        lo, hi = centre - w / 2, centre + w / 2
        lane = 1
        while any(lo < b and a < hi for a, b in placed.get(lane, [])):
            lane += 1
        placed.setdefault(lane, []).append((lo, hi))
        out.append((lane, centre))
    return out, max([0, *placed.keys()])


def _measure(fig, texts: list[str]) -> list[float]:
    from matplotlib.font_manager import FontProperties

    renderer = fig.canvas.get_renderer()
    prop = FontProperties(size=LABEL_PT)
    return [renderer.get_text_width_height_descent(t, prop, ismath=False)[0] for t in texts]


def _draw_bars(ax, bars: list[_Bar], lanes, n_lanes: int, x_max: float) -> None:
    ax.set_ylim(-(n_lanes + 0.05), 1.05)
    for bar, (lane, x) in zip(bars, lanes):
        rect = ax.bar(0.5 * (bar.start + bar.end), 0.9, width=bar.end - bar.start, bottom=0.1, color=bar.color,
                      edgecolor="black", linewidth=0.8, hatch=bar.hatch, align="center")[0]
        rect.set_gid(bar.gid)
        if lane == 0:
            t = ax.text(x, 0.55, bar.text, ha="center", va="center", fontsize=LABEL_PT, color=_text_on(bar.color),
                        clip_on=False)
        else:
            y = -lane + 0.45
            ax.plot([0.5 * (bar.start + bar.end), x], [0.1, y + 0.3], color="0.4", linewidth=0.6)
            t = ax.text(x, y, bar.text, ha="center", va="center", fontsize=LABEL_PT, color="black", clip_on=False,
                        zorder=4, bbox=dict(facecolor="white", edgecolor="none", pad=0.5))
        t.set_gid(f"{bar.gid}-label")
    ax.set_yticks([])
    ax.set_xlim(0, x_max)


def plot_timeline(
    result,
    path: str | os.PathLike | None = None,
    truth: list[dict] | None = None,
    title: str | None = None,
):
    """Draw ``result`` (a GroundingResult with ``trace``, or its dict plus a trace) and
    save a PNG 1600 px wide to ``path`` (when given). Returns the matplotlib Figure."""
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.gridspec import GridSpec

    from .truth import truth_ious

    trace: GroundingTrace | None = _get(result, "trace")
    if trace is None:
        raise ValueError("the result carries no trace: ground with trace=True to draw a timeline")
    segments = list(_get(result, "segments"))
    x_max = float(trace.duration_s)
    fig = Figure(figsize=(WIDTH_PX / DPI, 6), dpi=DPI)
    FigureCanvasAgg(fig)
    px_per_s = (RIGHT - LEFT) * WIDTH_PX / x_max

    seg_bars = segment_bars(segments)
    seg_lanes, seg_n = assign_lanes(seg_bars, _measure(fig, [b.text for b in seg_bars]), px_per_s, x_max)
    ious = truth_ious(segments, truth) if truth else None
    tr_bars = truth_bars(truth, ious) if truth else []
    tr_lanes, tr_n = assign_lanes(tr_bars, _measure(fig, [b.text for b in tr_bars]), px_per_s, x_max) if truth else ([], 0)

    k = len(trace.phrases)
    row_in = 0.42 if k <= 10 else 0.3
    heights = [0.3, 0.8] + [row_in] * k + [0.32 * (1 + seg_n) + 0.1]
    if truth:
        heights.append(0.32 * (1 + tr_n) + 0.1)
    top_in, bottom_in = 1.05, 0.55
    total = sum(heights) + 0.12 * len(heights) + top_in + bottom_in
    fig.set_size_inches(WIDTH_PX / DPI, total)
    gs = GridSpec(len(heights), 1, figure=fig, height_ratios=heights, left=LEFT, right=RIGHT,
                  top=1 - top_in / total, bottom=bottom_in / total, hspace=0.12 / float(np.mean(heights)))
    axes = [fig.add_subplot(gs[i, 0]) for i in range(len(heights))]
    for ax in axes[1:]:
        ax.sharex(axes[0])
    t = trace.times_s
    boundaries = sorted({round(float(_get(s, "start_s")), 4) for s in segments[1:]}
                        | {round(float(_get(s, "end_s")), 4) for s in segments[:-1]})

    def row_label(ax, text):
        ax.set_ylabel(text, rotation=0, ha="right", va="center", fontsize=LABEL_PT, labelpad=8)

    # energy strip
    ax = axes[0]
    ext = [0, x_max, 0, 1]
    ax.imshow(trace.energy[None, :], aspect="auto", cmap="cividis", extent=ext, interpolation="nearest",
              vmin=0, vmax=max(float(np.percentile(trace.energy, 99)), 1e-6))
    ax.set_yticks([])
    row_label(ax, f"joint speed\n(0–{np.percentile(trace.energy, 99):.1f} m/s)")
    frames = ax.secondary_xaxis(
        "top", functions=(lambda s: trace.frame_start + s * trace.source_fps,
                          lambda f: (f - trace.frame_start) / trace.source_fps))
    frames.set_xlabel(f"source frame ({trace.source_fps:g} fps)", fontsize=LABEL_PT)
    frames.tick_params(labelsize=LABEL_PT)

    # motion change
    ax = axes[1]
    ax.fill_between(t, trace.novelty, color="#0072B2", alpha=0.25, linewidth=0)
    ax.plot(t, trace.novelty, color="#0072B2", linewidth=1.0)
    ax.set_ylim(0, 1.05)
    row_label(ax, "motion change\n(text-free)")

    # per sub-action rows
    lo = float(np.min(trace.similarity)) if trace.similarity.size else 0.0
    hi = float(np.max(trace.similarity)) if trace.similarity.size else 1.0
    pad = 0.05 * max(hi - lo, 1e-3)
    for i in range(k):
        ax = axes[2 + i]
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        if trace.masks is not None:
            twin = ax.twinx()
            twin.fill_between(t, trace.masks[i], color=colour, alpha=0.35, linewidth=0, step="mid")
            twin.set_ylim(0, 1.02)
            twin.set_yticks([0, 1])
            twin.tick_params(labelsize=7)
            ax.set_zorder(twin.get_zorder() + 1)
            ax.patch.set_visible(False)
        ax.plot(t, trace.similarity[i], color="black", linewidth=1.0)
        ax.set_ylim(lo - pad, hi + pad)
        ax.tick_params(labelsize=7)
        ax.locator_params(axis="y", nbins=2)
        row_label(ax, f"{i + 1} {_short(trace.phrases[i], 28)}")

    # segments and truth
    ax = axes[2 + k]
    _draw_bars(ax, seg_bars, seg_lanes, seg_n, x_max)
    row_label(ax, f"segments\n({trace.method}, score)")
    if truth:
        ax = axes[3 + k]
        _draw_bars(ax, tr_bars, tr_lanes, tr_n, x_max)
        row_label(ax, "human truth" + (f"\nmIoU {np.mean(ious):.2f}" if ious else ""))
    for ax in axes:
        for b in boundaries:
            ax.axvline(b, color="0.25", linewidth=0.6, linestyle=(0, (3, 3)), zorder=0.5)
        ax.set_xlim(0, x_max)
        ax.tick_params(axis="x", labelbottom=False, labelsize=LABEL_PT)
    if truth:
        for tb in [x["end_s"] for x in truth[:-1]]:
            axes[2 + k].axvline(tb, color="black", linewidth=1.2, linestyle=":", zorder=3)
    axes[-1].tick_params(axis="x", labelbottom=True)
    axes[-1].set_xlabel("time (s)", fontsize=LABEL_PT)
    if title:
        fig.text(LEFT, 1 - 0.1 / total, title, fontsize=11, ha="left", va="top")
    legend = ("numbered rows: phrase–motion similarity in a 2 s window (line, left scale)"
              + ("; final soft mask (fill, right scale 0–1)" if trace.masks is not None else "")
              + ". Dashed: chosen boundaries" + ("; dotted: human boundaries" if truth else "")
              + ". Hatched bar, '!': low confidence.")
    fig.text(LEFT, 1 - 0.32 / total, legend, fontsize=8, color="0.3", ha="left", va="top")
    if path is not None:
        fig.savefig(path, dpi=DPI)
    return fig
