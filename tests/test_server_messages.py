"""The broker↔worker messages: one module builds and parses both directions."""

from __future__ import annotations

from moground.server import messages as M


def test_round_trips():
    assert M.parse(M.ready({"pid": 7})) == M.Message(M.READY, {"pid": 7})
    assert M.parse(M.failed("encoder_error", "x" * 2000)).data == {"code": "encoder_error", "message": "x" * 1000}
    job = M.parse(M.job(b"12", [b"{}", b"abc"]))
    assert (job.verb, job.job_id, job.frames) == (M.JOB, b"12", [b"{}", b"abc"])
    done = M.parse(M.done(b"12", [b"{}"]))
    assert (done.verb, done.job_id, done.frames) == (M.DONE, b"12", [b"{}"])
    assert M.parse(M.stop()).verb == M.STOP


def test_malformed_messages_are_ignored_not_fatal():
    for parts in ([], [b"job"], [b"done", b"1"], [b"nonsense", b"x"], [b"ready", b"not json"]):
        msg = M.parse(parts)
        assert msg.verb in (b"", M.READY) and (msg.verb != M.READY or msg.data == {})
