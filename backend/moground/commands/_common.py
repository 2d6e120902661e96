"""Arguments shared by every subcommand that loads an encoder (one definition, one parser)."""

from __future__ import annotations

import argparse
from typing import Any, Callable

from ..wire.options import OPTION_RANGES, BadOption, check_option


def add_encoder_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("encoder")
    g.add_argument("--encoder", default="builtin", help="encoder name (builtin, tmr)")
    g.add_argument("--encoder-path", default=None, help="weights file or checkpoint folder")
    g.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1 ...")
    g.add_argument("--tmr-stats", default=None, help="TMR: folder with mean.pt and std.pt")
    g.add_argument("--distilbert", default=None, help="TMR: local distilbert-base-uncased folder")


def encoder_options(args: argparse.Namespace) -> dict[str, Any]:
    """Encoder-specific keyword options from parsed arguments (None values dropped)."""
    opts = {"stats_dir": getattr(args, "tmr_stats", None), "distilbert_dir": getattr(args, "distilbert", None)}
    return {k: v for k, v in opts.items() if v is not None}


def option_arg(name: str) -> Callable[[str], Any]:
    """argparse ``type=`` for an engine option: its type and range, so a bad value is a
    usage error (exit 2, one line, no traceback) and not a failed request."""
    spec = OPTION_RANGES[name]

    def parse(text: str) -> Any:
        try:
            value = spec.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {spec.describe()}") from None
        try:
            return check_option(name, value)
        except BadOption as exc:
            raise argparse.ArgumentTypeError(exc.message) from None

    parse.__name__ = name  # argparse names the type in its messages
    return parse
