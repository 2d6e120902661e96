"""Does ``zomg`` (fused + sub-cell refinement) beat ``fused``? Paired, per take.

On both real-take families (realchains: human transition windows; kinectchains: the
unlabelled gaps between actions) and the spliced sets, full takes with every
sub-action in order, both methods on the same takes. Prints per family and metric the
two methods' values, their difference and its paired per-take bootstrap 95 % CI
(``bench.paired``): boundary error (s, median and p90; 0 inside the true window), mIoU
with transitions/gaps counted and excluded, and for every refinement knob how many
segments it moves on these takes (a knob that moves nothing should not exist).

    PYTHONPATH=backend python scripts/compare_masks.py [--spliced 20] [--split test]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace

import numpy as np
import torch

from moground.bench.paired import TakeTruth, boundary_errors, mean, median, p90, paired_diff_ci, verdict
from moground.bench.kinectchains import load_takes as load_kinectchains
from moground.bench.realchains import load_takes as load_realchains
from moground.bench.runner import MIN_SEGMENT_S, settings_for
from moground.bench.sets import load_loto_settings, realchain_cases, spliced_cases
from moground.encoders import load_encoder
from moground.grounding.fused import FusedConfig
from moground.grounding.metrics import iou, iou_excluding
from moground.grounding.methods import run_method
from moground.grounding.refine import RefineConfig
from moground.paths import data_root
from moground.training.sources import FPS

# each knob moved one way from its default: the knob table counts segments that move
KNOB_VARIANTS = {"radius_cells=0.5": {"radius_cells": 0.5}, "tau=0.5": {"tau": 0.5}, "w_novelty=0": {"w_novelty": 0.0},
                 "w_novelty=5": {"w_novelty": 5.0}}


def realchains_truths(root) -> dict[str, TakeTruth]:
    out = {}
    for take in load_realchains(root):
        windows = [s.transition if s.transition is not None else (s.end, s.end) for s in take.segments[:-1]]
        out[take.id] = TakeTruth("realchains", take.id, [(s.start, s.end) for s in take.segments], windows,
                                 take.transition_mask())
    return out


def kinect_takes(root) -> list[tuple[str, np.ndarray, list[str], TakeTruth]]:
    """(id, canonical 20 fps motion, labels, truth) per kinectchains take; the ignore
    mask is every frame no action claims (the set's README: score labelled frames)."""
    out = []
    for take in load_kinectchains(root):
        spans = [(s.start, s.end) for s in take.segments]
        windows = [(spans[i][1], max(spans[i][1], spans[i + 1][0])) for i in range(len(spans) - 1)]
        out.append((take.id, take.motion, [s.label for s in take.segments],
                    TakeTruth("kinectchains", take.id, spans, windows, take.ignore_mask())))
    return out


def scored_take(truth: TakeTruth, segs: list[tuple[int, int]]) -> dict[str, list[float]]:
    ign = truth.ignore
    return {
        "boundary": boundary_errors(segs, truth.windows, FPS),
        "iou": [iou(p, t) for p, t in zip(segs, truth.spans)],
        "iou_excl": [iou_excluding(p, t, ign) if ign is not None else iou(p, t) for p, t in zip(segs, truth.spans)],
    }


def run_family(encoder, items, refine_variants: dict[str, RefineConfig], loto) -> dict[str, list]:
    """{variant: [per-take scores]} for fused and every refinement variant, plus the
    segments (to count what each knob moves) and the time each method took."""
    min_len = int(round(MIN_SEGMENT_S * encoder.fps))
    results: dict[str, list] = {"fused": [], **{v: [] for v in refine_variants}}
    segments: dict[str, list] = {k: [] for k in results}
    ms: dict[str, float] = {k: 0.0 for k in results}
    for fused_cfg, motion_np, phrases, truth in items(loto):
        motion = torch.from_numpy(motion_np)
        with torch.no_grad():
            feats = encoder.frame_features(motion)
        text = encoder.encode_text(phrases)
        for name in results:
            t0 = time.perf_counter()
            method, cfg = ("fused", None) if name == "fused" else ("zomg", refine_variants[name])
            out = run_method(method, encoder, motion, text, min_len, feats=feats, zomg=cfg, fused=fused_cfg)
            ms[name] += (time.perf_counter() - t0) * 1e3
            results[name].append(scored_take(truth, out.segments))
            segments[name].append(out.segments)
    return {"scores": results, "segments": segments, "ms": ms}


METRICS = [  # (key, statistic, name, higher is better)
    ("boundary", median, "boundary error median (s)", False),
    ("boundary", p90, "boundary error p90 (s)", False),
    ("boundary", mean, "boundary error mean (s)", False),
    ("iou", mean, "mIoU, transitions/gaps counted", True),
    ("iou_excl", mean, "mIoU, transitions/gaps excluded", True),
]


def print_family(name: str, res: dict, variant: str = "zomg") -> list[str]:
    takes = len(res["scores"]["fused"])
    cuts = sum(len(s["boundary"]) for s in res["scores"]["fused"])
    print(f"\n{name}: {takes} takes, {cuts} inner boundaries; zomg − fused, paired take bootstrap 95% CI")
    print(f"{'metric':<34}{'zomg':>9}{'fused':>9}{'diff':>9}{'95% CI':>20}  verdict")
    verdicts = []
    for key, stat, label, higher in METRICS:
        a = [s[key] for s in res["scores"][variant]]
        b = [s[key] for s in res["scores"]["fused"]]
        ci = paired_diff_ci(a, b, stat)
        v = verdict(ci, higher)
        verdicts.append(v)
        print(f"{label:<34}{ci[0]:>9.3f}{ci[1]:>9.3f}{ci[2]:>+9.3f}{f'[{ci[3]:+.3f}, {ci[4]:+.3f}]':>20}  {v}")
    moved = sum(a != b for ta, tb in zip(res["segments"][variant], res["segments"]["fused"]) for a, b in zip(ta, tb))
    total = sum(len(t) for t in res["segments"]["fused"])
    print(f"segments zomg moved vs fused: {moved}/{total}; time zomg {res['ms'][variant]:.0f} ms, "
          f"fused {res['ms']['fused']:.0f} ms (after the encoder, all takes)")
    return verdicts


def print_knobs(families: dict[str, dict]) -> None:
    print("\nknobs: segments each variant places differently from the default zomg, per family")
    names = list(families)
    print(f"{'variant':<20}" + "".join(f"{n:>16}" for n in names))
    for variant in KNOB_VARIANTS:
        row = []
        for n in names:
            segs = families[n]["segments"]
            moved = sum(a != b for ta, tb in zip(segs[variant], segs["zomg"]) for a, b in zip(ta, tb))
            row.append(f"{moved:>16d}")
        print(f"{variant:<20}" + "".join(row))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None)
    ap.add_argument("--spliced", type=int, default=20, help="spliced sequences per source (0: none)")
    ap.add_argument("--split", default="test", choices=["val", "test"])
    ap.add_argument("--encoder", default="builtin")
    ap.add_argument("--families", nargs="+", default=["realchains", "kinectchains", "spliced-cmu", "spliced-bandai"])
    args = ap.parse_args()
    torch.manual_seed(0)
    root = data_root(args.data)
    encoder = load_encoder(args.encoder)
    variants = {"zomg": RefineConfig(), **{k: replace(RefineConfig(), **v) for k, v in KNOB_VARIANTS.items()}}
    loto = load_loto_settings()
    families: dict[str, object] = {}
    if "realchains" in args.families:
        truths = realchains_truths(root)
        cases = [c for c in realchain_cases(root, vocabs=("verbatim",)) if c.kind == "take"]
        families["realchains"] = lambda lt: [(settings_for(c, None, lt)[0], c.motion, c.phrases, truths[c.clip_id])
                                             for c in cases]
    if "kinectchains" in args.families:
        kin = kinect_takes(root)
        families["kinectchains"] = lambda lt: [(FusedConfig(), m, labels, truth) for _, m, labels, truth in kin]
    for source in ("cmu", "bandai"):
        if f"spliced-{source}" in args.families and args.spliced:
            sp = [c for c in spliced_cases(args.split, root, count=args.spliced, sources=(source,))
                  if c.vocab in ("verbatim", "caption")]
            families[f"spliced-{source}"] = lambda lt, sp=sp: [
                (FusedConfig(), c.motion, c.phrases,
                 TakeTruth(c.set_name, c.clip_id, c.spans, [(e, e) for _, e in c.spans[:-1]], None)) for c in sp]
    print(f"encoder {args.encoder}; realchains with its leave-one-take-out decoder settings, others the defaults; "
          f"refinement defaults {RefineConfig()}")
    results = {}
    summary = {}
    for name, items in families.items():
        t0 = time.perf_counter()
        results[name] = run_family(encoder, items, variants, loto)
        summary[name] = print_family(name, results[name])
        print(f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    print_knobs(results)
    print("\nverdicts (zomg vs fused):", {k: dict(zip([m[2] for m in METRICS], v)) for k, v in summary.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
