"""``python -m moground.server [serve options]``: the same as ``moground serve``, without
discovering the other CLI subcommands (handy for supervisors, containers and tests)."""

from __future__ import annotations

import argparse
import logging
import sys

from ..commands import serve
from ..errors import MoGroundError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moground.server")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command")
    serve.register(sub)
    args = parser.parse_args(["serve", *(argv if argv is not None else sys.argv[1:])])
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except MoGroundError as exc:
        print(f"moground: error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
