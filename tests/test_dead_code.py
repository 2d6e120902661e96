"""Branches and helpers that nothing reached are gone, so nobody maintains them ."""

from __future__ import annotations

import pytest

from moground.grounding.result import GroundingResult


def test_grounding_result_has_no_unused_from_dict():
    assert not hasattr(GroundingResult, "from_dict")


def test_nla_writer_takes_the_result_itself_not_a_nested_wire_reply():
    pytest.importorskip("bpy")
    from moground.wire.blender.nla_writer import NlaWriteError, _plan

    seg = {"label": "walk", "start_frame": 1.0, "end_frame": 20.0, "score": 0.5}
    assert [p["label"] for p in _plan({"segments": [seg]})] == ["walk"]
    with pytest.raises(NlaWriteError, match="no segments"):
        _plan({"result": {"segments": [seg]}})
