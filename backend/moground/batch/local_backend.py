"""A ``moground serve`` subprocess on a free loopback port, for one batch run."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..errors import MoGroundError, Timeout

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def probe(address: str, timeout_s: float = 1.0) -> bool:
    """One ``health`` request with the project's client; True when the backend answers."""
    from ..client import Client

    client = Client(address, timeout_s=timeout_s, retries=0)
    try:
        health = getattr(client, "health", None)
        if health is not None:
            health()
        else:
            client.info()
        return True
    except MoGroundError:
        return False
    finally:
        close = getattr(client, "close", None)
        if close:
            close()


class LocalBackend:
    """Context manager: start ``moground serve``, wait until healthy, stop on exit."""

    def __init__(self, workers: int = 1, *, log_path: Path | None = None,
                 start_timeout_s: float = 120.0, extra_args: list[str] | None = None) -> None:
        self.workers = max(1, workers)
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.log_path = log_path
        self.start_timeout_s = start_timeout_s
        self.extra_args = extra_args or []
        self.proc: subprocess.Popen | None = None
        self._log_fh = None

    def start(self) -> str:
        cmd = [sys.executable, "-m", "moground.cli", "serve", "--bind", self.address,
               "--workers", str(self.workers), *self.extra_args]
        self._log_fh = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        log.info("starting local backend: %s", " ".join(cmd))
        self.proc = subprocess.Popen(cmd, stdout=self._log_fh, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise MoGroundError(
                    f"local backend exited with status {self.proc.returncode}"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            if probe(self.address, timeout_s=1.0):
                return self.address
            time.sleep(0.2)
        self.stop()
        raise Timeout(f"local backend did not answer within {self.start_timeout_s:.0f} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        if self._log_fh not in (None, subprocess.DEVNULL):
            self._log_fh.close()
        self._log_fh = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
