"""Client for the MoGround backend: a DEALER socket with request ids and Lazy Pirate retries.

Used by the Blender add-on (vendored next to ``protocol.py`` and ``errors.py``), the
batch scripts and the tests. It never blocks forever: every wait is bounded by
``timeout_s``; after a silent attempt the socket is thrown away (LINGER 0) and a fresh
one resends the same request id, which the server de-duplicates. A Client is not
thread-safe: use one per thread.
"""

from __future__ import annotations

import os
import time
from typing import Any, Mapping, Sequence

import numpy as np
import zmq

from .methods import DEFAULT_METHOD
from .errors import MoGroundError
from .options import GroundOptions
from .protocol import (
    ProtocolError,
    decode_reply,
    encode_message,
    error_from_reply,
    make_decompose_request,
    make_ground_request,
    make_request,
    make_search_request,
    new_request_id,
    DEFAULT_ADDRESS,
    PROTOCOL_VERSION,
)


class BackendUnavailable(MoGroundError):
    """No reply at all: nothing listening, a CURVE key mismatch, or a hung server."""

    code = "backend_unavailable"


def _load_public_key(key: str | bytes | os.PathLike) -> bytes:
    """A CURVE public key given as Z85 text (40 chars) or as a path to a ``.key`` file."""
    if isinstance(key, bytes) and len(key) == 40:
        return key
    if isinstance(key, str) and len(key) == 40 and not os.path.exists(key):
        return key.encode("ascii")
    import zmq.auth

    public, _ = zmq.auth.load_certificate(os.fspath(key))
    return public


def _load_keypair(keys: Any) -> tuple[bytes, bytes]:
    """A CURVE key pair given as (public, secret) Z85 or as a path to a ``.key_secret`` file."""
    if isinstance(keys, (tuple, list)) and len(keys) == 2:
        return tuple(k.encode("ascii") if isinstance(k, str) else bytes(k) for k in keys)  # type: ignore[return-value]
    import zmq.auth

    public, secret = zmq.auth.load_certificate(os.fspath(keys))
    if secret is None:
        raise MoGroundError(f"{keys} holds no secret key; pass the client's .key_secret file")
    return public, secret


class Client:
    """Talks protocol v1 to ``moground serve``.

    timeout_s bounds each attempt; ``retries`` more attempts follow a silent one, so the
    longest a call can take is ``timeout_s * (retries + 1)``. Failed replies raise the
    MoGroundError subclass named by their code; no reply raises BackendUnavailable.
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        timeout_s: float = 10.0,
        retries: int = 2,
        curve_server_key: str | bytes | os.PathLike | None = None,
        curve_client_keys: Any = None,
        context: zmq.Context | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.address = address
        self.timeout_s = float(timeout_s)
        self.retries = max(0, int(retries))
        self._server_key = None if curve_server_key is None else _load_public_key(curve_server_key)
        self._client_keys = None
        if self._server_key is not None:
            if curve_client_keys is None:  # an ephemeral pair encrypts; an authorizing server refuses it
                curve_client_keys = zmq.curve_keypair()
            self._client_keys = _load_keypair(curve_client_keys)
        self._own_context = context is None
        self._ctx = context or zmq.Context()
        self._sock: zmq.Socket | None = None
        # one routing id for all of this client's sockets: the server de-duplicates on
        # (routing id, request_id), so a Lazy Pirate resend from a fresh socket is the
        # same request, and nobody else's request with the same id can take its reply
        self._routing_id = b"mg-" + os.urandom(16).hex().encode("ascii")

    # ------------------------------------------------------------------ socket

    def _socket(self) -> zmq.Socket:
        if self._sock is None:
            sock = self._ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.SNDTIMEO, int(self.timeout_s * 1000))
            sock.setsockopt(zmq.ROUTING_ID, self._routing_id)
            if self._server_key is not None and self._client_keys is not None:
                sock.curve_serverkey = self._server_key
                sock.curve_publickey, sock.curve_secretkey = self._client_keys
            sock.connect(self.address)
            self._sock = sock
        return self._sock

    def _drop_socket(self) -> None:
        if self._sock is not None:
            self._sock.close(linger=0)
            self._sock = None

    def close(self) -> None:
        """Close the socket (LINGER 0) and, if we made it, the context. Idempotent."""
        self._drop_socket()
        if self._own_context and not self._ctx.closed:
            self._ctx.term()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def request(self, header: Mapping[str, Any], arrays: Mapping[str, np.ndarray] | None = None,
                *, timeout_s: float | None = None) -> tuple[dict, dict[str, np.ndarray]]:
        """Send one request and return the successful reply as (header, arrays)."""
        head = dict(header)
        head.setdefault("protocol", PROTOCOL_VERSION)
        head.setdefault("request_id", new_request_id())
        frames = encode_message(head, arrays)
        timeout = float(timeout_s or self.timeout_s)
        attempts = self.retries + 1
        for _attempt in range(attempts):
            reply = self._attempt(frames, head["request_id"], timeout)
            if reply is not None:
                rhead, rarrays = reply
                if not rhead["ok"]:
                    raise error_from_reply(rhead)
                return rhead, rarrays
            self._drop_socket()  # Lazy Pirate: a silent socket may hold a stuck request
        raise BackendUnavailable(
            f"no backend answered at {self.address} within {timeout:g} s "
            f"({attempts} attempt{'s' if attempts > 1 else ''}); start one with `moground serve`"
            + (" and check that both sides use the same CURVE keys" if self._server_key else "")
        )

    def _attempt(self, frames: list[bytes], request_id: str, timeout: float) -> tuple[dict, dict] | None:
        sock = self._socket()
        try:
            sock.send_multipart(frames, copy=False)
        except zmq.Again:
            return None
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if not sock.poll(int(left * 1000) + 1, zmq.POLLIN):
                continue
            reply = sock.recv_multipart(copy=False)
            try:
                rhead, rarrays = decode_reply(reply)
            except ProtocolError as exc:
                raise MoGroundError(f"the backend at {self.address} sent a malformed reply: {exc.message}") from None
            if rhead.get("request_id") == request_id:
                return rhead, rarrays
            # a stale reply to an earlier request on this socket: keep waiting
        return None

    def health(self, *, timeout_s: float | None = None) -> dict:
        return self.request(*make_request("health"), timeout_s=timeout_s)[0]

    def info(self, *, timeout_s: float | None = None) -> dict:
        return self.request(*make_request("info"), timeout_s=timeout_s)[0]

    def decompose(self, prompt: str, *, timeout_s: float | None = None) -> list[str]:
        return list(self.request(*make_decompose_request(prompt), timeout_s=timeout_s)[0]["sub_actions"])

    def ground(
        self,
        positions: np.ndarray,
        bone_names: Sequence[str],
        parents: Sequence[int],
        fps: float,
        frame_start: float = 0.0,
        prompt: str | None = None,
        actions: Sequence[str] | None = None,
        method: str = DEFAULT_METHOD,
        options: GroundOptions | Mapping[str, Any] | None = None,
        *,
        up_axis: str = "Z",
        units_to_m: float = 1.0,
        rig_override: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> dict:
        """Ground a clip. Returns the GroundingResult fields: sub_actions, segments
        (source frame numbers, end exclusive), fps, method, encoder, timings_ms, warnings."""
        header, arrays = make_ground_request(
            positions, bone_names, parents, fps, frame_start, prompt, actions, method, options,
            up_axis=up_axis, units_to_m=units_to_m, rig_override=rig_override,
        )
        reply, _ = self.request(header, arrays, timeout_s=timeout_s)
        keys = ("sub_actions", "segments", "fps", "method", "encoder", "timings_ms", "warnings")
        return {k: reply[k] for k in keys if k in reply}

    def ground_motion(
        self,
        motion: Mapping[str, Any],
        prompt: str | None = None,
        method: str = DEFAULT_METHOD,
        options: GroundOptions | Mapping[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> dict:
        """Ground the dict the Blender add-on's ``read_armature_motion`` returns
        (Blender world space: Z up, scene units × ``units_to_m``). The add-on and the
        batch job both send motion this way."""
        return self.ground(
            motion["positions"], motion["bone_names"], motion["parents"], motion["fps"],
            motion["frame_start"], prompt=prompt, method=method, options=options,
            up_axis="Z", units_to_m=float(motion.get("units_to_m", 1.0)), timeout_s=timeout_s,
        )

    def search(
        self,
        query: str,
        *,
        index: str | None = None,
        rigs: Sequence[Mapping[str, Any]] | None = None,
        options: Mapping[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> dict:
        """Moments matching ``query`` in the server index named ``index`` or in the takes
        of ``rigs`` (see ``protocol.make_search_request``; the add-on sends the actions of
        the open file). Returns ``hits`` (best first), ``searched``, ``timings_ms``."""
        header, arrays = make_search_request(query, index=index, rigs=rigs, options=options)
        reply, _ = self.request(header, arrays, timeout_s=timeout_s)
        keys = ("index", "hits", "searched", "timings_ms")
        return {k: reply[k] for k in keys if k in reply}
