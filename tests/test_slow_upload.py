"""Slow but progressing uploads (issue 27, item 4): a valid request sent over a link
much slower than the message takes to cross within ``upload_stall_s`` is answered,
because arrays travel in frames of ``upload_chunk_bytes`` and ZeroMQ's heartbeat counts
whole frames; a peer that stops sending is still dropped (test_server_hostile).
A real server, a real client and a throttling TCP relay on 127.0.0.1."""

from __future__ import annotations

import numpy as np

from moground.wire import protocol as P
from moground.bench.slow_link import SlowLink
from moground.wire.client import Client
from server_helpers import ServerProcess, walk_clip


def test_a_slow_valid_upload_is_answered(tmp_path):
    """8.4 MB at 1.5 MB/s takes 5.6 s against a 2 s stall rule (libzmq resets its
    heartbeat timer per whole frame: one 8.4 MB frame was dropped mid-way)."""
    srv = ServerProcess(tmp_path / "s.log", "--workers", "1", "--upload-stall", "2")
    link = SlowLink(int(srv.address.rsplit(":", 1)[1]), bytes_per_s=1.5e6)
    try:
        pos, names, parents = walk_clip(frames=10_000, bones=70)
        assert pos.nbytes > 8_000_000
        header, arrays = P.make_ground_request(pos, names, parents, 30.0, 0.0, "walk then jump")
        with Client(link.address, timeout_s=30, retries=0) as c:
            reply, _ = c.request(header, arrays)
        assert reply["ok"] and [s["label"] for s in reply["segments"]] == ["walk", "jump"]
    finally:
        link.close()
        assert srv.stop() == 0


def test_chunked_arrays_decode_to_the_same_array():
    pos, names, parents = walk_clip(frames=500, bones=20)
    header, arrays = P.make_ground_request(pos, names, parents, 30.0, 0.0, "walk")
    frames = P.encode_message(header, arrays, chunk_bytes=10_000)
    assert len(frames) == 1 + -(-pos.nbytes // 10_000)
    decoded, out = P.decode_message(frames)
    assert decoded["arrays"][0]["chunks"] == len(frames) - 1
    np.testing.assert_array_equal(out["positions"], pos)
    frames_short = frames[:-1]
    try:
        P.decode_message(frames_short)
    except P.ProtocolError as exc:
        assert "needs" in exc.message
    else:
        raise AssertionError("a missing chunk was not noticed")


def test_a_link_below_the_minimum_rate_is_dropped_and_the_client_says_why(tmp_path):
    """1 MiB frames at 100 KB/s take 10 s against a 1 s stall rule: dropped, and the
    client's error states the minimum rate."""
    from moground.wire.client import BackendUnavailable

    srv = ServerProcess(tmp_path / "s.log", "--workers", "1", "--upload-stall", "1")
    link = SlowLink(int(srv.address.rsplit(":", 1)[1]), bytes_per_s=1e5)
    try:
        pos, names, parents = walk_clip(frames=3_000, bones=60)
        header, arrays = P.make_ground_request(pos, names, parents, 30.0, 0.0, "walk then jump")
        with Client(link.address, timeout_s=6, retries=0) as c:
            try:
                c.request(header, arrays)
            except BackendUnavailable as exc:
                assert "KB/s" in exc.message and "dropped" in exc.message, exc.message
            else:
                raise AssertionError("a 100 KB/s upload against a 1 s stall rule was answered")
    finally:
        link.close()
        assert srv.stop() == 0
