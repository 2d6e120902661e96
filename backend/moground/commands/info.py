"""``moground info``: versions, encoders and what the chosen encoder loaded."""

from __future__ import annotations

import argparse
import json

from ._common import add_encoder_args, encoder_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="show versions and the loaded encoder")
    p.add_argument("--json", action="store_true")
    add_encoder_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine import GroundingEngine

    engine = GroundingEngine(args.encoder, args.encoder_path, device=args.device, **encoder_options(args))
    info = engine.info()
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    enc = info.pop("encoder")
    if "licence" in enc:
        print(f"   licence: {enc['licence']}")
    for key, value in info.items():
        print(f"{key:>10}: {value}")
    print("   encoder:")
    for key, value in enc.items():
        print(f"      {key}: {value}")
    if not enc.get("trained", True):
        print("WARNING: the builtin encoder has no trained weights; results are not meaningful.")
    return 0
