"""``moground eval-retrieval``: text↔motion retrieval of an encoder on the test split."""

from __future__ import annotations

import argparse
import json

from ._common import add_encoder_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval-retrieval", help="R@1/5/10 and median rank on held-out clips")
    p.add_argument("--data", default=None)
    p.add_argument("--cache", default=None)
    p.add_argument("--split", default="test", choices=("test", "val"))
    p.add_argument("--json", default=None, help="also write the numbers to this file")
    p.add_argument("--large-pool", action="store_true",
                   help="also rank the split's captions among the motions of the test AND val splits")
    add_encoder_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..encoders.base import load_encoder
    from ..training.cache import build_cache
    from ..training.retrieval import build_eval_sets, evaluate_set, restrict_queries
    from ..training.sources import load_records

    if args.encoder != "builtin":
        from ..wire.errors import BadRequest

        raise BadRequest("eval-retrieval runs on the builtin encoder's cached features; use --encoder builtin")
    enc = load_encoder(args.encoder, args.encoder_path, args.device)
    recs = load_records(args.data)
    cache = build_cache(recs, args.cache)
    sets = build_eval_sets([r for r in recs if r.split == args.split], cache)
    res = {name: evaluate_set(enc, cache, es) for name, es in sets.items()}
    if args.large_pool:
        split_of = {r.uid: r.split for r in recs}
        big = build_eval_sets([r for r in recs if r.split in ("test", "val")], cache)
        for name, es in big.items():
            res[f"{name}+pool"] = evaluate_set(enc, cache, restrict_queries(es, lambda m: split_of[m[0]] == args.split))
    print(f"{'set':14s} {'texts':>6s} {'motions':>7s}  t2m R@1  R@5 (chance)   R@10  MedR | m2t R@1  R@5 (chance)   R@10  MedR")
    for name, m in res.items():
        print(f"{name:14s} {int(m['texts']):6d} {int(m['motions']):7d}  " + "  ".join(
            f"{m[f'{d}_r1']:.3f} {m[f'{d}_r5']:.3f} ({m[f'{d}_r5_chance']:.3f}) {m[f'{d}_r10']:.3f} {m[f'{d}_medr']:5.0f}"
            for d in ("t2m", "m2t")))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"split": args.split, "sets": res}, fh, indent=2)
    return 0
