"""Arguments shared by every subcommand that loads an encoder (one definition, one parser)."""

from __future__ import annotations

import argparse
from typing import Any


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
