"""Shared fixtures: the real data folder and one grounding engine per test session."""

from __future__ import annotations

import importlib.util

import pytest

from moground.paths import data_root

HAS_BPY = importlib.util.find_spec("bpy") is not None


def pytest_collection_modifyitems(config, items):
    """Tests marked ``blender`` skip, with the reason, where the bpy module is absent."""
    if HAS_BPY:
        return
    skip = pytest.mark.skip(reason="needs the bpy module (pip install 'moground[dev]')")
    for item in items:
        if "blender" in item.keywords:
            item.add_marker(skip)


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
