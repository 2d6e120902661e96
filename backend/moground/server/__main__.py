"""``python -m moground.server [serve options]``: the same as ``moground serve``, without
discovering the other CLI subcommands (handy for supervisors, containers and tests)."""

from __future__ import annotations

import argparse
import logging
import sys

from ..commands import serve
from ..errors import MoGroundError


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = any(a in ("-v", "--verbose") for a in argv)
    parser = argparse.ArgumentParser(prog="python -m moground.server")
    sub = parser.add_subparsers(dest="command")
    serve.register(sub)
    args = parser.parse_args(["serve", *(a for a in argv if a not in ("-v", "--verbose"))])
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except MoGroundError as exc:
        print(f"moground: error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
