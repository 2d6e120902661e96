"""Which decoder settings go with the loaded weights.

The fused decoder's defaults (``FusedConfig``) are tuned for the default weights. Other
weights can need other settings (the span term helps some weights and hurts others;
numbers in docs/tuning/history.md). ``scripts/tune_fused.py
--record`` writes the settings tuned for a weights file into ``decoder_settings.json``
beside the packaged weights, keyed by the file's SHA-256; the engine, the library search
and the bench look them up here.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from ..encoders.base import MotionTextEncoder
from ..encoders.identity import weights_digest
from .fused import FusedConfig

DECODER_SETTINGS = Path(__file__).resolve().parents[1] / "weights" / "decoder_settings.json"


def read_table(path: Path = DECODER_SETTINGS) -> dict[str, Any]:
    """{sha256: {"file": name, "settings": {...}, ...}}; empty when there is no file."""
    return json.loads(path.read_text()).get("weights", {}) if path.is_file() else {}


def decoder_settings_for(encoder: MotionTextEncoder, path: Path = DECODER_SETTINGS) -> tuple[FusedConfig, str | None]:
    """(settings, the weights file they were tuned for) — the defaults and None when
    these weights have no entry of their own."""
    digest = weights_digest(encoder)
    entry = read_table(path).get(digest) if digest else None
    if not entry:
        return FusedConfig(), None
    known = {f.name for f in fields(FusedConfig)}
    return replace(FusedConfig(), **{k: v for k, v in entry["settings"].items() if k in known}), entry.get("file")
