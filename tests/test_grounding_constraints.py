"""Pinned cuts and kept segments come back exactly, to the source frame, from every
method (property-based on the real demo take at 24 fps, whose frames fall between the
encoder's 20 fps grid and its 0.5 s cells), and constraints that cannot hold are coded
``bad_request`` errors naming the entry, raised before any work."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moground.wire.errors import BadRequest
from moground.grounding.constraints import stretches
from moground.wire.options import BadConstraint, GroundConstraints
from moground.samples.real_take import load_demo_take

PROPS = settings(max_examples=12, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def demo():
    return load_demo_take()


@st.composite
def constraint_sets(draw, n_frames: int, k_max: int = 6):
    """K, then a drawn segmentation of the take (cuts at least 30 frames apart), then a
    subset of its cuts pinned and of its segments kept (shrunk inward, except where a
    pin shares the edge)."""
    k = draw(st.integers(2, k_max))
    cuts = sorted(draw(st.lists(st.integers(1, n_frames // 30 - 1), min_size=k - 1, max_size=k - 1, unique=True)))
    cuts = [c * 30 + draw(st.integers(-5, 5)) for c in cuts]
    edges = [0, *cuts, n_frames]
    pinned = draw(st.lists(st.booleans(), min_size=k - 1, max_size=k - 1))
    kept = draw(st.lists(st.booleans(), min_size=k, max_size=k))
    pins = [{"after": i + 1, "frame": cuts[i]} for i in range(k - 1) if pinned[i]]
    keeps = []
    for i in range(k):
        if not kept[i]:
            continue
        left_pin = i > 0 and pinned[i - 1]
        right_pin = i < k - 1 and pinned[i]
        start = edges[i] + (0 if left_pin else draw(st.integers(0, 7)))
        end = edges[i + 1] - (0 if right_pin else draw(st.integers(0, 7)))
        keeps.append({"index": i + 1, "start": start, "end": end})
    if not pins and not keeps:
        pins = [{"after": 1, "frame": cuts[0]}]
    return k, {"pins": pins, "keeps": keeps}


def check_exact(result, constraints: dict, k: int) -> None:
    segs = result.segments
    assert len(segs) == k
    for p in constraints.get("pins", []):
        assert segs[p["after"] - 1].end_frame == p["frame"]
        assert segs[p["after"]].start_frame == p["frame"]
    for kp in constraints.get("keeps", []):
        assert (segs[kp["index"] - 1].start_frame, segs[kp["index"] - 1].end_frame) == (kp["start"], kp["end"])
    for a, b in zip(segs, segs[1:]):  # in order, none empty
        assert a.start_frame < a.end_frame <= b.start_frame < b.end_frame


@pytest.mark.parametrize("method", ["uniform", "changepoint", "fused"])
def test_pins_and_keeps_come_back_exactly(engine, demo, method):
    @PROPS
    @given(data=st.data())
    def prop(data):
        k, cons = data.draw(constraint_sets(demo.clip.num_frames))
        result = engine.ground(demo.clip, actions=demo.actions[:k], method=method, constraints=cons)
        check_exact(result, cons, k)

    prop()


@pytest.mark.parametrize("method", ["window", "zomg"])
def test_slow_methods_honour_constraints_in_a_range(engine, demo, method):
    """The frame range crops the work: frames outside it belong to no segment."""
    cons = {"range": [240, 640], "pins": [{"after": 1, "frame": 377}], "keeps": [{"index": 3, "start": 501, "end": 587}]}
    result = engine.ground(demo.clip, actions=["walk", "jump", "jump jack", "jump"], method=method,
                           constraints=cons)
    check_exact(result, cons, 4)
    assert result.segments[0].start_frame >= 240 and result.segments[-1].end_frame <= 640


def test_unconstrained_parts_are_decoded_again(engine, demo):
    """A pin moves the free cuts near it, but the parts of a stretch follow the method:
    with no constraint the result equals the plain run's."""
    plain = engine.ground(demo.clip, actions=demo.actions[:4], method="changepoint")
    same = engine.ground(demo.clip, actions=demo.actions[:4], method="changepoint", constraints={})
    assert [(s.start_frame, s.end_frame) for s in plain.segments] == [(s.start_frame, s.end_frame) for s in same.segments]
    # pin the second cut where the plain run put it: the first stretch is re-decoded alone
    cut = plain.segments[1].end_frame
    pinned = engine.ground(demo.clip, actions=demo.actions[:4], method="changepoint",
                           constraints={"pins": [{"after": 2, "frame": cut}]})
    assert pinned.segments[1].end_frame == cut and pinned.segments[2].start_frame == cut


@pytest.mark.parametrize("cons, k, needle", [
    ({"pins": [{"after": 4, "frame": 100}]}, 4, "needs at least 5"),
    ({"pins": [{"after": 1, "frame": 5000}]}, 4, "outside"),
    ({"pins": [{"after": 1, "frame": 0}]}, 4, "outside"),
    ({"keeps": [{"index": 5, "start": 10, "end": 20}]}, 4, "does not exist"),
    ({"pins": [{"after": 1, "frame": 300}, {"after": 2, "frame": 200}]}, 4, "out of order"),
    ({"pins": [{"after": 1, "frame": 300}], "keeps": [{"index": 2, "start": 310, "end": 400}]}, 4, "another constraint"),
    ({"pins": [{"after": 2, "frame": 300}, {"after": 3, "frame": 300}]}, 4, "too few frames"),
])
def test_constraints_that_cannot_hold_are_refused(demo, cons, k, needle):
    fixed = GroundConstraints.from_mapping(cons)
    with pytest.raises(BadConstraint, match=needle) as err:
        fixed.fixed_edges(k, demo.clip.frame_start, demo.clip.frame_start + demo.clip.num_frames)
    assert err.value.code == "bad_request" and err.value.details["constraint"]


@pytest.mark.parametrize("data, needle", [
    ({"pins": [{"after": 0, "frame": 10}]}, "1-based"),
    ({"pins": [{"after": 1, "frame": 10.5}]}, "whole frame"),
    ({"pins": [{"after": 1, "frame": float("nan")}]}, "whole frame"),
    ({"pins": [{"after": True, "frame": 10}]}, "sub-action number"),
    ({"pins": [{"after": 1}]}, "after, frame"),
    ({"keeps": [{"index": 1, "start": 20, "end": 20}]}, "not after its start"),
    ({"keeps": [{"index": 1, "start": 1, "end": 9}, {"index": 1, "start": 10, "end": 20}]}, "same sub-action"),
    ({"range": [10]}, "range"),
    ({"range": [20, 10]}, "empty"),
    ({"pin": []}, "unknown constraint"),
    ("pins", "must be an object"),
])
def test_malformed_constraints_are_coded_errors(data, needle):
    with pytest.raises(BadRequest, match=needle):
        GroundConstraints.from_mapping(data)


def test_engine_refuses_before_work(engine, demo):
    with pytest.raises(BadConstraint, match="not inside"):
        engine.ground(demo.clip, actions=["walk", "jump"], constraints={"range": [0, 99999]})
    with pytest.raises(BadConstraint, match="needs at least 3"):
        engine.ground(demo.clip, actions=["walk", "jump"], constraints={"pins": [{"after": 2, "frame": 50}]})
    # one source frame is a segment in source frames, but less than one on the encoder's grid
    with pytest.raises(BadConstraint, match="too short"):
        engine.ground(demo.clip, actions=["walk", "jump"], method="uniform", constraints={"keeps": [{"index": 2, "start": 3, "end": 4}]})


def test_round_trip_and_stretches():
    cons = GroundConstraints.from_mapping({"keeps": [{"index": 2, "start": 50, "end": 90}],
                                           "pins": [{"after": 3, "frame": 120}], "range": [0, 200]})
    assert GroundConstraints.from_mapping(cons.to_dict()) == cons
    edges = cons.fixed_edges(5, 0, 200)
    parts = [(s.first, s.last, s.left, s.right, s.left_fixed, s.right_fixed) for s in stretches(edges, 200)]
    # sub-action 1 before the keep; 2 kept; 3 between the keep and the pin; 4-5 free after it
    assert parts == [(0, 0, 0, 50, False, False), (1, 1, 50, 90, True, True), (2, 2, 90, 120, False, True),
                     (3, 4, 120, 200, True, False)]


@PROPS
@given(data=st.data())
def test_cut_dp_honours_fixed_cuts(data):
    """``ordered_cuts(fixed=...)`` puts a fixed cut exactly there; fixing a cut where the
    free DP already put it changes nothing else."""
    import numpy as np

    from moground.grounding.cuts import ordered_cuts

    k = data.draw(st.integers(2, 6))
    cells = data.draw(st.integers(4 * k, 60))
    rng = np.random.default_rng(data.draw(st.integers(0, 10_000)))
    cum = np.concatenate([np.zeros((k, 1)), np.cumsum(rng.normal(size=(k, cells)), axis=1)], axis=1)
    gain = rng.random(cells)
    free = ordered_cuts(cum, gain, 2, 1.0)
    b = data.draw(st.integers(0, k - 2))
    assert ordered_cuts(cum, gain, 2, 1.0, fixed={b: free[b]}) == free
    where = data.draw(st.integers(b + 1, cells - (k - 1 - b)))  # room for one cell per segment
    cuts = ordered_cuts(cum, gain, 2, 1.0, fixed={b: where})
    assert cuts[b] == where and cuts == sorted(cuts) and len(set(cuts)) == k - 1


def test_pins_closer_than_a_cell_fall_back_to_stretches(engine, demo):
    """Two pins 3 source frames apart share one 0.5 s cell of the cut DP: the segment
    between them cannot be placed there, so the free stretches are decoded instead."""
    cons = {"pins": [{"after": 1, "frame": 300}, {"after": 2, "frame": 303}]}
    result = engine.ground(demo.clip, actions=demo.actions[:4], method="fused", constraints=cons)
    check_exact(result, cons, 4)
    assert (result.segments[1].start_frame, result.segments[1].end_frame) == (300, 303)
