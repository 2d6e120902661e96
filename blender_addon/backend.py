"""Reaching the backend from Blender: settings, health check, local start, one request.

Nothing here touches ``bpy`` data, so the worker thread can run :func:`ground`
while Blender's main thread stays free. The wire client is vendored into ``wire/``
by build_addon.py from ``backend/moground/{protocol,client,errors}.py``.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

from .wire.client import BackendUnavailable, Client
from .wire.errors import MoGroundError, Timeout, UnmappableRig

HEALTH_TIMEOUT_S = 2.0
_local = {"process": None, "address": None, "log": None}
_local_lock = threading.Lock()


class Cancelled(Exception):
    """The artist pressed Esc; the result, if it ever comes, is dropped."""


@dataclass
class Settings:
    address: str = "tcp://127.0.0.1:5757"
    timeout_s: float = 120.0
    curve_server_key: str = ""
    curve_client_keys: str = ""
    start_local: bool = False
    backend_command: str = "moground"
    startup_wait_s: float = 60.0

    @classmethod
    def from_preferences(cls, prefs) -> "Settings":
        """Settings from the add-on preferences; defaults when there are none."""
        if prefs is None:
            return cls()
        return cls(**{name: getattr(prefs, name) for name in cls.__dataclass_fields__})


def _client(settings: Settings, address: str, timeout_s: float) -> Client:
    return Client(
        address,
        timeout_s=timeout_s,
        retries=0,
        curve_server_key=settings.curve_server_key or None,
        curve_client_keys=settings.curve_client_keys or None,
    )


def is_alive(settings: Settings, address: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
    """True when a backend answers a health request at ``address``."""
    with _client(settings, address, timeout_s) as client:
        try:
            client.health()
            return True
        except BackendUnavailable:
            return False


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(path: str, n_chars: int = 600) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()[-n_chars:].strip()
    except OSError:
        return ""


def start_local_backend(settings: Settings, cancelled: threading.Event | None = None) -> str:
    """Run ``moground serve`` on a free loopback port (once per session); its address.

    Waits until it answers a health request, so the caller can send at once.
    """
    with _local_lock:
        proc = _local["process"]
        if proc is None or proc.poll() is not None:
            address = f"tcp://127.0.0.1:{_free_loopback_port()}"
            log = tempfile.NamedTemporaryFile(prefix="moground-serve-", suffix=".log", delete=False)
            try:
                proc = subprocess.Popen(
                    [settings.backend_command, "serve", "--bind", address],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=os.name != "nt",
                )
            except OSError as exc:
                raise BackendUnavailable(
                    f"Could not start a local backend with '{settings.backend_command}': {exc}. "
                    "Set the path of the `moground` command in the add-on preferences."
                ) from None
            finally:
                log.close()
            _local.update(process=proc, address=address, log=log.name)
        address, log_path = _local["address"], _local["log"]
    deadline = time.monotonic() + settings.startup_wait_s
    while time.monotonic() < deadline:
        if cancelled is not None and cancelled.is_set():
            raise Cancelled()
        if proc.poll() is not None:
            raise BackendUnavailable(
                f"The local backend exited with code {proc.returncode}: {_log_tail(log_path)}"
            )
        if is_alive(settings, address, timeout_s=1.0):
            return address
    raise BackendUnavailable(
        f"The local backend did not answer within {settings.startup_wait_s:g} s "
        f"(log: {log_path})"
    )


def stop_local_backend() -> None:
    """Stop the backend this session started, if any."""
    with _local_lock:
        proc = _local["process"]
        _local.update(process=None, address=None)
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


atexit.register(stop_local_backend)


def resolve_address(settings: Settings, cancelled: threading.Event | None = None) -> str:
    """The address of a backend that answers now, starting a local one if allowed."""
    if is_alive(settings, settings.address):
        return settings.address
    if settings.start_local:
        return start_local_backend(settings, cancelled)
    raise BackendUnavailable(
        f"No MoGround backend answers at {settings.address}. Start one with "
        f"`moground serve --bind {settings.address}`, or enable 'Start a local backend' "
        "in the add-on preferences."
    )


def ground(motion: dict, prompt: str, method: str, settings: Settings,
           cancelled: threading.Event | None = None) -> dict:
    """Send one grounding request for ``motion`` (from motion_reader); the result dict."""
    address = resolve_address(settings, cancelled)
    if cancelled is not None and cancelled.is_set():
        raise Cancelled()
    with _client(settings, address, settings.timeout_s) as client:
        try:
            return client.ground_motion(motion, prompt=prompt, method=method)
        except BackendUnavailable:
            raise Timeout(
                f"The backend at {address} did not answer within {settings.timeout_s:g} s "
                "(timeout). Raise the timeout in the add-on preferences for long takes."
            ) from None


def describe_error(exc: BaseException) -> str:
    """One clear sentence for the artist, naming what to do where possible."""
    if isinstance(exc, UnmappableRig):
        missing = [str(j) for j in exc.details.get("missing") or []]
        if all(j in exc.message for j in missing):
            return f"Rig not mappable: {exc.message}"
        return f"Rig not mappable, missing joints: {', '.join(missing)}. {exc.message}"
    if isinstance(exc, MoGroundError):
        return f"{exc.message} [{exc.code}]"
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return message
