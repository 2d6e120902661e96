"""A `moground segment` run killed with SIGKILL takes its local backend (and that
backend's workers) down with it: nothing is left holding ~500 MB per worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from moground.paths import REPO_DIR


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has exited; only its parent's reaping is left


def _wait_for(pred, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    return None


def test_sigkilled_segment_takes_its_local_backend_down(tmp_path):
    import batch_helpers as h
    import pytest

    if h.bvh_dir() is None:
        pytest.skip("shared data (bandai/raw_bvh) not found")
    take = h.make_blends(tmp_path / "takes", 1)[0]  # a file to ground: the backend starts for it
    proc = subprocess.Popen([sys.executable, "-m", "moground.cli", "segment", str(take), "--prompt", "walk",
                             "--no-progress"], cwd=REPO_DIR, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    backend: list[int] = []
    workers: list[int] = []
    try:
        backend = _wait_for(lambda: [p for p in _children(proc.pid) if "serve" in _cmdline(p)], 120) or []
        assert backend, "segment started no backend"
        workers = _wait_for(lambda: [w for b in backend for w in _children(b)], 60) or []
        assert workers, "the backend started no worker"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        left = _wait_for(lambda: not any(_alive(p) for p in backend + workers), 40)
        assert left, f"still running after the driver was killed: {[p for p in backend + workers if _alive(p)]}"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in backend + workers + _children(proc.pid):
            if not _alive(pid):
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_sigkilled_segment_takes_its_running_jobs_down(tmp_path):
    """The per-file job processes run in their own sessions (so a Ctrl-C goes to the
    driver only); a SIGKILLed driver must still take them along."""
    import batch_helpers as h
    import pytest
    import zmq

    if h.bvh_dir() is None:
        pytest.skip("shared data (bandai/raw_bvh) not found")
    blends = h.make_blends(tmp_path / "takes", 1)
    ctx = zmq.Context()
    silent = ctx.socket(zmq.ROUTER)  # a backend that takes the request and never answers
    silent.setsockopt(zmq.LINGER, 0)
    port = silent.bind_to_random_port("tcp://127.0.0.1")
    proc = subprocess.Popen([sys.executable, "-m", "moground.cli", "segment", str(blends[0]), "--prompt", "walk",
                             "--backend", f"tcp://127.0.0.1:{port}", "--no-progress"], cwd=REPO_DIR,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    jobs: list[int] = []
    try:
        assert silent.poll(120_000), "the job never sent its request"
        jobs = _children(proc.pid)
        assert jobs, "no job process"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert _wait_for(lambda: not any(_alive(p) for p in jobs), 20), "a job outlived its driver"
    finally:
        for pid in jobs:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        silent.close()
        ctx.term()
