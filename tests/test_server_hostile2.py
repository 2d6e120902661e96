"""Hostile messages, round two (issue 27, items 7 and 11): integers past float range
(10**400) in numbers and options are coded errors, not `internal`; a routing id in
ZeroMQ's reserved space is refused; `info` names the weights file, never its path.
Real sockets on 127.0.0.1, the real front end, the light test engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import zmq

from moground.wire import protocol as P
from moground.wire.client import Client
from server_helpers import ServerProcess, search_frames, walk_clip

HUGE = 10**400


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("hostile2") / "server.log", "--workers", "1")
    yield srv
    assert srv.stop() == 0


def _ask(address: str, frames: list[bytes], routing_id: bytes | None = None) -> dict:
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    if routing_id is not None:
        sock.setsockopt(zmq.ROUTING_ID, routing_id)
    sock.connect(address)
    try:
        sock.send_multipart(frames)
        assert sock.poll(10_000), "no reply"
        return json.loads(sock.recv_multipart()[0])
    finally:
        sock.close()


def _ground(**changes) -> list[bytes]:
    pos, names, parents = walk_clip(frames=40, bones=3)
    header, arrays = P.make_ground_request(pos, names, parents, 30.0, 0.0, "walk then jump", request_id="h")
    for key, val in changes.items():
        if key.startswith("motion."):
            header["motion"][key[7:]] = val
        else:
            header[key] = val
    return P.encode_message(header, arrays)


@pytest.mark.parametrize("case,frames,code", [
    ("fps", lambda: _ground(**{"motion.fps": HUGE}), "bad_motion"),
    ("units_to_m", lambda: _ground(**{"motion.units_to_m": HUGE}), "bad_motion"),
    ("frame_start", lambda: _ground(**{"motion.frame_start": -HUGE}), "bad_motion"),
    ("min_segment_s", lambda: _ground(options={"min_segment_s": HUGE}), "bad_request"),
    ("search top", lambda: search_frames("h", **{"options.top": HUGE}), "bad_request"),
    ("search min_s", lambda: search_frames("h", **{"options.min_s": HUGE}), "bad_request"),
    ("search take frame_start", lambda: search_frames("h", **{"motions.fps": HUGE}), "bad_motion"),
])
def test_integers_past_float_range_are_coded_errors(server, case, frames, code):
    reply = _ask(server.address, frames())
    assert not reply["ok"] and reply["error"]["code"] == code, reply
    assert reply["request_id"] == "h"
    with Client(server.address, timeout_s=5, retries=0) as c:
        assert c.health()["workers_ready"] >= 1


@pytest.mark.parametrize("routing_id", [b"\x00evil-peer", b"\x00", b"\x00\x00\x00\x00\x00\x00"])
def test_reserved_routing_ids_are_refused(server, routing_id):
    frames = [json.dumps({"protocol": 1, "kind": "health", "request_id": "z"}).encode()]
    reply = _ask(server.address, frames, routing_id)
    assert not reply["ok"] and reply["error"]["code"] == "bad_request" and "zero byte" in reply["error"]["message"]


def test_ordinary_and_generated_routing_ids_still_work(server):
    frames = [json.dumps({"protocol": 1, "kind": "health", "request_id": "z"}).encode()]
    assert _ask(server.address, frames, b"client-7")["ok"]
    assert _ask(server.address, frames)["ok"]  # libzmq's generated id (zero byte + 4 bytes)


def test_info_names_the_weights_file_and_digest_never_its_path():
    """What `info` sends under ``engine`` (the real engine, builtin weights)."""
    from moground.engine import GroundingEngine
    from moground.paths import BUILTIN_WEIGHTS

    info = GroundingEngine().info()
    text = json.dumps(info)
    assert str(Path(BUILTIN_WEIGHTS).parent) not in text
    enc = info["encoder"]
    assert enc["weights"] == Path(BUILTIN_WEIGHTS).name and len(enc["weights_sha256"]) == 64
