"""Contract and behaviour of ``python -m moground.commands.serve`` (= ``moground serve``) driven
by moground.wire.client.Client over real sockets on 127.0.0.1.

The engine here is the light test engine (tests/server_helpers.py); the real engine's
end-to-end contract is in test_server_engine.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import zmq

from moground.wire import protocol as P
from moground.wire.client import BackendUnavailable, Client
from moground.wire.errors import BadMotion, BadPrompt, Busy, Timeout
from moground.server.security import is_local_endpoint
from server_helpers import ServerProcess, free_port, sleepy_prompt, walk_clip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("srv") / "server.log", "--workers", "2", wait_workers=2)
    yield srv
    assert srv.stop() == 0


def test_contract_health_info_decompose_ground(server):
    with Client(server.address, timeout_s=5) as c:
        health = c.health()
        assert health["status"] == "ok" and health["workers_ready"] == 2
        info = c.info()
        assert info["protocol"] == 1 and info["limits"] == P.LIMITS and info["engine"]["encoder"] == "light"
        assert c.decompose("walk forward, then jump and wave") == ["walk forward", "jump", "wave"]
        pos, names, parents = walk_clip(frames=90)
        result = c.ground(pos, names, parents, fps=30.0, frame_start=101.0, prompt="walk then jump")
    assert result["sub_actions"] == ["walk", "jump"]
    segs = result["segments"]
    assert [s["label"] for s in segs] == ["walk", "jump"]
    assert segs[0]["start_frame"] == 101.0 and segs[-1]["end_frame"] == 191.0  # source numbering, end exclusive
    assert "up_axis=Z bones=4" in result["warnings"]  # motion metadata reached the engine's MotionClip
    assert set(result) == {"sub_actions", "segments", "fps", "method", "encoder", "timings_ms", "warnings"}


def test_encoder_and_llm_flags_reach_the_worker_engine(tmp_path):
    srv = ServerProcess(tmp_path / "s.log", "--workers", "1", "--tmr-stats", "/opt/tmr/stats",
                        "--distilbert", "/opt/distilbert", "--llm-url", "http://127.0.0.1:9", "--llm-model", "m")
    try:
        with Client(srv.address, timeout_s=5) as c:
            engine = c.info()["engine"]
        assert engine["encoder_options"] == {"stats_dir": "/opt/tmr/stats", "distilbert_dir": "/opt/distilbert"}
        assert engine["llm"]["url"] == "http://127.0.0.1:9" and engine["llm"]["model"] == "m"
    finally:
        srv.stop()


def test_errors_arrive_as_coded_exceptions(server):
    pos, names, parents = walk_clip()
    pos[3, 1, 2] = np.inf
    with Client(server.address, timeout_s=5) as c:
        with pytest.raises(BadMotion, match="non-finite position at frame index 3, bone 'bone1'"):
            c.ground(pos, names, parents, 30.0, prompt="walk")
        with pytest.raises(BadPrompt):
            c.decompose("   ")
        with pytest.raises(P.MoGroundError) as info:
            c.request({"kind": "teleport"})
        assert info.value.code == "unknown_kind"
        assert c.health()["status"] == "ok"


def test_raw_pyzmq_request_without_the_client(server):
    """The documented minimal request: one JSON frame on a plain DEALER."""
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(server.address)
    sock.send(json.dumps({"protocol": 1, "kind": "health", "request_id": "x"}).encode())
    assert sock.poll(5000)
    reply = sock.recv_multipart()
    sock.close()
    ctx.term()
    header = json.loads(reply[0])
    assert header["request_id"] == "x" and header["ok"] is True and len(reply) == 1


def test_no_backend_fails_fast_with_a_helpful_message():
    addr = f"tcp://127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    with Client(addr, timeout_s=0.3, retries=1) as c:
        with pytest.raises(BackendUnavailable, match=r"no backend answered at tcp://127\.0\.0\.1:\d+ within 0\.3 s.*moground serve"):
            c.health()
    assert time.monotonic() - t0 < 2.0


def test_lazy_pirate_resend_is_answered_once(server):
    """Client attempts time out while the worker works; the resend gets the answer and
    the server does the work once (de-duplicated by request_id)."""
    pos, names, parents = walk_clip()
    with Client(server.address, timeout_s=0.4, retries=5) as c:
        header, arrays = P.make_ground_request(pos, names, parents, 30.0, 0.0, sleepy_prompt("walk", 1.0))
        reply, _ = c.request(header, arrays)
    assert reply["request_id"] == header["request_id"] and reply["ok"]
    time.sleep(0.2)
    lines = [l for l in server.log().splitlines() if header["request_id"] in l]
    assert len(lines) == 1 and '"outcome": "ok"' in lines[0]


def test_busy_and_deadline(tmp_path):
    srv = ServerProcess(tmp_path / "s.log", "--workers", "1", "--queue", "1", "--deadline", "1.5")
    try:
        pos, names, parents = walk_clip()
        results: dict[str, object] = {}

        def call(name: str, sleep_s: float) -> None:
            with Client(srv.address, timeout_s=10, retries=0) as c:
                try:
                    results[name] = c.ground(pos, names, parents, 30.0, prompt=sleepy_prompt("walk", sleep_s))
                except P.MoGroundError as exc:
                    results[name] = exc

        slow = threading.Thread(target=call, args=("slow", 3.0))
        slow.start()
        time.sleep(0.4)  # slow is in flight
        queued = threading.Thread(target=call, args=("queued", 0.0))
        queued.start()
        time.sleep(0.3)  # queued waits
        t0 = time.monotonic()
        call("third", 0.0)
        assert isinstance(results["third"], Busy) and time.monotonic() - t0 < 1.0
        slow.join(10)
        queued.join(10)
        assert isinstance(results["slow"], Timeout), results["slow"]       # past its 1.5 s deadline
        assert isinstance(results["queued"], Timeout), results["queued"]   # never got the worker in time
        # the worker finishes its late job, then serves again
        deadline = time.monotonic() + 10
        while srv.wait_ready()["in_flight"] and time.monotonic() < deadline:
            time.sleep(0.1)
        call("after", 0.0)
        assert isinstance(results["after"], dict), results["after"]
        log = srv.log()
        assert '"outcome": "busy"' in log and '"outcome": "timeout"' in log
    finally:
        assert srv.stop() == 0


def test_graceful_shutdown_finishes_in_flight_work(tmp_path):
    srv = ServerProcess(tmp_path / "s.log", "--workers", "1")
    pos, names, parents = walk_clip()
    out: dict[str, object] = {}

    def call() -> None:
        with Client(srv.address, timeout_s=10, retries=0) as c:
            out["r"] = c.ground(pos, names, parents, 30.0, prompt=sleepy_prompt("walk then wave", 1.0))

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.4)
    assert srv.stop() == 0  # SIGTERM, waits for exit
    t.join(5)
    assert out["r"]["sub_actions"] == ["walk", "wave"]
    assert "shutdown requested" in srv.log() and "stopped" in srv.log()


def test_non_loopback_bind_is_refused_without_keys(tmp_path):
    out = subprocess.run([sys.executable, "-m", "moground.commands.serve", "--bind", f"tcp://0.0.0.0:{free_port()}"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "insecure_bind" in out.stderr and "moground keys create DIR" in out.stderr


@pytest.mark.parametrize("endpoint, local", [
    ("tcp://127.0.0.1:5757", True), ("tcp://localhost:1", True), ("tcp://[::1]:5", True),
    ("tcp://127.3.2.1:5", True), ("ipc:///tmp/x", True), ("tcp://0.0.0.0:5757", False),
    ("tcp://*:5757", False), ("tcp://192.168.1.4:5757", False), ("tcp://eth0:5757", False),
    ("tcp://127.0.0.1.evil.com:5", False),
])
def test_loopback_detection(endpoint, local):
    assert is_local_endpoint(endpoint) is local
