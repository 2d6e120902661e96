"""``moground vocab-coverage``: share of shared/data/vocab phrases the training text covers."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("vocab-coverage", help="measure how much of the action vocabulary the training text covers")
    p.add_argument("--data", default=None)
    p.add_argument("--cache", default=None)
    p.add_argument("--cmu-only", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..paths import data_root
    from ..training.coverage import measure

    res = measure(data_root(args.data), args.cache, cmu_only=args.cmu_only)
    print(json.dumps(res, indent=2))
    return 0
