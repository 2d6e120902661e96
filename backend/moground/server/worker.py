"""Worker side of the broker: one engine, one job at a time, over a DEALER socket.

Workers are separate processes by default (``python -m moground.server.worker``):
torch, native encoders and a crashing model stay out of the front end, a killed worker
costs one request and is respawned, and the front end's memory stays flat. The same
job loop also drives in-process threads for the Ray backend.

The messages between worker and front end are in ``messages.py``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from typing import Any, Callable, Sequence

import zmq

from ..wire.errors import MoGroundError
from ..lifeline import die_with_parent, parent_alive
from . import messages

log = logging.getLogger("moground.server.worker")

Handle = Callable[[Sequence[Any]], list[bytes]]


def job_loop(ctx: zmq.Context, endpoint: str, worker_id: bytes,
             setup: Callable[[], tuple[Handle, dict]], should_exit: Callable[[], bool] = lambda: False) -> None:
    """Connect, build the engine via ``setup``, announce ready, then serve jobs until stopped."""
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.IDENTITY, worker_id)
    sock.setsockopt(zmq.LINGER, 2000)
    sock.connect(endpoint)
    try:
        try:
            handle, info = setup()
        except Exception as exc:  # noqa: BLE001 - report why, let the front end decide
            code = exc.code if isinstance(exc, MoGroundError) else "internal"
            log.error("worker %s could not load its engine: %s", worker_id.decode(), exc)
            sock.send_multipart(messages.failed(code, str(exc)))
            return
        sock.send_multipart(messages.ready(info))
        while not should_exit():
            if not sock.poll(500):
                continue
            msg = messages.parse(sock.recv_multipart(copy=False))
            if msg.verb == messages.STOP:
                break
            if msg.verb == messages.JOB:
                try:
                    reply = handle(msg.frames)
                except Exception as exc:  # noqa: BLE001 - handle() promises not to raise; if it does, answer
                    log.exception("request handler raised")
                    from ..wire.protocol import make_error_reply

                    reply = make_error_reply(None, "internal", f"internal error: {type(exc).__name__}")
                sock.send_multipart(messages.done(msg.job_id, reply), copy=False)
    finally:
        sock.close()


def _orphaned(parent_pid: int) -> Callable[[], bool]:
    return lambda: not parent_alive(parent_pid)


def process_main(argv: list[str] | None = None) -> int:
    """Entry of a worker process: ``python -m moground.server.worker '<json config>'``."""
    cfg = json.loads((argv or sys.argv[1:])[0])
    die_with_parent(cfg["parent_pid"], signal.SIGKILL)  # a front end killed with -9 takes us along
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the front end decides
    logging.basicConfig(level=cfg.get("log_level", "INFO"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def setup() -> tuple[Handle, dict]:
        from .engines import resolve_factory
        from .handler import RequestHandler

        engine = resolve_factory(cfg["factory"])(**cfg.get("factory_kwargs", {}))
        info = engine.info() if hasattr(engine, "info") else {}
        return RequestHandler(engine).handle, {**info, "pid": os.getpid()}

    ctx = zmq.Context()
    try:
        job_loop(ctx, cfg["endpoint"], cfg["worker_id"].encode(), setup, _orphaned(cfg["parent_pid"]))
    finally:
        ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(process_main())
