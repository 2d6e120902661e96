"""Shared fixtures: the real data folder and one grounding engine per test session."""

from __future__ import annotations

import pytest

from moground.paths import data_root


@pytest.fixture(scope="session")
def data_dir():
    root = data_root(required=False)
    if root is None:
        pytest.skip("shared mocap data not found (set MOGROUND_DATA)")
    return root


@pytest.fixture(scope="session")
def engine():
    from moground.engine import GroundingEngine

    return GroundingEngine()
