"""Why does text add nothing on the spliced sets? Measure it on the val split.

    python scripts/diagnose_spliced.py            # ~2 min on the 2-core CPU
    → docs/tuning/diagnose_spliced.txt

For realchains takes and val spliced sequences (CMU, Bandai) it reports, per set:
how sharp the true boundaries are among the motion-novelty peaks; what the text alone
knows about the truth (the fused decoder with no motion term, and the true segments'
own-phrase accuracy from the evidence curves); and the fused decoder's mIoU with the
true phrases and with the deranged control as the text weight grows, motion fixed.
A text weight at which the control gap opens without mIoU falling is text that helps;
a gap that stays at zero at every weight means the text cannot move the cuts there.
It studies the per-frame evidence term alone (``w_span`` 0): the question it answered
was why that term changed nothing on spliced sets with the settings tuned on real takes.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))

from moground.bench.sets import realchain_cases, spliced_cases  # noqa: E402
from moground.encoders import load_encoder  # noqa: E402
from moground.grounding.novelty import novelty_curve  # noqa: E402
from moground.grounding.fused import FusedConfig, dp_step, fused_segments  # noqa: E402
from moground.grounding.evidence import evidence_curves  # noqa: E402
from moground.grounding.spans import span_similarity  # noqa: E402
from moground.grounding.metrics import iou  # noqa: E402

MIN_LEN = 10
TEXT_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0)
SPAN_WEIGHTS = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0)
OLD_PER_FRAME = 0.02  # the text weight shipped before it was made length-free: per frame, not per mean segment


def seam_rank(novelty: np.ndarray, spans: list[tuple[int, int]], tol: int) -> float:
    """Share of true inner boundaries whose nearby novelty peak (±tol frames) ranks
    among the take's K−1 highest local peaks: 1.0 means motion alone finds every cut."""
    t = len(novelty)
    peaks = [i for i in range(1, t - 1) if novelty[i] >= novelty[i - 1] and novelty[i] > novelty[i + 1]]
    top = sorted(peaks, key=lambda i: -novelty[i])[: len(spans) - 1]
    bounds = [s for s, _ in spans[1:]]
    return float(np.mean([any(abs(p - b) <= tol for p in top) for b in bounds])) if bounds else float("nan")


def own_phrase(evidence: np.ndarray, spans: list[tuple[int, int]]) -> float:
    """Share of true segments whose mean evidence is highest for their own phrase."""
    keep = [i for i, (s, e) in enumerate(spans) if e > s]
    means = np.stack([evidence[:, spans[i][0] : spans[i][1]].mean(1) for i in keep])  # [segment, phrase]
    return float(np.mean(means.argmax(1) == np.array(keep)))


def case_miou(case, evidence: np.ndarray, novelty: np.ndarray, fps: float, cfg: FusedConfig,
              spans: np.ndarray | None = None) -> float:
    """mIoU of the fused decoder's segments for one case with these settings."""
    segs = fused_segments(evidence, novelty, MIN_LEN, fps, cfg, spans)
    return float(np.mean([iou(p, t) for p, t in zip(segs, case.spans)]))


def sweep_lines(name: str, weights: tuple[float, ...], curve: dict) -> list[str]:
    """Three table rows: the weights swept, mIoU with the real phrases, with the control."""
    return ["  " + f"{name:<9}" + " ".join(f"{w:>6}" for w in weights),
            "  mIoU     " + " ".join(f"{np.mean(curve[w][0]):6.3f}" for w in weights),
            "  control  " + " ".join(f"{np.mean(curve[w][1]):6.3f}" for w in weights)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=20, help="val spliced sequences per source")
    ap.add_argument("--out", default=str(ROOT / "docs" / "tuning" / "diagnose_spliced.txt"))
    ap.add_argument("--encoder-path", default=None)
    args = ap.parse_args()
    enc = load_encoder("builtin", args.encoder_path, device="cpu")
    cfg = FusedConfig()
    cases = [c for c in realchain_cases() if c.kind == "take"]
    cases += [c for c in spliced_cases("val", count=args.count) if c.vocab != "caption" or c.set_name == "spliced-cmu"]
    rows: dict[str, dict] = {}
    for c in cases:
        feats = enc.frame_features(torch.from_numpy(c.motion))
        text, text_ctl = enc.encode_text(c.phrases), enc.encode_text(c.control_phrases)
        with torch.no_grad():
            ev = evidence_curves(enc, feats, text, cfg.scales_s)
            ev_ctl = evidence_curves(enc, feats, text_ctl, cfg.scales_s)
        nov = novelty_curve(feats, int(round(cfg.novelty_window_s * enc.fps)))
        step = dp_step(len(feats), enc.fps, cfg, len(c.phrases))
        sp = span_similarity(enc, feats, text, step)
        sp_ctl = span_similarity(enc, feats, text_ctl, step)
        key = f"{c.set_name}/{c.vocab}"
        r = rows.setdefault(key, {"seam": [], "own": [], "cases": 0, "curve": {w: ([], []) for w in TEXT_WEIGHTS},
                                  "text_only": ([], []), "old": [],
                                  "span": {w: ([], []) for w in SPAN_WEIGHTS}})
        r["cases"] += 1
        r["old"].append(OLD_PER_FRAME * len(c.motion) / len(c.spans))
        r["seam"].append(seam_rank(nov, c.spans, int(enc.fps // 2)))
        r["own"].append(own_phrase(ev, c.spans))
        for out, evid, table in zip((0, 1), (ev, ev_ctl), (sp, sp_ctl)):  # real phrases, then the control
            for w in TEXT_WEIGHTS:
                r["curve"][w][out].append(case_miou(c, evid, nov, enc.fps, replace(cfg, w_text=w, w_span=0.0)))
            for w in SPAN_WEIGHTS:
                r["span"][w][out].append(case_miou(c, evid, nov, enc.fps, replace(cfg, w_text=0.0, w_span=w), table))
            r["text_only"][out].append(
                case_miou(c, evid, nov, enc.fps, replace(cfg, w_text=10.0, w_novelty=0.0, w_span=0.0)))
    lines = [f"fused decoder on val (realchains: all five takes), per-frame evidence term only (w_span 0), "
             f"shipped settings except the text weight (length-free: per mean segment); "
             f"w_novelty {cfg.w_novelty}, w_duration {cfg.w_duration}, min_share {cfg.min_share}", ""]
    for key, r in rows.items():
        lines.append(f"{key}: {r['cases']} takes; true cuts among the K-1 highest novelty peaks (±0.5 s) "
                     f"{np.nanmean(r['seam']):.2f}; true segment → own phrase by evidence {np.nanmean(r['own']):.2f}")
        lines.append(f"  the old per-frame text weight {OLD_PER_FRAME} equals w_text {np.mean(r['old']):.1f} here "
                     f"(range {np.min(r['old']):.1f}–{np.max(r['old']):.1f})")
        lines.append(f"  text only (w_novelty 0, w_text 10): mIoU {np.mean(r['text_only'][0]):.3f}, "
                     f"control {np.mean(r['text_only'][1]):.3f}")
        lines += sweep_lines("w_text", TEXT_WEIGHTS, r["curve"])
        lines.append("  with the span term instead (w_text 0; shipped w_span {:.0f}):".format(cfg.w_span))
        lines += sweep_lines("w_span", SPAN_WEIGHTS, r["span"])
        lines.append("")
    text = "\n".join(lines)
    print(text)
    Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
