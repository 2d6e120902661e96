"""``moground bench``: grounding quality of every method on held-out mocap, one table per set."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ._common import add_encoder_args, encoder_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="benchmark grounding methods on the held-out split")
    p.add_argument("--data", help="shared data folder (default: $MOGROUND_DATA or ../shared/data)")
    p.add_argument("--split", default="test", choices=["val", "test"])
    p.add_argument("--quick", action="store_true", help="small sets (a CI-sized check, a few minutes)")
    p.add_argument("--spliced", type=int, default=None, help="number of spliced sequences (default 100, quick 12)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--methods", nargs="+", default=None, help="subset of methods to run (default: all)")
    p.add_argument("--zomg", nargs="+", default=[], metavar="KEY=VALUE", help="ZOMG settings, e.g. steps=200 lr=0.1")
    p.add_argument("--json", dest="json_out", help="write the results to this JSON file")
    p.add_argument("--plots", metavar="DIR", help="write figures here: bench_summary.png (mIoU with CIs, "
                   "text-control gap, score reliability) and timelines/ (one ZOMG timeline per multi-segment case)")
    add_encoder_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch
    from tqdm import tqdm

    from ..bench.runner import format_table, run_cases, summarize_set
    from ..bench.sets import real_cmu_cases, spliced_cases
    from ..encoders import load_encoder
    from ..paths import data_root

    torch.manual_seed(args.seed)
    root = data_root(args.data)
    encoder = load_encoder(args.encoder, args.encoder_path, device=args.device, **encoder_options(args))
    described = encoder.describe()
    if not described.get("trained", True):
        print("WARNING: the builtin encoder has no trained weights; numbers are chance level.", file=sys.stderr)
    t0 = time.perf_counter()
    n_spliced = args.spliced if args.spliced is not None else (12 if args.quick else 100)
    cases = real_cmu_cases(args.split, root, variants=1 if args.quick else 3, max_trials=8 if args.quick else None)
    cases += spliced_cases(args.split, root, count=n_spliced, seed=args.seed)
    bar = tqdm(total=len(cases), desc="bench", unit="clip", file=sys.stderr)
    from ..bench.runner import METHOD_ORDER
    from ..grounding.zomg import ZomgConfig

    zomg = ZomgConfig(seed=args.seed, **_parse_settings(args.zomg))
    results = run_cases(encoder, cases, methods=tuple(args.methods or METHOD_ORDER), seed=args.seed, zomg=zomg,
                        progress=lambda _c: bar.update(1))
    bar.close()
    summaries = {name: summarize_set(res) for name, res in results.items()}
    for name, summary in summaries.items():
        print(format_table(name, summary))
    spliced = summaries.get("spliced", {"clips": 0, "methods": {}})
    payload = {
        "clips": spliced["clips"],
        "methods": spliced["methods"],
        "sets": summaries,
        "split": args.split,
        "quick": args.quick,
        "seed": args.seed,
        "encoder": described.get("name"),
        "encoder_trained": described.get("trained"),
        "seconds": round(time.perf_counter() - t0, 1),
        "zomg": vars(zomg),
    }
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(payload, indent=2))
    if args.plots:
        from ..plots.bench_figures import write_bench_plots

        files = write_bench_plots(payload, args.plots, encoder=encoder, cases=cases, zomg=zomg)
        print(f"figures: {files[0]} and {len(files) - 1} case timelines in {Path(args.plots) / 'timelines'}",
              file=sys.stderr)
    print(f"\n{len(cases)} cases in {payload['seconds']} s", file=sys.stderr)
    return 0


def _parse_settings(items: list[str]) -> dict:
    """``["steps=200", "lr=0.1"]`` → typed ZomgConfig overrides."""
    from dataclasses import fields

    from ..errors import BadRequest
    from ..grounding.zomg import ZomgConfig

    types = {f.name: f.type for f in fields(ZomgConfig)}
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        if key not in types:
            raise BadRequest(f"unknown ZOMG setting {key!r}; known: {', '.join(types)}")
        out[key] = int(value) if types[key] in (int, "int") else float(value)
    return out
