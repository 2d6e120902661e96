"""Messages between the broker and its workers (internal; clients never see them).

    worker → broker:  READY info-json | FAILED error-json | DONE job-id reply-frames...
    broker → worker:  JOB job-id request-frames...     | STOP

The request frames of a JOB are the client's frames exactly as the broker decoded and
validated them; the worker hands them to the request handler without checking them
again. Frames may be bytes or ``zmq.Frame`` (received with ``copy=False``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Sequence

READY, FAILED, DONE, JOB, STOP = b"ready", b"failed", b"done", b"job", b"stop"


def _bytes(frame: Any) -> bytes:
    return frame.bytes if hasattr(frame, "bytes") else bytes(frame)


def ready(info: dict) -> list[bytes]:
    return [READY, json.dumps(info, default=str).encode()]


def failed(code: str, message: str) -> list[bytes]:
    return [FAILED, json.dumps({"code": code, "message": message[:1000]}).encode()]


def done(job_id: bytes, reply: Sequence[Any]) -> list[Any]:
    return [DONE, job_id, *reply]


def job(job_id: bytes, request: Sequence[Any]) -> list[Any]:
    return [JOB, job_id, *request]


def stop() -> list[bytes]:
    return [STOP]


@dataclass
class Message:
    """One parsed message: its verb, the JSON of READY/FAILED, the job id and frames of
    JOB/DONE. ``verb`` is b"" for a malformed message, which both sides ignore."""

    verb: bytes
    data: dict = field(default_factory=dict)
    job_id: bytes = b""
    frames: list = field(default_factory=list)


def parse(parts: Sequence[Any]) -> Message:
    """A message without its routing frame (either direction)."""
    verb = _bytes(parts[0]) if parts else b""
    if verb in (READY, FAILED):
        try:
            data = json.loads(_bytes(parts[1])) if len(parts) > 1 else {}
        except ValueError:
            data = {}
        return Message(verb, data if isinstance(data, dict) else {})
    if verb in (JOB, DONE) and len(parts) >= 3:
        return Message(verb, job_id=_bytes(parts[1]), frames=list(parts[2:]))
    if verb == STOP:
        return Message(verb)
    return Message(b"")
