"""Start a ``moground serve`` on a free loopback port, wait until it answers, stop it.

The one local-backend starter: the add-on uses it when no backend answers (with the
``moground`` command from its preferences), ``moground segment`` and the batch
benchmark for one batch run (with this interpreter's ``-m moground.cli``). Imports
only the standard library and the wire client, so it runs inside Blender.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

from ..client import BackendUnavailable, Client
from ..errors import MoGroundError, Timeout


class Cancelled(Exception):
    """The caller gave up while the backend was starting (the artist pressed Esc)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def probe(address: str, timeout_s: float = 1.0) -> bool:
    """One ``health`` request; True when a backend answers at ``address``."""
    with Client(address, timeout_s=timeout_s, retries=0) as client:
        try:
            client.health()
            return True
        except MoGroundError:
            return False


def log_tail(path: str | os.PathLike | None, n_chars: int = 600) -> str:
    if not path:
        return ""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()[-n_chars:].strip()
    except OSError:
        return ""


class LocalBackend:
    """``moground serve --bind tcp://127.0.0.1:<free port>`` as a child process.

    ``command`` is how to run ``moground`` (default: this interpreter's
    ``-m moground.cli``); ``log_path`` receives its output (default: a temporary
    file, quoted in start-up errors and removed by :meth:`stop`). With
    ``stop_with_parent`` (default) the backend watches this process and stops when it
    is gone, even after a SIGKILL. As a context manager: start, yield the address, stop.
    """

    def __init__(self, workers: int = 1, *, command: Sequence[str] | None = None,
                 log_path: str | os.PathLike | None = None, start_timeout_s: float = 120.0,
                 extra_args: Sequence[str] = (), stop_with_parent: bool = True) -> None:
        self.workers = max(1, int(workers))
        self.command = list(command) if command else [sys.executable, "-m", "moground.cli"]
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.log_path = Path(log_path) if log_path else None
        self.start_timeout_s = start_timeout_s
        self.extra_args = list(extra_args)
        self.stop_with_parent = stop_with_parent
        self.proc: subprocess.Popen | None = None
        self._temp_log = False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def launch(self) -> None:
        """Start the process (once); does not wait for it to answer."""
        if self.running:
            return
        if self.log_path is None:
            with tempfile.NamedTemporaryFile(prefix="moground-serve-", suffix=".log",
                                             delete=False) as fh:
                self.log_path = Path(fh.name)
            self._temp_log = True
        cmd = [*self.command, "serve", "--bind", self.address, "--workers", str(self.workers),
               *self.extra_args]
        if self.stop_with_parent:  # the backend stops when this process is gone, even SIGKILLed
            cmd += ["--parent-pid", str(os.getpid())]
        with open(self.log_path, "ab") as log:
            try:
                self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL,
                                             start_new_session=os.name != "nt")
            except OSError as exc:
                raise BackendUnavailable(
                    f"Could not start a local backend with '{self.command[0]}': {exc}. "
                    "Set the path of the `moground` command in the add-on preferences."
                ) from None

    def wait_ready(self, should_stop: Callable[[], bool] | None = None) -> str:
        """Block until the backend answers a health request; its address."""
        proc = self.proc
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if proc is None or (should_stop is not None and should_stop()):
                raise Cancelled()
            if proc.poll() is not None:
                raise BackendUnavailable(
                    f"The local backend exited with code {proc.returncode}: "
                    f"{log_tail(self.log_path)} (log: {self.log_path})")
            if probe(self.address, timeout_s=1.0):
                return self.address
            time.sleep(0.1)
        raise Timeout(f"The local backend did not answer within {self.start_timeout_s:g} s "
                      f"(log: {self.log_path})")

    def start(self, should_stop: Callable[[], bool] | None = None) -> str:
        """Launch and wait; a backend that never answers is stopped before raising."""
        self.launch()
        try:
            return self.wait_ready(should_stop)
        except Timeout:
            self.stop()
            raise

    def stop(self) -> None:
        """Terminate the process (and its process group), killing it after 10 s."""
        proc, self.proc = self.proc, None
        if self._temp_log and self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path, self._temp_log = None, False
        if proc is None or proc.poll() is not None:
            return
        try:
            if os.name != "nt":
                os.killpg(proc.pid, signal.SIGTERM)
            else:
                proc.terminate()
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                if os.name != "nt":
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    proc.kill()
            except ProcessLookupError:
                pass
            proc.wait()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
