"""The demo's real take: one CMU realchains take re-saved into the package by
``scripts/make_demo_take.py`` (float16 positions, human boundaries, attribution)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..io.npzfile import read_npz
from ..motion import MotionClip

SAMPLES_DIR = Path(__file__).resolve().parent


@dataclass
class DemoTake:
    take: str
    clip: MotionClip
    truth: list[dict]  # [{label, start_s, end_s, end_transition_s?}] in seconds from frame 0
    attribution: str

    @property
    def actions(self) -> list[str]:
        return [s["label"] for s in self.truth]


def load_demo_take() -> DemoTake:
    pointer = json.loads((SAMPLES_DIR / "demo_take.json").read_text())
    meta = json.loads((SAMPLES_DIR / pointer["file"]).read_text())
    clip = read_npz(SAMPLES_DIR / meta["file"])
    return DemoTake(take=meta["take"], clip=clip, truth=list(meta["segments"]), attribution=meta["attribution"])
