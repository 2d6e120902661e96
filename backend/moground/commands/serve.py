"""``moground serve``: run the grounding backend (see docs/protocol.md).

``python -m moground.commands.serve [serve options]`` is the same without discovering
the other CLI subcommands (handy for supervisors, containers and tests)."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import asdict

from ..decompose.cli_args import add_llm_args, llm_config_from_args
from ..wire.errors import MoGroundError
from ..wire.protocol import DEFAULT_ADDRESS as DEFAULT_BIND
from ._common import add_encoder_args, encoder_options


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve", help="run the ZeroMQ grounding backend",
        description="Serve grounding requests over ZeroMQ (protocol v1). Binds to loopback by default; "
                    "a non-loopback bind needs --curve-keys (make them with `moground keys create DIR`).",
    )
    p.add_argument("--bind", default=DEFAULT_BIND, help=f"endpoint to listen on (default {DEFAULT_BIND})")
    p.add_argument("--workers", type=int, default=1, help="worker processes, each loads the model once (default 1)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the engine (default 0)")
    p.add_argument("--curve-keys", default=None, metavar="DIR",
                   help="enable CURVE: DIR/server.key_secret and DIR/authorized_clients/*.key")
    p.add_argument("--queue", type=int, default=16, help="requests that may wait for a worker before `busy` (default 16)")
    p.add_argument("--deadline", type=float, default=120.0, help="seconds per request before `timeout` (default 120)")
    p.add_argument("--drain", type=float, default=30.0, help="seconds in-flight work may finish on shutdown (default 30)")
    p.add_argument("--index", action="append", default=[], metavar="NAME=PATH",
                   help="serve the library index at PATH (built by `moground index`) to `search` requests "
                        "as NAME; repeat for several. Clients name an index, never a path")
    p.add_argument("--ray", action="store_true", help="run the engine as a Ray Serve deployment (extra `farm`)")
    p.add_argument("--ray-address", default=None, help="Ray cluster address (default: start a local Ray)")
    p.add_argument("--engine-factory", default=None, help=argparse.SUPPRESS)  # tests swap the engine here
    p.add_argument("--upload-stall", type=float, default=None, help=argparse.SUPPRESS)  # tests shorten it
    # `moground segment` passes its pid: the backend stops when that process is gone
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    add_encoder_args(p)
    add_llm_args(p)
    p.set_defaults(func=run)


def parse_indexes(specs: list[str]) -> dict[str, str]:
    """``NAME=PATH`` arguments → {name: absolute folder}; a bad name or a repeated one
    is a usage error before anything starts."""
    from pathlib import Path

    from ..wire.errors import BadRequest
    from ..wire.protocol import INDEX_NAME_RE

    out: dict[str, str] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not path:
            raise BadRequest(f"--index {spec!r}: expected NAME=PATH, e.g. --index mocap=/libraries/mocap")
        if not INDEX_NAME_RE.fullmatch(name):
            raise BadRequest(f"--index {spec!r}: the name must match {INDEX_NAME_RE.pattern}")
        if name in out:
            raise BadRequest(f"--index {name} is given twice")
        out[name] = str(Path(path).expanduser().resolve())
    return out


def run(args: argparse.Namespace) -> int:
    from ..server import Server, ServerConfig
    from ..server.engines import DEFAULT_FACTORY

    llm = llm_config_from_args(args)
    cfg = ServerConfig(
        bind=args.bind, workers=args.workers, device=args.device, encoder=args.encoder,
        encoder_path=args.encoder_path, encoder_options=encoder_options(args),
        llm=None if llm is None else asdict(llm), seed=args.seed, curve_keys=args.curve_keys, queue=args.queue,
        deadline_s=args.deadline, drain_s=args.drain, engine_factory=args.engine_factory or DEFAULT_FACTORY,
        ray=args.ray, ray_address=args.ray_address, parent_pid=args.parent_pid,
        indexes=parse_indexes(args.index),
    )
    if args.upload_stall is not None:
        cfg.upload_stall_s = args.upload_stall
    runner_factory = None
    if cfg.ray:
        from ..server.ray_backend import ray_runner_factory
        from ..server.security import check_bind

        check_bind(cfg.bind, cfg.curve_keys)  # before Ray starts, not after

        runner_factory = ray_runner_factory(cfg)
    return Server(cfg, runner_factory).run()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = any(a in ("-v", "--verbose") for a in argv)
    parser = argparse.ArgumentParser(prog="python -m moground.commands.serve")
    sub = parser.add_subparsers(dest="command")
    register(sub)
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
