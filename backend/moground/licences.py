"""What each packaged weights file may be used for, from one table (weights/LICENSES.json).

The code is MIT; a weights file carries the terms of the data it learned from, so each
packaged file has its own entry. ``moground info``, the model cards and the package
metadata all say what this table says (tests/test_licences.py)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

LICENCES_FILE = Path(__file__).resolve().parent / "weights" / "LICENSES.json"


@lru_cache(maxsize=1)
def weights_licences() -> dict[str, dict[str, Any]]:
    """{weights file name: {"licence", "commercial", "summary", "model_card", "training_data"}}."""
    table = json.loads(LICENCES_FILE.read_text())
    return {k: v for k, v in table.items() if k.endswith(".pt")}


def licence_summary(cmu_only: bool) -> str:
    """The one-line licence of weights trained on CMU data only (like ``builtin.pt``) or
    with non-commercial data too (like ``builtin_nc.pt``)."""
    return weights_licences()["builtin.pt" if cmu_only else "builtin_nc.pt"]["summary"]
