"""Property-based fuzzing of the real front end (hypothesis): every field of every request
kind gets unicode edges (lone surrogates, NUL, RTL marks, 1 MB strings), numeric edges
(0, negative, subnormal, inf, NaN, huge, wrong types) and resource edges (duration × fps,
K, declared shapes). Property: each message gets one reply that is a coded error or a
result, never ``internal``, and the server never exits. The 10,000-message random fuzz
(test_server_fuzz.py) watches memory; this one explores field by field.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moground import protocol as P
from moground.errors import ERROR_CODES
from server_helpers import ServerProcess

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def wire(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("props") / "server.log", "--workers", "1")
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(srv.address)
    state = {"sock": sock, "srv": srv, "n": 0}
    yield state
    sock.close()
    ctx.term()
    assert srv.proc.poll() is None, "the server exited during the fuzz"
    assert srv.stop() == 0


# --------------------------------------------------------------------------- edge values

NUMBERS = st.one_of(
    st.sampled_from([0, -0.0, -1, 1, 5e-324, 2.2250738585072014e-308, 1e-310, 1e308, -1e308, 2**31, 2**63,
                     10**30, -(10**30), math.inf, -math.inf, math.nan, 0.001, 1e-7, 10_000, 10_000.5, 1e9]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
)
TEXT = st.one_of(
    st.sampled_from(["", " ", "\x00", "walk\x00jump", "\u202ewalk then jump\u202c", "\u200f\u05d0\u05d1",
                     "\ud800", "\udfff", "walk \ud83d then jump", "\U0001F600", "a" * 129, "a" * 2001,
                     "x" * (1 << 20), "walk, then jump, then wave", "\ufeffwalk", "\\u0000", "😀" * 300]),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=40),  # includes lone surrogates
)
WRONG_TYPES = st.sampled_from([None, True, [], {}, [1, 2], {"a": 1}, "30", [None]])
ANY = st.one_of(NUMBERS, TEXT, WRONG_TYPES)


def maybe(valid, edge=ANY):
    """Mostly a valid value, sometimes an edge: each field breaks alone or with others."""
    return st.one_of(valid, valid, edge)


# --------------------------------------------------------------------------- requests

def _common(kind):
    return {"protocol": maybe(st.just(1)), "kind": maybe(st.just(kind)), "request_id": maybe(st.uuids().map(str), TEXT)}


@st.composite
def simple_request(draw):
    kind = draw(st.sampled_from(["health", "info", "decompose", "shutdown"]))
    header = {k: draw(v) for k, v in _common(kind).items()}
    if kind == "decompose" or draw(st.booleans()):
        header["prompt"] = draw(maybe(st.sampled_from(["walk then jump", "run, sit, wave"]), TEXT))
    return [json.dumps(header, allow_nan=True).encode()]


@st.composite
def ground_request(draw):
    frames = draw(st.one_of(st.integers(0, 64), st.sampled_from([1, 2, 200, 2_000])))
    bones = draw(st.integers(0, 5))
    fps = draw(maybe(st.sampled_from([30.0, 120.0, 24.0, 1.0, 0.01, 0.001, 10_000.0]), NUMBERS))
    k = draw(st.integers(1, 20))
    header = {k_: draw(v) for k_, v in _common("ground").items()}
    header["motion"] = draw(maybe(st.fixed_dictionaries({
        "bone_names": maybe(st.just([f"b{i}" for i in range(bones)]),
                            st.lists(TEXT, min_size=bones, max_size=bones) | ANY),
        "parents": maybe(st.just([-1] + list(range(bones - 1)) if bones else []),
                         st.lists(NUMBERS, min_size=bones, max_size=bones) | ANY),
        "fps": st.just(fps),
        "frame_start": maybe(st.just(1.0), NUMBERS),
        "up_axis": maybe(st.sampled_from(["Z", "Y"]), TEXT),
        "units_to_m": maybe(st.just(1.0), NUMBERS),
    })))
    header["prompt"] = draw(maybe(st.just("walk then jump"), TEXT | st.none()))
    header["actions"] = draw(st.one_of(st.none(), st.just([f"act {i}" for i in range(k)]),
                                       st.lists(TEXT, max_size=20), ANY))
    header["method"] = draw(maybe(st.just("zomg"), TEXT))
    header["options"] = draw(maybe(st.just({}), st.dictionaries(
        st.sampled_from(["steps", "tau", "lr", "min_segment_s", "expand_phrases", "\ud800", ""]),
        ANY, max_size=3) | ANY))
    header["rig_override"] = draw(maybe(st.none(), st.dictionaries(TEXT, TEXT | ANY, max_size=3) | ANY))
    pos = np.zeros((frames, bones, 3), "<f4")
    if frames and bones:
        pos[:, :, 0] = np.linspace(0, 1, frames)[:, None]
        if draw(st.integers(0, 9)) == 0:
            pos.flat[draw(st.integers(0, pos.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    shape = draw(maybe(st.just([frames, bones, 3]), st.lists(
        st.one_of(st.integers(-2, 10**13), NUMBERS), max_size=6)))
    header["arrays"] = [{"name": draw(maybe(st.just("positions"), TEXT)),
                         "dtype": draw(maybe(st.just("float32"), TEXT | st.sampled_from(["float64", "uint8"]))),
                         "shape": shape, "frame": draw(maybe(st.just(1), NUMBERS))}]
    return [json.dumps(header, allow_nan=True).encode(), pos.tobytes()]


def _check_reply(wire, frames: list[bytes]) -> dict:
    sock = wire["sock"]
    sock.send_multipart(frames)
    assert sock.poll(15_000), f"no reply to {frames[0][:300]!r}"
    reply = sock.recv_multipart()
    head, _ = P.decode_reply(reply)  # a well-formed reply: UTF-8 JSON, ok bool, error object
    if not head["ok"]:
        code = head["error"]["code"]
        assert code in ERROR_CODES, code
        assert code != "internal", f"{head['error']} for {frames[0][:300]!r}"
    wire["n"] += 1
    if wire["n"] % 25 == 0:
        assert wire["srv"].proc.poll() is None, wire["srv"].log()[-2000:]
    return head


@SETTINGS
@given(frames=simple_request())
def test_every_simple_request_gets_a_coded_reply(wire, frames):
    _check_reply(wire, frames)


@SETTINGS
@given(frames=ground_request())
def test_every_ground_request_gets_a_coded_reply(wire, frames):
    _check_reply(wire, frames)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(frames=st.integers(2, 72_000), fps=st.one_of(st.floats(0.001, 10_000), st.sampled_from([0.001, 0.01, 1.0])))
def test_the_duration_budget_holds_before_any_work(frames, fps):
    """The front end's check, run directly: nothing past max_duration_s is accepted."""
    pos = np.zeros((frames, 1, 3), np.float32)
    header, arrays = P.make_ground_request(pos, ["hips"], [-1], fps, 0.0, "walk")
    try:
        P.validate_request(header, arrays)
    except P.MoGroundError as exc:
        assert exc.code == "too_large" and frames / fps > P.LIMITS["max_duration_s"]
    else:
        assert frames / fps <= P.LIMITS["max_duration_s"]


def test_server_survived_the_fuzz(wire):
    assert wire["srv"].proc.poll() is None
    sock = wire["sock"]
    sock.send(json.dumps({"protocol": 1, "kind": "health", "request_id": "after"}).encode())
    assert sock.poll(5000)
    assert json.loads(sock.recv_multipart()[0])["ok"]
