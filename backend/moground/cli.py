"""The ``moground`` command line: discovers subcommands in ``moground.commands``.

Every subcommand sets ``func(args) -> int`` on its parser. Errors of type
MoGroundError become a one-line message and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys

from . import __version__, commands
from .wire.errors import BadPrompt, MoGroundError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moground",
        description="Zero-shot motion grounding: cut mocap into named sub-actions.",
    )
    parser.add_argument("--version", action="version", version=f"moground {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


TEXT_ARGS = ("prompt", "actions", "query")
"""Arguments that are text sent to a model (never file names, which may be any bytes)."""


def check_text_args(args: argparse.Namespace) -> None:
    """Text arguments must be UTF-8: argv bytes that are not arrive as lone surrogates,
    which no tokenizer, reply or report can encode."""
    for name in TEXT_ARGS:
        value = getattr(args, name, None)
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and not text.isascii():
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError as exc:
                    label = "the search query" if name == "query" else f"--{name}"
                    raise BadPrompt(f"{label} is not valid UTF-8 text (byte "
                                    f"{os.fsencode(text[exc.start])!r} at character {exc.start})") from None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        check_text_args(args)
        return int(args.func(args) or 0)
    except MoGroundError as exc:
        print(f"moground: error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("moground: interrupted", file=sys.stderr)
        return 130


def backend_main(argv: list[str] | None = None) -> int:
    """``moground-backend serve ...`` is the same as ``moground serve ...``."""
    return main(argv)


if __name__ == "__main__":
    sys.exit(main())
