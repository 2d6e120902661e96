"""One total deadline for the LLM call (issue 27, item 3): a model endpoint that drips
its status line or its headers, or sends a chain of slow redirects, is cut off at
``--llm-timeout`` (the rules take over), directly and through the server, whose worker
answers in time and is not killed. A raw-socket HTTP server on 127.0.0.1 misbehaves."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Iterator

import pytest

from moground.wire import protocol as P
from moground.wire.client import Client
from moground.decompose import LLMConfig, decompose
from server_helpers import ServerProcess

GOOD = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant",
                                                         "content": json.dumps({"sub_actions": ["walk"]})}}]})


class SlowHTTP:
    """Accepts connections and answers each per ``mode``: ``status`` drips its status
    line, ``headers`` drips endless headers, ``redirects`` answers each hop after
    ``hop_s`` with a redirect to the next."""

    def __init__(self, mode: str, hop_s: float = 0.8) -> None:
        self.mode, self.hop_s = mode, hop_s
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket, data: bytes) -> None:
        for b in data:
            if self.stop.is_set():
                return
            conn.sendall(bytes([b]))
            time.sleep(0.2)

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            request = conn.recv(65536)
            if self.mode == "status":
                self._drip(conn, b"HTTP/1.1 200 OK" + b" " * 1000)
            elif self.mode == "headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                self._drip(conn, b"X-Slow: " + b"a" * 1000)
            else:  # redirects: /hop/N → /hop/N+1, each after hop_s
                path = request.split(b" ", 2)[1].decode()
                hop = int(path.rsplit("/", 1)[1]) if path.startswith("/hop/") else 0
                time.sleep(self.hop_s)
                conn.sendall(f"HTTP/1.1 307 Temporary Redirect\r\nLocation: /hop/{hop + 1}\r\n"
                             "Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture(params=["status", "headers", "redirects"])
def slow(request) -> Iterator[SlowHTTP]:
    srv = SlowHTTP(request.param)
    yield srv
    srv.close()


def test_total_deadline_covers_status_line_headers_and_redirects(slow):
    result: dict = {}

    def call() -> None:
        result["out"] = decompose("walk, then jump", LLMConfig(url=slow.url, timeout_s=1.5, retries=1,
                                                               backoff_s=0.01))

    start = time.monotonic()
    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(10)
    elapsed = time.monotonic() - start
    assert not worker.is_alive(), f"{slow.mode}: the LLM call was still running after 10 s (deadline 1.5 s)"
    assert elapsed < 2.5, elapsed
    out = result["out"]
    assert (out.source, out.phrases) == ("rules", ["walk", "jump"])
    assert "within 1.5 s" in out.warnings[0]


def test_through_the_server_a_decompose_ends_by_the_llm_deadline_and_keeps_its_worker(tmp_path):
    slow = SlowHTTP("headers")
    srv = ServerProcess(tmp_path / "server.log", "--workers", "1", "--deadline", "8", "--llm-url", slow.url,
                        "--llm-timeout", "2", factory="server_helpers:llm_light_engine")
    try:
        with Client(srv.address, timeout_s=15, retries=0) as c:
            pid = c.health()["workers"][0]["pid"]
            start = time.monotonic()
            reply = c.request(*P.make_decompose_request("walk, then jump"))[0]
            elapsed = time.monotonic() - start
            assert elapsed < 4.0, elapsed
            assert reply["sub_actions"] == ["walk", "jump"] and reply["source"] == "rules", reply
            assert c.health()["workers"][0]["pid"] == pid, "the worker was replaced"
    finally:
        slow.close()
        assert srv.stop() == 0
