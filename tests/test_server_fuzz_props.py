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

from moground.wire import protocol as P
from moground.wire.errors import ERROR_CODES
from server_helpers import ServerProcess, synthetic_index

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def wire(tmp_path_factory):
    folder = tmp_path_factory.mktemp("props")
    index = synthetic_index(folder / "mocap")
    srv = ServerProcess(folder / "server.log", "--workers", "1", "--index", f"mocap={index}")
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(srv.address)
    state = {"sock": sock, "srv": srv, "n": 0, "search_ok": 0}
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


SEARCH_FIELDS = ("protocol", "kind", "request_id", "query", "options", "top", "min_s", "max_s", "path", "index",
                 "index+motions", "armature", "bone_names", "parents", "fps", "up_axis", "array", "takes", "action",
                 "frame_start", "frames", "nan")


@st.composite
def search_request(draw):
    """An index search or inline takes (one or two rigs) with none or one field broken
    (a search has so many fields that breaking each at random would leave none valid)."""
    broken = draw(st.one_of(st.none(), st.sampled_from(SEARCH_FIELDS)))

    def pick(field, valid, edge=ANY):
        return draw(edge if field == broken else valid)

    header = {"protocol": pick("protocol", st.just(1)), "kind": pick("kind", st.just("search")),
              "request_id": pick("request_id", st.uuids().map(str), TEXT),
              "query": pick("query", st.sampled_from(["a person kicks", "walk"]), TEXT)}
    header["options"] = pick("options", st.fixed_dictionaries({}, optional={
        "top": st.just(pick("top", st.integers(1, 50), NUMBERS)),
        "min_s": st.just(pick("min_s", st.just(0.5), NUMBERS)),
        "max_s": st.just(pick("max_s", st.just(4.0), NUMBERS)),
        "path": st.just(pick("path", st.just("*"), TEXT))}), st.dictionaries(TEXT, ANY, max_size=3) | ANY)
    if draw(st.integers(0, 3)) == 0:
        header["index"] = pick("index", st.sampled_from(["mocap", "other"]), TEXT)
        if broken == "index+motions":
            header["motions"] = draw(ANY)
        return [json.dumps(header, allow_nan=True).encode()]
    motions, buffers, descs = [], [], []
    for r in range(draw(st.integers(1, 2))):
        bones = draw(st.integers(1, 4))
        counts = draw(st.lists(st.integers(2, 20), min_size=1, max_size=4))
        pos = np.zeros((sum(counts), bones, 3), "<f4")
        pos[:, :, 0] = np.linspace(0, 1, len(pos))[:, None]
        if broken == "nan":
            pos.flat[draw(st.integers(0, pos.size - 1))] = draw(st.sampled_from([np.nan, np.inf]))
        takes = [{"action": pick("action", st.just(f"act{i}"), TEXT),
                  "frame_start": pick("frame_start", st.just(1.0), NUMBERS),
                  "frames": pick("frames", st.just(c), NUMBERS)} for i, c in enumerate(counts)]
        motions.append({
            "armature": pick("armature", st.sampled_from(["Rig", None]), TEXT),
            "bone_names": pick("bone_names", st.just([f"b{i}" for i in range(bones)]),
                               st.lists(TEXT, min_size=bones, max_size=bones)),
            "parents": pick("parents", st.just([-1] + list(range(bones - 1)))),
            "fps": pick("fps", st.sampled_from([30.0, 0.01, 10_000.0]), NUMBERS),
            "up_axis": pick("up_axis", st.just("Z"), TEXT),
            "array": pick("array", st.just(f"positions_{r}"), TEXT),
            "takes": pick("takes", st.just(takes), st.lists(ANY, max_size=3) | ANY),
        })
        descs.append({"name": f"positions_{r}", "dtype": "float32", "shape": list(pos.shape), "frame": r + 1})
        buffers.append(pos.tobytes())
    header["motions"] = motions
    header["arrays"] = descs
    return [json.dumps(header, allow_nan=True).encode(), *buffers]


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


@SETTINGS
@given(frames=search_request())
def test_every_search_request_gets_a_coded_reply(wire, frames):
    head = _check_reply(wire, frames)
    if head["ok"]:  # what the front end let through reached the worker's real parsing intact
        request = json.loads(frames[0])
        assert request.get("index") in (None, "mocap")
        sent = [t["action"] for m in request.get("motions") or [] for t in m["takes"]]
        assert [h["action"] for h in head["hits"]] == sent
        wire["search_ok"] += bool(sent)


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
    assert wire["search_ok"] > 0, "no generated inline search was valid: the property checked only refusals"
    sock = wire["sock"]
    sock.send(json.dumps({"protocol": 1, "kind": "health", "request_id": "after"}).encode())
    assert sock.poll(5000)
    assert json.loads(sock.recv_multipart()[0])["ok"]
