"""Reaching the backend from Blender: settings, health check, local start, one request.

Nothing here touches ``bpy`` data, so the worker thread can run :func:`ground`
while Blender's main thread stays free. The wire client and the local-backend
starter are vendored into ``wire/`` by build_addon.py from ``backend/moground/``.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass

from .wire.blender.edits import constraints_for
from .wire.blender.local_backend import Cancelled, LocalBackend
from .wire.client import BackendUnavailable, Client
from .wire.errors import MoGroundError, Timeout, UnmappableRig
from .wire.protocol import DEFAULT_ADDRESS

HEALTH_TIMEOUT_S = 2.0
_local: LocalBackend | None = None  # the backend this session started, if any
_local_lock = threading.Lock()


@dataclass
class Settings:
    address: str = DEFAULT_ADDRESS
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


def start_local_backend(settings: Settings, cancelled: threading.Event | None = None) -> str:
    """Run ``moground serve`` on a free loopback port (once per session); its address.

    Waits until it answers a health request, so the caller can send at once.
    """
    global _local
    with _local_lock:
        if _local is None or not _local.running:
            _local = LocalBackend(command=[settings.backend_command],
                                  start_timeout_s=settings.startup_wait_s)
            _local.launch()
        local = _local
    try:
        return local.wait_ready(cancelled.is_set if cancelled is not None else None)
    except Timeout as exc:  # still loading: the next request waits on the same process
        raise BackendUnavailable(exc.message) from None


def stop_local_backend() -> None:
    """Stop the backend this session started, if any."""
    global _local
    with _local_lock:
        local, _local = _local, None
    if local is not None:
        local.stop()


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


def _call(settings: Settings, cancelled: threading.Event | None, send) -> dict:
    """``send(client)`` against a backend that answers now; a silent one is a Timeout."""
    address = resolve_address(settings, cancelled)
    if cancelled is not None and cancelled.is_set():
        raise Cancelled()
    with _client(settings, address, settings.timeout_s) as client:
        try:
            return send(client)
        except BackendUnavailable:
            raise Timeout(
                f"The backend at {address} did not answer within {settings.timeout_s:g} s "
                "(timeout). Raise the timeout in the add-on preferences for long takes."
            ) from None


def ground(motion: dict, prompt: str, method: str, settings: Settings,
           cancelled: threading.Event | None = None, rig_override: dict | None = None) -> dict:
    """Send one grounding request for ``motion`` (from motion_reader); the result dict.
    ``rig_override``: the panel's rig-mapping file, {canonical joint: bone name}."""
    return _call(settings, cancelled, lambda c: c.ground_motion(motion, prompt=prompt, method=method,
                                                                rig_override=rig_override))


def ground_keeping(motion: dict, prompt: str, method: str, settings: Settings, edits: dict,
                   cancelled: threading.Event | None = None, rig_override: dict | None = None) -> dict:
    """Ground ``motion`` keeping the artist's edits (``edits.ArtistEdits.to_data``): with
    the previous sub-actions when the prompt is unchanged, else the prompt's new ones
    (one decompose request), the kept strips that still fit as constraints. The result
    gains ``dropped``: names of kept strips that no longer fit. ``rig_override`` as for ``ground``."""
    kept, pins = edits.get("kept") or [], edits.get("pins") or []
    if not kept and not pins:
        return ground(motion, prompt, method, settings, cancelled, rig_override=rig_override)

    def send(client) -> dict:
        same = prompt == edits.get("prompt") and edits.get("sub_actions")
        actions = list(edits["sub_actions"]) if same else client.decompose(prompt)
        constraints, dropped = constraints_for(kept, actions, pins)
        result = client.ground_motion(motion, actions=actions, method=method, constraints=constraints or None,
                                      rig_override=rig_override)
        result["dropped"] = dropped
        return result

    return _call(settings, cancelled, send)


def search(query: str, settings: Settings, *, rigs: list | None = None, index: str | None = None,
           options: dict | None = None, cancelled: threading.Event | None = None) -> dict:
    """Send one search: the takes of ``rigs`` (the open file's actions) or the server
    index named ``index``; the reply (``hits``, best first)."""
    return _call(settings, cancelled, lambda c: c.search(query, index=index, rigs=rigs, options=options))


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
