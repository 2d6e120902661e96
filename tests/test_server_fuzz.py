"""Fuzz the real front end with 10,000 malformed or hostile messages.

Every message must get a coded error reply (or be dropped), the server must stay up
with flat memory, and a valid request right after must succeed. The engine is the
light test engine; the parsing path under test is the server's real one.
"""

from __future__ import annotations

import json
import random
import time

import numpy as np
import zmq

from moground.wire import protocol as P
from moground.wire.client import Client
from moground.wire.errors import ERROR_CODES, MoGroundError
from server_helpers import ServerProcess, rss_kb, search_frames, synthetic_index, walk_clip

N_MESSAGES = 10_000


def _valid(rng: random.Random, rid: str) -> tuple[dict, dict]:
    pos, names, parents = walk_clip(frames=rng.randint(2, 40), bones=rng.randint(1, 6))
    header, arrays = P.make_ground_request(pos, names, parents, 30.0, 0.0, "walk then jump", request_id=rid)
    return header, arrays


def _frames(header: dict, arrays: dict) -> list[bytes]:
    return P.encode_message(header, arrays)


def _set_desc(frames: list[bytes], **kw) -> list[bytes]:
    head = json.loads(frames[0])
    head["arrays"][0].update(kw)
    return [json.dumps(head).encode(), *frames[1:]]


def hostile(rng: random.Random, i: int) -> list[bytes]:
    """One malformed message; the category cycles so that every kind appears often."""
    rid = f"fuzz-{i}"
    header, arrays = _valid(rng, rid)
    good = _frames(header, arrays)
    cat = i % 24
    if cat == 0:    # random bytes as header
        return [rng.randbytes(rng.randint(0, 64))]
    if cat == 1:    # truncated JSON header
        return [good[0][: rng.randint(0, len(good[0]) - 1)], good[1]]
    if cat == 2:    # JSON that is not an object / NaN constants / deep nesting
        return [rng.choice([b"[]", b"null", b"42", b'"x"', b'{"protocol": NaN}', b"[" * 5000 + b"]" * 5000])]
    if cat == 3:    # wrong frame counts
        return rng.choice([[good[0]], [good[0], good[1], good[1]], good + [b""] * rng.randint(8, 12)])
    if cat == 4:    # wrong dtype
        return _set_desc(good, dtype=rng.choice(["float16", "complex64", "object", "<f4", "", 7]))
    if cat == 5:    # wrong shape for the bytes
        shape = list(arrays["positions"].shape)
        shape[rng.randrange(3)] += rng.choice([-1, 1, 5])
        return _set_desc(good, shape=shape)
    if cat == 6:    # huge declared shapes
        return _set_desc(good, shape=[rng.choice([10**6, 2**31, 10**12]), 10**6, 3])
    if cat == 7:    # truncated buffer
        return [good[0], good[1][: rng.randint(0, len(good[1]) - 1)]]
    if cat == 8:    # NaN / inf motion
        pos = arrays["positions"].copy()
        pos.flat[rng.randrange(pos.size)] = rng.choice([np.nan, np.inf, -np.inf])
        return _frames(header, {"positions": pos})
    if cat == 9:    # unknown kinds
        header["kind"] = rng.choice(["grind", "", "GROUND", "shutdown", "__class__", None, 3])
        return _frames(header, arrays)
    if cat == 10:   # other protocol versions
        header["protocol"] = rng.choice([2, 0, "1", 1.0, None, True, -1, 10**30])
        return _frames(header, arrays)
    if cat == 11:   # type confusion in motion fields
        key, val = rng.choice([("bone_names", [1, 2]), ("parents", "0,1"), ("fps", "30"), ("fps", -5.0),
                               ("frame_start", 1e300), ("up_axis", "W"), ("parents", [5] * 40)])
        header["motion"][key] = val
        return _frames(header, arrays)
    if cat == 12:   # prompt abuse
        header["prompt"] = rng.choice(["", " ", "x" * 5000, ["walk"], {"a": 1}, 17])
        return _frames(header, arrays)
    if cat == 13:   # actions abuse
        header["actions"] = rng.choice([[], ["a"] * 40, [""], "walk", [1], ["y" * 500]])
        return _frames(header, arrays)
    if cat == 14:   # bad request ids
        header["request_id"] = rng.choice(["", "r" * 500, 12, None, ["x"]])
        return _frames(header, arrays)
    if cat == 15:   # descriptor abuse
        head = json.loads(good[0])
        head["arrays"] = rng.choice([{}, "positions", [None], [{"name": "positions"}], [head["arrays"][0]] * 2])
        return [json.dumps(head).encode(), good[1]]
    if cat == 16:   # wrong arrays for the kind
        return _frames(header, {"positions": arrays["positions"], "evil": np.zeros(3, np.int64)})
    if cat == 17:   # health/info with payloads, decompose without prompt
        kind = rng.choice(["health", "info", "decompose"])
        return _frames({"protocol": 1, "kind": kind, "request_id": rid}, {"x": np.zeros(2, np.uint8)})
    if cat == 18:   # invalid UTF-8 inside an otherwise fine header
        return [good[0].replace(b"walk", b"w\xffl\xfe"), good[1]]
    if cat == 19:   # search: an index that is a path, not a name, unknown, or given with takes
        index = rng.choice(["/etc/passwd", "../mocap", "", "x" * 65, 7, ["mocap"], "nope", "mocap\x00", "mo cap", "mocap\n"])
        if rng.random() < 0.2:
            return search_frames(rid, index="mocap")  # an index and inline takes at once
        return _frames({"protocol": 1, "kind": "search", "request_id": rid, "query": "walk", "index": index}, {})
    if cat == 20:   # search: the inline takes' structure
        key, val = rng.choice([("takes", []), ("takes", "all"), ("takes", [{"action": "a", "frame_start": 0, "frames": 29}]),
                               ("takes", [{"action": "a", "frame_start": 0, "frames": 70}]), ("takes", [None]),
                               ("takes", [{"action": "a", "frame_start": 0, "frames": -60}, {"action": "b", "frame_start": 0, "frames": 120}]),
                               ("takes", [{"action": "", "frame_start": 0, "frames": 60}]),
                               ("takes", [{"action": "a", "frame_start": "0", "frames": 60}]),
                               ("takes", [{"action": "a" * 200, "frame_start": 0, "frames": 60}]),
                               ("array", "positions_7"), ("array", None), ("armature", 5), ("fps", 0),
                               ("bone_names", ["a"]), ("up_axis", "X")])
        return search_frames(rid, **{f"motions.{key}": val})
    if cat == 21:   # search: query and options
        if rng.random() < 0.4:
            return search_frames(rid, query=rng.choice(["", " ", "q" * 5000, 5, None, ["walk"]]))
        key, val = rng.choice([("top", 0), ("top", 10**9), ("top", "5"), ("top", True), ("top", 2.5), ("bogus", 1),
                               ("min_s", -1), ("min_s", 0), ("max_s", 1e9), ("path", 5), ("path", "x" * 300),
                               ("path", "")])
        frames = search_frames(rid, **{f"options.{key}": val})
        if rng.random() < 0.1:
            return search_frames(rid, options=rng.choice([[], "top=5", 3]))
        return frames
    if cat == 22:   # search: non-finite motion in one take, too many takes, motion past the budget
        what = rng.randrange(3)
        if what == 0:
            frames = search_frames(rid, takes=3)
            pos = np.frombuffer(frames[1], np.float32).copy()
            pos[rng.randrange(pos.size)] = rng.choice([np.nan, np.inf, -np.inf])
            return [frames[0], pos.tobytes()]
        if what == 1:
            return search_frames(rid, takes=P.LIMITS["max_search_takes"] + 1, frames=2, bones=1)
        frames = search_frames(rid, takes=8, frames=2_000, bones=1)
        head = json.loads(frames[0])
        head["motions"][0]["fps"] = 10.0  # 1,600 s of motion in 64 KB
        return [json.dumps(head).encode(), frames[1]]
    # cat 23: random byte flips in the header until the reference validator rejects it
    for _ in range(20):
        head = bytearray(good[0])
        for _ in range(rng.randint(1, 6)):
            head[rng.randrange(len(head))] = rng.randrange(256)
        msg = [bytes(head), good[1]]
        try:
            P.validate_request(*P.decode_message(msg))
        except MoGroundError:
            return msg
    return [b"\x00"]


def test_fuzz_10k_hostile_messages(tmp_path):
    index = synthetic_index(tmp_path / "mocap")
    srv = ServerProcess(tmp_path / "fuzz.log", "--workers", "1", "--index", f"mocap={index}")
    rng = random.Random(1234)
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(srv.address)
    replies: list[dict] = []
    rss: list[int] = []
    t0 = time.monotonic()
    try:
        batch = 200
        for start in range(0, N_MESSAGES, batch):
            for i in range(start, start + batch):
                sock.send_multipart(hostile(rng, i))
            got = 0
            while got < batch and sock.poll(5000):
                replies.append(json.loads(sock.recv_multipart()[0]))
                got += 1
            if start == 2000 or start + batch >= N_MESSAGES:
                rss.append(rss_kb(srv.proc.pid))
            # every 10th batch, a client that vanishes before its reply arrives
            if start % 2000 == 0:
                gone = ctx.socket(zmq.DEALER)
                gone.setsockopt(zmq.LINGER, 0)
                gone.connect(srv.address)
                gone.send_multipart(hostile(rng, 7))
                gone.close()
        elapsed = time.monotonic() - t0
        assert srv.proc.poll() is None, "server died"
        assert len(replies) == N_MESSAGES  # nothing silently lost on a healthy connection
        assert all(r.get("ok") is False for r in replies), [r for r in replies if r.get("ok") is not False][:3]
        codes = [r["error"]["code"] for r in replies]
        assert set(codes) <= set(ERROR_CODES), set(codes) - set(ERROR_CODES)
        # the categories reach the intended codes, not just bad_request
        assert {"bad_request", "bad_motion", "bad_prompt", "too_large", "unknown_kind", "unsupported_protocol",
                "unknown_index"} <= set(codes)
        growth_kb = rss[-1] - rss[0]
        assert growth_kb < 16_384, f"front-end RSS grew {growth_kb} kB over {N_MESSAGES - 2000} messages"
        with Client(srv.address, timeout_s=5) as c:
            pos, names, parents = walk_clip()
            assert c.ground(pos, names, parents, 30.0, prompt="walk then jump")["sub_actions"] == ["walk", "jump"]
            head, _ = c.request(*P.decode_message(search_frames("after-fuzz")))
            assert [h["action"] for h in head["hits"]] == ["act0", "act1"]
        print(f"\n{N_MESSAGES} hostile messages in {elapsed:.1f} s; RSS {rss[0]} -> {rss[-1]} kB; "
              f"codes {sorted(set(codes))}")
    finally:
        sock.close()
        ctx.term()
        assert srv.stop() == 0
