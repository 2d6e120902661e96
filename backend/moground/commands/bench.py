"""``moground bench``: grounding quality of every method, real takes first, with CIs and text controls."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..wire.methods import METHODS
from ._common import add_encoder_args, encoder_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="benchmark grounding methods: real takes, spliced held-out clips, text controls")
    p.add_argument("--data", help="shared data folder (default: $MOGROUND_DATA or ../shared/data)")
    p.add_argument("--split", default="test", choices=["val", "test"], help="split the spliced sets come from")
    p.add_argument("--quick", action="store_true", help="3 spliced sequences per source instead of 20 (realchains in full)")
    p.add_argument("--spliced", type=int, default=None, help="spliced sequences per source (default 20, quick 3)")
    p.add_argument("--sets", nargs="+", default=["realchains", "kinectchains", "spliced"],
                   choices=["realchains", "kinectchains", "spliced"])
    p.add_argument("--kinds", nargs="+", default=None, choices=["take", "single", "spliced"],
                   help="only these case kinds (default: all), e.g. --kinds take for whole real takes and their typed rows")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--methods", nargs="+", default=None, help="subset of methods to run (default: all)")
    p.add_argument("--zomg", nargs="+", default=[], metavar="KEY=VALUE", help="ZOMG settings, e.g. steps=200 lr=0.1")
    p.add_argument("--json", dest="json_out", help="write the results to this JSON file")
    p.add_argument("--plots", metavar="DIR", help="write figures here: bench_summary.png (mIoU with CIs, "
                   "text-control gap, score reliability) and timelines/ (one ZOMG timeline per multi-segment case)")
    p.add_argument("--in-sample", action="store_true",
                   help="score realchains takes with the shipped settings (tuned on all five takes) instead of "
                        "each take's leave-one-take-out settings")
    p.add_argument("--transfer", action="store_true",
                   help="score each real-take family with the settings tuned on the OTHER family and val spliced "
                        "(the transfer rows) instead of leave-one-take-out / leave-one-subject-out")
    p.add_argument("--prompts", action="store_true",
                   help="only the prompt table: exact-list and item-count rate of the prompt split, per style")
    add_encoder_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.prompts:
        return run_prompt_table(args)
    import torch
    from tqdm import tqdm

    from ..bench.runner import (boundary_report, format_per_clip, format_table, per_clip_miou, run_cases,
                                summarize_runs)
    from ..bench.kinectchains import kinectchain_cases
    from ..bench.sets import load_loto_settings, realchain_cases, spliced_cases
    from ..bench.typed_rows import with_typed_cases
    from ..encoders import load_encoder
    from ..grounding.settings import decoder_settings_for
    from ..grounding.masks import ZomgConfig
    from ..paths import data_root

    torch.manual_seed(args.seed)
    root = data_root(args.data)
    encoder = load_encoder(args.encoder, args.encoder_path, device=args.device, **encoder_options(args))
    described = encoder.describe()
    if not described.get("trained", True):
        print("WARNING: the builtin encoder has no trained weights; numbers are chance level.", file=sys.stderr)
    t0 = time.perf_counter()
    cases = realchain_cases(root, seed=args.seed) if "realchains" in args.sets else []
    cases += kinectchain_cases(root, seed=args.seed) if "kinectchains" in args.sets else []
    if "spliced" in args.sets:
        n = args.spliced if args.spliced is not None else (3 if args.quick else 20)
        cases += spliced_cases(args.split, root, count=n, seed=args.seed)
    cases = with_typed_cases(cases)  # every real-take set also grounded through its typed prompt
    cases = [c for c in cases if args.kinds is None or c.kind in args.kinds]
    zomg = ZomgConfig(seed=args.seed, **parse_settings(args.zomg))
    bar = tqdm(total=len(cases), desc="bench", unit="case", file=sys.stderr)
    # weights with decoder settings of their own (grounding.settings) are scored with them;
    # the leave-one-take-out settings were tuned for the default weights
    fused, tuned_for = decoder_settings_for(encoder)
    loto = None if args.in_sample or tuned_for else load_loto_settings("transfer" if args.transfer else "held_out")
    runs, diag = run_cases(encoder, cases, methods=tuple(args.methods or METHODS), zomg=zomg,
                           progress=lambda _c: bar.update(1), loto=loto, fused=fused)
    bar.close()
    summaries = summarize_runs(runs, diag)
    per_take = {}
    for name, summary in summaries.items():
        print(format_table(name, summary))
        if name.startswith("realchains/take/"):
            per_take[name] = per_clip_miou(runs, name)
            print(format_per_clip(name, per_take[name]))
    print(f"\nreal takes scored with: {payload_settings(loto, tuned_for, args.transfer)}")
    boundaries = boundary_report(cases)
    print("\nmotion-change percentile of the true boundaries (median; human boundaries of real takes vs seams): "
          + ", ".join(f"{k} {v:.0f}" for k, v in boundaries.items()))
    payload = {
        "sets": summaries,
        "boundary_percentile": boundaries,
        "realchains_per_take": per_take,
        "split": args.split,
        "quick": args.quick,
        "seed": args.seed,
        "encoder": described.get("name"),
        "encoder_trained": described.get("trained"),
        "seconds": round(time.perf_counter() - t0, 1),
        "zomg": vars(zomg),
        "realchains_settings": payload_settings(loto, tuned_for, args.transfer),
        "cases": [{"set": r.case.set_name, "kind": r.case.kind, "vocab": r.case.vocab, "clip": r.case.clip_id,
                   "method": r.method, "control": r.control, "phrases": r.case.control_phrases if r.control else r.case.phrases,
                   "truth": r.case.spans, "segments": r.segments, "scores": [round(s, 4) for s in r.scores],
                   "ious": [round(v, 4) for v in r.ious]} for r in runs],
    }
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(payload, indent=1))
    if args.plots:
        from ..plots.bench_figures import write_bench_plots

        files = write_bench_plots(payload, args.plots, encoder=encoder, cases=cases, zomg=zomg)
        print(f"figures: {files[0]} and {len(files) - 1} case timelines in {Path(args.plots) / 'timelines'}",
              file=sys.stderr)
    print(f"\n{len(cases)} cases in {payload['seconds']} s", file=sys.stderr)
    return 0


def parse_settings(items: list[str]) -> dict:
    """``["steps=200", "lr=0.1"]`` → typed ZomgConfig overrides."""
    from dataclasses import fields

    from ..wire.errors import BadRequest
    from ..grounding.masks import ZomgConfig

    types = {f.name: f.type for f in fields(ZomgConfig)}
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        if key not in types:
            raise BadRequest(f"unknown ZOMG setting {key!r}; known: {', '.join(types)}")
        out[key] = int(value) if types[key] in (int, "int") else float(value)
    return out


def payload_settings(loto: dict | None, tuned_for: str | None, transfer: bool = False) -> str:
    """Which decoder settings scored the real takes, in words."""
    if loto is not None:
        if transfer:
            return "transfer (tuned on the other family and val spliced)"
        return ("leave-one-take-out (realchains), leave-one-subject-out (kinectchains), "
                "where scripts/tune_fused.py recorded them; shipped otherwise")
    return f"the settings tuned for {tuned_for} (in-sample)" if tuned_for else "shipped (in-sample)"


def run_prompt_table(args: argparse.Namespace) -> int:
    """The prompt table (``bench.prompt_table``): no encoder, no motion, just the split."""
    from ..bench.prompt_table import all_cases, format_table, score
    from ..decompose import decompose_phrases
    from ..paths import data_root

    rates = score(all_cases(data_root(args.data), seed=args.seed), decompose_phrases)
    print(format_table(rates))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"prompt_table": rates}, indent=1))
    return 0
