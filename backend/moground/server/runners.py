"""Execution backends for the broker's worker slots: OS processes (default) or threads.

A runner only starts, watches and stops one worker; the job protocol lives in
``worker.job_loop`` so both kinds speak it identically.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from typing import Callable, Protocol

import zmq

log = logging.getLogger("moground.server")


class Runner(Protocol):
    pid: int | None

    def alive(self) -> bool: ...
    def exit_code(self) -> int | None: ...
    def kill(self) -> None: ...
    def join(self, timeout: float) -> None: ...


class ProcessRunner:
    """A worker in its own Python process: a crash or SIGKILL costs one request only."""

    def __init__(self, endpoint: str, worker_id: str, factory: str, factory_kwargs: dict) -> None:
        cfg = {
            "endpoint": endpoint,
            "worker_id": worker_id,
            "factory": factory,
            "factory_kwargs": factory_kwargs,
            "parent_pid": os.getpid(),
            "log_level": logging.getLevelName(logging.getLogger().level),
        }
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)  # factories importable as here
        self.proc = subprocess.Popen([sys.executable, "-m", "moground.server.worker", json.dumps(cfg)],
                                     env=env, stdin=subprocess.DEVNULL)
        self.pid: int | None = self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def exit_code(self) -> int | None:
        return self.proc.poll()

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()

    def join(self, timeout: float) -> None:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("worker pid %s did not stop in %.0f s; killing it", self.pid, timeout)
            self.proc.kill()
            self.proc.wait(5)


class ThreadRunner:
    """A worker thread in the front-end process, for backends whose heavy work happens
    elsewhere anyway (Ray Serve replicas). It cannot be killed, only asked to exit."""

    def __init__(self, ctx: zmq.Context, endpoint: str, worker_id: str,
                 setup: Callable) -> None:
        from .worker import job_loop

        self._exit = threading.Event()
        self.pid: int | None = os.getpid()
        self.thread = threading.Thread(
            target=job_loop, args=(ctx, endpoint, worker_id.encode(), setup, self._exit.is_set),
            name=f"moground-{worker_id}", daemon=True,
        )
        self.thread.start()

    def alive(self) -> bool:
        return self.thread.is_alive()

    def exit_code(self) -> int | None:
        return None if self.alive() else 0

    def kill(self) -> None:
        self._exit.set()

    def join(self, timeout: float) -> None:
        self._exit.set()
        self.thread.join(timeout)
