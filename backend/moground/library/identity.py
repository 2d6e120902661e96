"""Which encoder an index was built with: features from other weights are meaningless
to a query encoded with these, so a mismatch is refused instead of ranked."""

from __future__ import annotations

from typing import Any

from ..encoders.base import MotionTextEncoder
from ..encoders.identity import weights_digest
from ..wire.errors import IndexMismatch


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
