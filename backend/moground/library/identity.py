"""Which encoder an index was built with: features from other weights are meaningless
to a query encoded with these, so a mismatch is refused instead of ranked."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

from ..encoders.base import MotionTextEncoder
from ..errors import IndexMismatch


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


def public_description(encoder: MotionTextEncoder) -> dict[str, Any]:
    """``encoder.describe()`` as a server tells any client: the weights file's name and
    digest, never a path of the server's disk (the checkpoint's other files by name)."""
    desc = dict(encoder.describe())
    weights = desc.get("weights")
    desc["weights_sha256"] = weights_digest(encoder, desc)
    desc["weights"] = Path(weights).name if weights else None
    if isinstance(desc.get("paths"), dict):
        desc["paths"] = {k: Path(v).name if isinstance(v, str) else v for k, v in desc["paths"].items()}
    return desc


def encoder_identity(encoder: MotionTextEncoder) -> dict[str, Any]:
    """Name, weights digest and the shapes an index depends on."""
    desc = encoder.describe()
    return {
        "name": encoder.name,
        "weights_sha256": weights_digest(encoder, desc),
        "trained": bool(desc.get("trained", True)),
        "fps": float(encoder.fps),
        "embed_dim": int(encoder.dim),
        "frame_dim": int(desc.get("frame_dim") or 0),
    }


def check_identity(stored: dict[str, Any], current: dict[str, Any], where: str) -> None:
    """Raise :class:`IndexMismatch` naming what differs."""
    keys = ("name", "weights_sha256", "fps", "embed_dim", "frame_dim")
    diff = [k for k in keys if stored.get(k) != current.get(k)]
    if diff:
        def short(d: dict) -> str:
            sha = d.get("weights_sha256") or "none"
            return f"{d.get('name')} weights {sha[:12]}"

        raise IndexMismatch(
            f"the index {where} was built with encoder {short(stored)}, but this run loads "
            f"{short(current)} (differs in {', '.join(diff)}); rebuild it with "
            f"`moground index ... --out {where} --rebuild` or load the encoder it was built with"
        )
