"""Hostile messages beyond the fuzz categories: none may crash the server or a worker,
or hijack a reply (history: docs/tuning/history.md). Real sockets on 127.0.0.1, the real
front end, the light test engine.
"""

from __future__ import annotations

import json
import socket
import struct
import time

import numpy as np
import pytest
import zmq

from moground.wire import protocol as P
from moground.wire.client import Client
from server_helpers import ServerProcess, rss_kb, search_frames, sleepy_prompt, walk_clip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("hostile") / "server.log", "--workers", "1")
    yield srv
    assert srv.stop() == 0


def _dealer(ctx: zmq.Context, address: str, routing_id: bytes | None = None) -> zmq.Socket:
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    if routing_id is not None:
        sock.setsockopt(zmq.ROUTING_ID, routing_id)
    sock.connect(address)
    return sock


def _ask(sock: zmq.Socket, frames: list[bytes], timeout_s: float = 10.0) -> dict:
    sock.send_multipart(frames)
    assert sock.poll(int(timeout_s * 1000)), "no reply"
    return json.loads(sock.recv_multipart()[0])


def _alive(server: ServerProcess) -> None:
    assert server.proc.poll() is None, server.log()[-2000:]
    with Client(server.address, timeout_s=5, retries=0) as c:
        assert c.health()["workers_ready"] >= 1


def _ground_frames(rid: str = "g", **changes) -> list[bytes]:
    pos, names, parents = walk_clip(frames=40, bones=3)
    header, arrays = P.make_ground_request(pos, names, parents, 30.0, 0.0, "walk then jump", request_id=rid)
    for key, val in changes.items():
        if key.startswith("motion."):
            header["motion"][key[7:]] = val
        else:
            header[key] = val
    frames = P.encode_message({k: v for k, v in header.items()}, arrays)
    return frames


def _with_escape(frames: list[bytes], placeholder: str, escape: str) -> list[bytes]:
    """Put a raw JSON escape (e.g. a lone surrogate \\ud800) where ``placeholder`` was."""
    return [frames[0].replace(placeholder.encode(), escape.encode()), *frames[1:]]


SURROGATE_CASES = [
    ("health id", [json.dumps({"protocol": 1, "kind": "health", "request_id": "@@"}).encode()]),
    ("info id", [json.dumps({"protocol": 1, "kind": "info", "request_id": "@@"}).encode()]),
    ("unknown kind id", [json.dumps({"protocol": 1, "kind": "nope", "request_id": "@@"}).encode()]),
    ("ground id", _ground_frames("@@")),
    ("bone name", _ground_frames(**{"motion.bone_names": ["a", "@@", "c"]})),
    ("prompt", _ground_frames(prompt="walk @@ then jump")),
    ("actions", _ground_frames(actions=["walk", "@@"])),
    ("option key", _ground_frames(options={"@@": 1})),
    ("decompose prompt", [json.dumps({"protocol": 1, "kind": "decompose", "request_id": "d",
                                      "prompt": "walk @@ then run"}).encode()]),
    ("search query", search_frames("g", query="kick @@")),
    ("search index", [json.dumps({"protocol": 1, "kind": "search", "request_id": "g", "query": "walk",
                                  "index": "mo@@"}).encode()]),
    ("search action", search_frames("g", **{"motions.takes": [{"action": "a@@", "frame_start": 0, "frames": 30},
                                                             {"action": "b", "frame_start": 0, "frames": 30}]})),
    ("search armature", search_frames("g", **{"motions.armature": "@@"})),
    ("search path glob", search_frames("g", **{"options.path": "*@@*"})),
]


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\udc00x\\ud83d"])
def test_lone_surrogates_anywhere_are_bad_request_and_kill_nothing(server, escape):
    ctx = zmq.Context()
    sock = _dealer(ctx, server.address)
    try:
        pids = [w["pid"] for w in Client(server.address, timeout_s=5).health()["workers"]]
        for name, frames in SURROGATE_CASES:
            reply = _ask(sock, _with_escape(frames, "@@", escape))
            assert reply["ok"] is False and reply["error"]["code"] == "bad_request", (name, reply)
            assert "surrogate" in reply["error"]["message"], name
            assert reply["request_id"] in (None, "g", "d"), name
        _alive(server)
        # a paired surrogate is a real character (U+1F600) and is fine
        ok = _ask(sock, _with_escape(_ground_frames("ok-@@"), "@@", "\\ud83d\\ude00"))
        assert ok["ok"] is True and ok["request_id"] == "ok-\U0001F600"
        # no worker was lost on the way
        assert [w["pid"] for w in Client(server.address, timeout_s=5).health()["workers"]] == pids
    finally:
        sock.close()
        ctx.term()


def test_same_request_id_from_other_clients_does_not_take_over_the_reply(server):
    """Three clients reuse one request_id with different content while the first is still
    running: each gets the reply to its own request."""
    ctx = zmq.Context()
    socks = [_dealer(ctx, server.address) for _ in range(3)]
    try:
        prompts = ["walk then jump", "run then sit then wave", "kick"]
        for sock, prompt in zip(socks, prompts):
            sock.send_multipart(_ground_frames("shared-id", prompt=sleepy_prompt(prompt, 0.3)))
            time.sleep(0.05)
        for sock, prompt in zip(socks, prompts):
            assert sock.poll(15000), f"no reply for {prompt!r}"
            reply = json.loads(sock.recv_multipart()[0])
            assert reply["ok"] and reply["request_id"] == "shared-id"
            assert reply["sub_actions"] == [p.strip() for p in prompt.split("then")], reply["sub_actions"]
    finally:
        for s in socks:
            s.close()
        ctx.term()


def test_same_id_same_client_different_content_is_refused(server):
    ctx = zmq.Context()
    sock = _dealer(ctx, server.address, routing_id=b"mg-test-client")
    try:
        sock.send_multipart(_ground_frames("dup", prompt=sleepy_prompt("walk then jump", 0.5)))
        time.sleep(0.1)
        sock.send_multipart(_ground_frames("dup", prompt=sleepy_prompt("run then sit", 0.5)))
        replies = []
        while len(replies) < 2 and sock.poll(10000):
            replies.append(json.loads(sock.recv_multipart()[0]))
        assert len(replies) == 2
        refused = [r for r in replies if not r["ok"]]
        done = [r for r in replies if r["ok"]]
        assert len(refused) == 1 and refused[0]["error"]["code"] == "bad_request"
        assert "request_id is already in use" in refused[0]["error"]["message"]
        assert done[0]["sub_actions"] == ["walk", "jump"]
        # an identical resend is still the same request: one answer, the work done once
        frames = _ground_frames("dup2", prompt=sleepy_prompt("walk then jump", 0.5))
        sock.send_multipart(frames)
        time.sleep(0.1)
        sock.send_multipart(frames)
        assert sock.poll(10000)
        assert json.loads(sock.recv_multipart()[0])["ok"]
        assert not sock.poll(1000), "an identical resend was answered twice"
    finally:
        sock.close()
        ctx.term()


@pytest.mark.parametrize("fps,frames,limit", [
    (0.01, 40, "max_duration_s"),     # 4,000 s of motion in a 2 KB message
    (1.0, 2_000, "max_duration_s"),
    (0.001, 72_000, "max_duration_s"),
])
def test_work_is_bounded_by_duration_not_only_by_frames(server, fps, frames, limit):
    pos = np.zeros((frames, 1, 3), np.float32)
    header, arrays = P.make_ground_request(pos, ["hips"], [-1], fps, 0.0, "walk", request_id="big")
    ctx = zmq.Context()
    sock = _dealer(ctx, server.address)
    try:
        t0 = time.monotonic()
        reply = _ask(sock, P.encode_message(header, arrays))
        assert time.monotonic() - t0 < 2.0
    finally:
        sock.close()
        ctx.term()
    assert reply["error"]["code"] == "too_large" and reply["error"]["details"]["limit"] == limit
    assert limit in reply["error"]["message"]
    _alive(server)


@pytest.mark.parametrize("case,limit", [
    ("takes", "max_search_takes"),      # 513 two-frame takes
    ("duration", "max_duration_s"),     # eight takes, each within the budget, 1,600 s together
    ("frames", "max_frames"),           # two rigs of 40,000 frames: each fine, 80,000 together
])
def test_a_search_of_many_takes_is_bounded_like_one_long_take(server, case, limit):
    if case == "takes":
        frames = search_frames("many", takes=P.LIMITS["max_search_takes"] + 1, frames=2, bones=1)
    elif case == "duration":
        frames = search_frames("long", takes=8, frames=2_000, bones=1)
        head = json.loads(frames[0])
        head["motions"][0]["fps"] = 10.0
        frames = [json.dumps(head).encode(), frames[1]]
    else:
        pos = np.zeros((40_000, 1, 3), np.float32)
        rig = {"bone_names": ["hips"], "parents": [-1], "fps": 120.0,
               "takes": [{"action": "a", "frame_start": 0, "positions": pos}]}
        frames = P.encode_message(*P.make_search_request("walk", rigs=[rig, rig], request_id="big"))
    ctx = zmq.Context()
    sock = _dealer(ctx, server.address)
    try:
        t0 = time.monotonic()
        reply = _ask(sock, frames)
        assert time.monotonic() - t0 < 2.0
    finally:
        sock.close()
        ctx.term()
    assert reply["ok"] is False and reply["error"]["code"] == "too_large", reply
    assert limit in reply["error"]["message"]
    _alive(server)


def test_a_search_names_an_index_never_a_path(server):
    ctx = zmq.Context()
    sock = _dealer(ctx, server.address)
    try:
        for index, code in (("/srv/mocap", "bad_request"), ("../mocap", "bad_request"), ("C:\\mocap", "bad_request"),
                            ("mocap", "unknown_index")):
            reply = _ask(sock, [json.dumps({"protocol": 1, "kind": "search", "request_id": "p", "query": "walk",
                                            "index": index}).encode()])
            assert reply["error"]["code"] == code, (index, reply)
        assert "none (start it with --index NAME=PATH)" in reply["error"]["message"]
    finally:
        sock.close()
        ctx.term()
    _alive(server)


def test_info_reports_the_whole_budget(server):
    with Client(server.address, timeout_s=5) as c:
        limits = c.info()["limits"]
    for key in ("max_duration_s", "max_model_frames", "max_frames", "max_sub_actions", "upload_stall_s",
                "llm_max_reply_bytes", "llm_max_s", "max_message_bytes", "max_search_takes", "max_search_top"):
        assert key in limits, key


# --------------------------------------------------------------------------- stalled uploads


def _zmtp_dealer(port: int) -> socket.socket:
    """A raw TCP peer that speaks just enough ZMTP 3.0 (NULL mechanism) to be a DEALER."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\x00") + b"\x00" + b"\x00" * 31)
    body = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", 6) + b"DEALER"
    s.sendall(b"\x04" + bytes([len(body)]) + body)
    return s


def test_stalled_partial_uploads_are_dropped_and_their_memory_freed(tmp_path):
    """Peers that announce a 100 MiB frame, send 40 MiB of it and stop are disconnected
    after upload_stall_s (here shortened to 2 s), and the front end's memory comes back."""
    srv = ServerProcess(tmp_path / "s.log", "--workers", "1", "--upload-stall", "2")
    conns = []
    try:
        port = int(srv.address.rsplit(":", 1)[1])
        base = rss_kb(srv.proc.pid)
        chunk = b"\x00" * (1 << 20)
        for _ in range(4):
            s = _zmtp_dealer(port)
            s.sendall(b"\x02" + struct.pack(">Q", 100 << 20))   # last frame, long size: 100 MiB
            for _ in range(40):
                s.sendall(chunk)
            conns.append(s)
        time.sleep(0.5)
        grown = rss_kb(srv.proc.pid) - base
        assert grown > 100_000, f"the test did not make the server buffer anything ({grown} kB)"
        for s in conns:  # each stalled peer is disconnected by the server
            s.settimeout(15)
            while True:
                try:
                    if not s.recv(65536):
                        break
                except ConnectionResetError:
                    break
        time.sleep(0.5)
        assert rss_kb(srv.proc.pid) - base < grown / 4, "the stalled uploads' buffers were not freed"
        _alive(srv)
    finally:
        for s in conns:
            s.close()
        srv.stop()
