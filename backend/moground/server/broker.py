"""The front end: a ROUTER socket for clients, a ROUTER socket for workers, and a broker
loop that validates, queues, dispatches, times out and logs every request.

Everything a client can send is parsed and checked here, before any worker sees it, so
hostile input costs the front end one small error reply and never reaches the model.
The loop is single-threaded: no locks, and its state is easy to reason about.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

import zmq

from .. import __version__
from ..wire.errors import MoGroundError
from ..wire.protocol import (
    DEFAULT_ADDRESS,
    PROTOCOL_VERSION,
    REQUEST_KINDS,
    decode_message,
    error_reply_for,
    make_error_reply,
    make_reply,
    peek_request_id,
    validate_request,
)
from ..wire.limits import LIMITS
from . import messages
from .engines import DEFAULT_FACTORY
from .runners import ProcessRunner, Runner
from ..lifeline import parent_alive
from .security import check_bind, enable_curve_server

log = logging.getLogger("moground.server")
reqlog = logging.getLogger("moground.server.requests")


@dataclass
class ServerConfig:
    bind: str = DEFAULT_ADDRESS
    workers: int = 1
    device: str = "cpu"
    encoder: str = "builtin"
    encoder_path: str | None = None
    encoder_options: dict = field(default_factory=dict)  # e.g. TMR stats_dir, distilbert_dir
    llm: dict | None = None  # LLMConfig fields; plain data so it crosses to worker processes
    seed: int = 0
    curve_keys: str | None = None
    queue: int = 16             # requests waiting for a worker; more get `busy`
    deadline_s: float = 120.0   # from receipt to reply; past it the client gets `timeout`
    kill_grace_s: float = 30.0  # a worker still busy this long past a deadline is restarted
    drain_s: float = 30.0       # on SIGTERM, how long in-flight work may finish
    engine_factory: str = DEFAULT_FACTORY
    ray: bool = False
    ray_address: str | None = None
    upload_stall_s: float = LIMITS["upload_stall_s"]  # a silent peer is dropped after this
    parent_pid: int | None = None  # stop when this process is gone (a `moground segment` run)
    indexes: dict = field(default_factory=dict)  # name → index folder: what `search` may name

    def factory_kwargs(self) -> dict:
        kwargs = {
            "encoder": self.encoder, "encoder_path": self.encoder_path, "device": self.device, "seed": self.seed,
            "encoder_options": dict(self.encoder_options), "llm": self.llm,
        }
        if self.indexes:  # only then: engine factories without search keep working
            kwargs["indexes"] = dict(self.indexes)
        return kwargs


FATAL_LOAD_CODES = ("index_mismatch", "unknown_index", "unreadable_file")
"""A worker that fails to load for one of these would fail again: stop at once."""


def open_catalog(indexes: dict[str, str]) -> dict[str, dict]:
    """Open each index once (manifest and array shapes, no torch) so that a missing or
    damaged one stops the server at start; name → what ``info`` says about it."""
    from ..library.store import LibraryIndex

    catalog = {}
    for name, path in indexes.items():
        try:
            catalog[name] = {"name": name, **LibraryIndex.open(path).summary()}
        except MoGroundError as exc:
            exc.message = f"--index {name}={path}: {exc.message}"
            raise
    return catalog


@dataclass
class Job:
    seq: bytes
    client: bytes
    request_id: str
    kind: str
    frames: list
    received: float
    deadline: float
    n_frames: int | None = None
    k: int | None = None
    abandoned: bool = False


@dataclass
class Slot:
    """One worker position; its runner is replaced (``gen`` + 1) when the worker dies."""

    index: int
    gen: int
    runner: Runner
    started: float
    ready: bool = False
    job: Job | None = None
    respawn_at: float | None = None

    @property
    def wid(self) -> bytes:
        return f"w{self.index}.{self.gen}".encode()


class Server:
    def __init__(self, config: ServerConfig, runner_factory: Callable[..., Runner] | None = None) -> None:
        self.cfg = config
        self._runner_factory = runner_factory
        self._seq = itertools.count(1)
        self.slots: list[Slot] = []
        self.queue: deque[Job] = deque()
        self.active: dict[tuple[bytes, str], Job] = {}  # (client routing id, request_id) → job
        self.engine_info: dict | None = None
        self.stopping = False
        self._stop_at: float | None = None
        self._startup_failures = 0
        self._fatal: str | None = None
        self._fatal_code = "internal"
        self._started = time.monotonic()
        self.bound_endpoint: str | None = None
        self.catalog: dict[str, dict] = {}

    # ------------------------------------------------------------------ lifecycle

    def request_stop(self, *_: Any) -> None:
        if not self.stopping:
            log.info("shutdown requested: refusing new work, finishing requests in flight")
        self.stopping = True

    def run(self) -> int:
        """Serve until SIGINT/SIGTERM (or :meth:`request_stop`); returns an exit code."""
        check_bind(self.cfg.bind, self.cfg.curve_keys)
        self.catalog = open_catalog(self.cfg.indexes)
        ctx = zmq.Context()
        tmpdir = tempfile.mkdtemp(prefix="moground-")
        authenticator = None
        front = ctx.socket(zmq.ROUTER)
        back = ctx.socket(zmq.ROUTER)
        try:
            front.setsockopt(zmq.LINGER, 2000)
            front.setsockopt(zmq.MAXMSGSIZE, LIMITS["max_message_bytes"])
            # a Lazy Pirate resend reconnects with the same routing id: it takes over the old pipe
            front.setsockopt(zmq.ROUTER_HANDOVER, 1)
            # a peer silent for upload_stall_s (a stalled partial upload, a half-open
            # connection) is dropped, and libzmq frees what it had buffered for it
            stall_ms = max(100, int(self.cfg.upload_stall_s * 1000))
            front.setsockopt(zmq.HEARTBEAT_IVL, min(5000, stall_ms))
            front.setsockopt(zmq.HEARTBEAT_TIMEOUT, stall_ms)
            if self.cfg.curve_keys:
                authenticator = enable_curve_server(ctx, front, self.cfg.curve_keys)
            try:
                front.bind(self.cfg.bind)
            except zmq.ZMQError as exc:
                raise MoGroundError(f"cannot bind {self.cfg.bind}: {exc}") from None
            self.bound_endpoint = front.getsockopt_string(zmq.LAST_ENDPOINT)
            back.setsockopt(zmq.LINGER, 0)
            back_ep = f"ipc://{tmpdir}/workers" if zmq.has("ipc") else "tcp://127.0.0.1:*"
            back.bind(back_ep)
            self._back_endpoint = back.getsockopt_string(zmq.LAST_ENDPOINT)
            self._ctx, self.front, self.back = ctx, front, back
            self._install_signals()
            for i in range(max(1, self.cfg.workers)):
                self.slots.append(self._spawn(i, 0))
            log.info("listening on %s (%s, %d workers, queue %d, deadline %g s%s)", self.bound_endpoint,
                     "ray" if self.cfg.ray else "processes", len(self.slots), self.cfg.queue,
                     self.cfg.deadline_s, ", CURVE" if self.cfg.curve_keys else "")
            self._loop()
        finally:
            self._shutdown_workers()
            close_backend = getattr(self._runner_factory, "close", None)
            if close_backend is not None:
                close_backend()
            front.close(linger=2000)
            back.close(linger=0)
            if authenticator is not None:
                authenticator.stop()
            ctx.term()
            shutil.rmtree(tmpdir, ignore_errors=True)
        if self._fatal:
            fatal = MoGroundError(self._fatal)
            fatal.code = self._fatal_code
            raise fatal
        log.info("stopped")
        return 0

    def _install_signals(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self.request_stop)
            signal.signal(signal.SIGTERM, self.request_stop)

    def _spawn(self, index: int, gen: int) -> Slot:
        wid = f"w{index}.{gen}"
        if self._runner_factory is not None:
            runner = self._runner_factory(self._ctx, self._back_endpoint, wid)
        else:
            runner = ProcessRunner(self._back_endpoint, wid, self.cfg.engine_factory, self.cfg.factory_kwargs())
        return Slot(index, gen, runner, time.monotonic())

    def _shutdown_workers(self) -> None:
        for slot in self.slots:
            if slot.runner.alive():
                try:
                    self.back.send_multipart([slot.wid, *messages.stop()], flags=zmq.NOBLOCK)
                except (zmq.ZMQError, AttributeError):
                    pass
        for slot in self.slots:
            slot.runner.join(5.0)

    # ------------------------------------------------------------------ loop

    def _loop(self) -> None:
        poller = zmq.Poller()
        poller.register(self.front, zmq.POLLIN)
        poller.register(self.back, zmq.POLLIN)
        while self._fatal is None:
            events = dict(poller.poll(100))
            if self.back in events:
                for _ in range(100):
                    try:
                        msg = self.back.recv_multipart(zmq.NOBLOCK, copy=False)
                    except zmq.Again:
                        break
                    self._guarded(self._on_worker, msg)
            if self.front in events:
                for _ in range(100):
                    try:
                        msg = self.front.recv_multipart(zmq.NOBLOCK, copy=False)
                    except zmq.Again:
                        break
                    self._guarded(self._on_client, msg)
            now = time.monotonic()
            if self.cfg.parent_pid is not None and not self.stopping and not parent_alive(self.cfg.parent_pid):
                log.warning("parent process %d is gone; stopping", self.cfg.parent_pid)
                self.request_stop()
            self._watch_workers(now)
            self._expire(now)
            self._dispatch()
            if self.stopping and self._drained(now):
                return

    def _guarded(self, handler: Callable[[list], None], msg: list) -> None:
        """One message's handling: a bug costs that message (an ``internal`` reply to a
        client), never the server."""
        try:
            handler(msg)
        except Exception as exc:  # noqa: BLE001 - the loop must survive any single message
            log.exception("unexpected error while handling a %s message", "client" if handler == self._on_client else "worker")
            if handler == self._on_client and msg:
                try:
                    self._send(msg[0].bytes, make_error_reply(None, "internal", f"internal error: {type(exc).__name__}"))
                except Exception:  # noqa: BLE001
                    pass

    def _drained(self, now: float) -> bool:
        if self._stop_at is None:
            self._stop_at = now + self.cfg.drain_s
            for job in list(self.queue):
                self._fail(job, "busy", "the server is shutting down; retry against another backend")
            self.queue.clear()
        busy = [s.job for s in self.slots if s.job is not None and not s.job.abandoned]
        if not busy:
            return True
        if now >= self._stop_at:
            for job in busy:
                self._fail(job, "timeout", "the server shut down before this request finished")
            return True
        return False

    # ------------------------------------------------------------------ clients

    def _on_client(self, msg: list) -> None:
        client, frames = msg[0].bytes, msg[1:]
        t0 = time.monotonic()
        try:
            header, arrays = decode_message(frames)
            validate_request(header, arrays)
        except MoGroundError as exc:
            rid = peek_request_id(frames) if frames else None
            self._send(client, error_reply_for(exc, rid))
            self._log(rid, None, None, None, t0, exc.code)
            return
        except Exception as exc:  # noqa: BLE001 - the parser must never take the server down
            log.exception("unexpected error while parsing a request")
            self._send(client, make_error_reply(peek_request_id(frames), "internal", f"internal error: {type(exc).__name__}"))
            return
        rid, kind = header["request_id"], header["kind"]
        if kind == "health":
            self._send(client, make_reply(rid, kind, self._health()))
            self._log(rid, kind, None, None, t0, "ok")
            return
        if kind == "info":
            self._send(client, make_reply(rid, kind, self._info()))
            self._log(rid, kind, None, None, t0, "ok")
            return
        key = (client, rid)
        if key in self.active:  # a Lazy Pirate resend (same routing id): answer it, work once
            if not _same_frames(self.active[key].frames, frames):
                self._send(client, make_error_reply(
                    rid, "bad_request", "request_id is already in use by a different request from this client; "
                    "use a fresh id per request", kind=kind))
                self._log(rid, kind, None, None, t0, "bad_request")
            return
        if kind == "search" and header.get("index") is not None and header["index"] not in self.catalog:
            names = ", ".join(sorted(self.catalog)) or "none (start it with --index NAME=PATH)"
            self._send(client, make_error_reply(
                rid, "unknown_index", f"this server has no index named {header['index']!r}; its indexes: {names}",
                kind=kind, details={"indexes": sorted(self.catalog)}))
            self._log(rid, kind, None, None, t0, "unknown_index")
            return
        n_frames = _request_frames(kind, arrays)
        k = len(header["actions"]) if kind == "ground" and header.get("actions") else None
        if self.stopping:
            self._send(client, make_error_reply(rid, "busy", "the server is shutting down", kind=kind))
            self._log(rid, kind, n_frames, k, t0, "busy")
            return
        if len(self.queue) >= self.cfg.queue:
            self._send(client, make_error_reply(
                rid, "busy", f"{len(self.queue)} requests already wait for a worker; retry later", kind=kind))
            self._log(rid, kind, n_frames, k, t0, "busy")
            return
        job = Job(str(next(self._seq)).encode(), client, rid, kind, frames, t0, t0 + self.cfg.deadline_s, n_frames, k)
        self.active[key] = job
        self.queue.append(job)
        self._dispatch()

    def _send(self, client: bytes, frames: list) -> None:
        # ROUTER drops messages for vanished clients; it never blocks the loop.
        self.front.send_multipart([client, *frames], copy=False)

    def _fail(self, job: Job, code: str, message: str) -> None:
        self.active.pop((job.client, job.request_id), None)
        job.abandoned = True
        self._send(job.client, make_error_reply(job.request_id, code, message, kind=job.kind))
        self._log(job.request_id, job.kind, job.n_frames, job.k, job.received, code)

    def _log(self, rid: str | None, kind: str | None, frames: int | None, k: int | None, t0: float, outcome: str) -> None:
        # health/info polls (the add-on checks health often) log at DEBUG so they don't drown real work
        level = logging.DEBUG if kind in ("health", "info") and outcome == "ok" else logging.INFO
        reqlog.log(level, "request %s", json.dumps({
            "id": rid, "kind": kind, "frames": frames, "K": k,
            "ms": round((time.monotonic() - t0) * 1000, 1), "outcome": outcome,
        }))

    def _health(self) -> dict:
        ready = sum(s.ready for s in self.slots)
        return {
            "status": "stopping" if self.stopping else ("ok" if ready else "starting"),
            "workers": [{"id": s.wid.decode(), "pid": s.runner.pid, "ready": s.ready, "busy": s.job is not None}
                        for s in self.slots],
            "workers_ready": ready,
            "queued": len(self.queue),
            "in_flight": sum(s.job is not None for s in self.slots),
            "uptime_s": round(time.monotonic() - self._started, 1),
            "server_pid": os.getpid(),
        }

    def _info(self) -> dict:
        return {
            "version": __version__,
            "protocol": PROTOCOL_VERSION,
            "kinds": list(REQUEST_KINDS),
            "limits": {**LIMITS, "upload_stall_s": self.cfg.upload_stall_s},
            "server": {
                "backend": "ray" if self.cfg.ray else "processes",
                "workers": len(self.slots), "queue": self.cfg.queue, "deadline_s": self.cfg.deadline_s,
                "device": self.cfg.device, "encoder": self.cfg.encoder, "curve": bool(self.cfg.curve_keys),
            },
            "engine": self.engine_info,
            "indexes": [dict(v) for v in self.catalog.values()],
        }

    # ------------------------------------------------------------------ workers

    def _slot(self, wid: bytes) -> Slot | None:
        return next((s for s in self.slots if s.wid == wid), None)

    def _on_worker(self, raw: list) -> None:
        slot = self._slot(raw[0].bytes)
        msg = messages.parse(raw[1:])
        if slot is None:
            return  # a worker we already replaced
        if msg.verb == messages.READY:
            slot.ready = True
            self._startup_failures = 0
            info = msg.data
            if self.engine_info is None:
                self.engine_info = {k: v for k, v in info.items() if k != "pid"}
            log.info("worker %s ready (pid %s)", slot.wid.decode(), slot.runner.pid)
        elif msg.verb == messages.FAILED:
            why = f"engine failed to load: {msg.data.get('message', '?')}"
            if msg.data.get("code") in FATAL_LOAD_CODES:
                self._fatal, self._fatal_code = why, msg.data["code"]  # restarting cannot help
                return
            self._worker_lost(slot, why)
        elif msg.verb == messages.DONE:
            job, slot.job = slot.job, None
            if job is None or job.seq != msg.job_id or job.abandoned:
                return  # late answer to a request that already timed out
            self.active.pop((job.client, job.request_id), None)
            reply = msg.frames
            self._send(job.client, reply)
            self._log(job.request_id, job.kind, job.n_frames, job.k or _reply_k(reply[0].bytes), job.received,
                      _reply_outcome(reply[0].bytes))

    def _worker_lost(self, slot: Slot, why: str) -> None:
        """A worker died or could not start: fail its job, respawn it (or give up at startup)."""
        job, slot.job = slot.job, None
        if job is not None and not job.abandoned:
            self._fail(job, "internal", f"the worker handling this request stopped ({why}); "
                                        "it is being restarted, retry the request")
        log.error("worker %s (pid %s) lost: %s", slot.wid.decode(), slot.runner.pid, why)
        slot.runner.kill()
        if not slot.ready:
            self._startup_failures += 1
            if self.engine_info is None and self._startup_failures >= max(2, len(self.slots)):
                self._fatal = f"no worker could start: {why}"
                return
        new = self._spawn(slot.index, slot.gen + 1) if not self.stopping else None
        if new is not None:
            self.slots[self.slots.index(slot)] = new

    def _watch_workers(self, now: float) -> None:
        for slot in list(self.slots):
            if not slot.runner.alive() and (slot.job is not None or not self.stopping):
                self._worker_lost(slot, f"exit code {slot.runner.exit_code()}")
            elif slot.job is not None and slot.job.abandoned and now > slot.job.deadline + self.cfg.kill_grace_s:
                log.warning("worker %s still busy %.0f s past a deadline; restarting it", slot.wid.decode(),
                            now - slot.job.deadline)
                slot.runner.kill()

    def _expire(self, now: float) -> None:
        if self.queue and any(j.deadline <= now for j in self.queue):
            keep = deque()
            for job in self.queue:
                if job.deadline <= now:
                    self._fail(job, "timeout", f"no worker became free within the {self.cfg.deadline_s:g} s deadline")
                else:
                    keep.append(job)
            self.queue = keep
        for slot in self.slots:
            job = slot.job
            if job is not None and not job.abandoned and job.deadline <= now:
                self._fail(job, "timeout", f"the request did not finish within the {self.cfg.deadline_s:g} s deadline")

    def _dispatch(self) -> None:
        while self.queue:
            slot = next((s for s in self.slots if s.ready and s.job is None and s.runner.alive()), None)
            if slot is None:
                return
            job = self.queue.popleft()
            slot.job = job
            self.back.send_multipart([slot.wid, *messages.job(job.seq, job.frames)], copy=False)


def _request_frames(kind: str, arrays: dict) -> int | None:
    """Motion frames a request carries (for the request log)."""
    if kind not in ("ground", "search") or not arrays:
        return None
    return int(sum(a.shape[0] for a in arrays.values()))


def _same_frames(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        memoryview(getattr(x, "buffer", x)) == memoryview(getattr(y, "buffer", y)) for x, y in zip(a, b))


def _reply_header(raw: bytes) -> dict:
    try:
        head = json.loads(raw)
        return head if isinstance(head, dict) else {}
    except ValueError:
        return {}


def _reply_outcome(raw: bytes) -> str:
    head = _reply_header(raw)
    if head.get("ok"):
        return "ok"
    return str((head.get("error") or {}).get("code", "internal"))


def _reply_k(raw: bytes) -> int | None:
    subs = _reply_header(raw).get("sub_actions")
    return len(subs) if isinstance(subs, list) else None
