"""Which weights an encoder loaded: the SHA-256 of its weights file.

Decoder settings are tuned per weights file and a library index is only valid for the
weights it was built with; both look the weights up by this digest.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

from .base import MotionTextEncoder


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@functools.lru_cache(maxsize=16)
def _digest_of(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(path)


def weights_sha256(path: str | Path) -> str:
    """SHA-256 of a weights file, hashed once per (path, size, mtime): a server checks
    the identity on every search of inline takes and must not re-read the weights."""
    st = os.stat(path)
    return _digest_of(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


def weights_digest(encoder: MotionTextEncoder, desc: dict[str, Any] | None = None) -> str | None:
    """SHA-256 of the loaded weights file, or None for an encoder without one
    (``desc``: its ``describe()``, when the caller already has it)."""
    weights = (desc if desc is not None else encoder.describe()).get("weights")
    return weights_sha256(weights) if weights and Path(weights).is_file() else None
