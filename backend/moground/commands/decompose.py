"""``moground decompose --prompt TEXT``: show how a prompt splits into sub-actions."""

from __future__ import annotations

import argparse
import json
import sys

from ..decompose import decompose
from ..decompose.cli_args import add_llm_args, llm_config_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "decompose",
        help="split a prompt into ordered sub-action phrases",
        description="Split a prompt into the ordered sub-action phrases that grounding will look for.",
    )
    parser.add_argument("--prompt", required=True, help='e.g. "walk forward, then jump twice"')
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_llm_args(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = decompose(args.prompt, llm_config_from_args(args))
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    width = len(str(len(result.items)))
    text_width = max(len(item.text) for item in result.items)
    for i, item in enumerate(result.items, 1):
        typed = args.prompt[item.start:item.end]
        origin = "as typed" if not item.changed else f"from {typed!r}"
        print(f"{i:>{width}}. {item.text:<{text_width}}  chars {item.start}-{item.end}, {origin}")
    print(f"({len(result.items)} sub-actions, {result.source})", file=sys.stderr)
    return 0
