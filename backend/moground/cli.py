"""The ``moground`` command line: discovers subcommands in ``moground.commands``.

Every subcommand sets ``func(args) -> int`` on its parser. Errors of type
MoGroundError become a one-line message and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from . import __version__, commands
from .wire.errors import MoGroundError


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
