"""Issue 27's probes for ``bench_load.py --hostile`` (items 1-4): files that explode in
memory, an LLM endpoint that drips or redirects, a slow but steady upload. Each row
gives the outcome, the wall time and the peak RSS of the process that did the work
(a child process for the file and LLM probes, the server's front end for the upload).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np

HEADER = f"{'probe (issue 27)':<56} {'outcome':>24} {'seconds':>8} {'peak RSS MB':>12}"


def _npy_bomb(path: Path, arrays: dict[str, tuple[tuple[int, ...], str]], small: dict[str, np.ndarray]) -> None:
    """An npz whose big members are zeros of the declared shape, written in 16 MB
    pieces (the writer never holds them)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, (shape, dtype) in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array_header_1_0(fh, {"descr": np.dtype(dtype).str, "fortran_order": False,
                                                          "shape": shape})
                left = int(np.prod(shape)) * np.dtype(dtype).itemsize
                block = bytes(16 << 20)
                while left > 0:
                    fh.write(block[: min(left, len(block))])
                    left -= len(block)
        for name, arr in small.items():
            with zf.open(f"{name}.npy", "w") as fh:
                np.lib.format.write_array(fh, arr)


def _bvh_bomb(path: Path, joints: int, frames: int) -> None:
    with open(path, "w") as fh:
        fh.write("HIERARCHY\nROOT j0\n{\nOFFSET 0 0 0\nCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n")
        for i in range(1, joints):  # joints without channels: a 3 MB file
            fh.write(f"JOINT j{i}\n{{\nOFFSET 0 1 0\n")
        fh.write("}\n" * joints)
        fh.write(f"MOTION\nFrames: {frames}\nFrame Time: 0.0333333\n")
        row = " ".join(["0"] * 6) + "\n"
        for _ in range(frames):
            fh.write(row)


def _measured(cmd: list[str], timeout_s: float = 600) -> tuple[str, str, int, float, float]:
    """Run ``cmd``; (stdout, stderr, exit status, seconds, peak RSS MB of that process)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return out.read(), err.read(), proc.returncode, time.perf_counter() - t0, usage.ru_maxrss / 1024


def _child(code: str, timeout_s: float = 600) -> tuple[str, float, float]:
    """``code`` in a fresh Python; it prints ``outcome<TAB>seconds`` (the probed call's
    own time, without the interpreter's start); (outcome, seconds, peak RSS MB)."""
    out, _, status, seconds, peak = _measured([sys.executable, "-c", code], timeout_s)
    last = (out.strip().splitlines() or [""])[-1]
    outcome, _, inner = last.partition("\t")
    if not inner:
        return (f"exit {status}, timed out" if seconds >= timeout_s else f"exit {status}"), seconds, peak
    return outcome, float(inner), peak


LOAD = ("import time\nfrom moground.io import load_motion\n"
        "from moground.wire.errors import MoGroundError\n"
        "t0 = time.perf_counter()\n"
        "try:\n    c = load_motion({path!r}{extra})\n    out = 'read'\n"
        "except MoGroundError as e:\n    out = e.code + ' ' + str(e.details.get('limit', ''))\n"
        "print(out, time.perf_counter() - t0, sep='\\t')\n")


def file_probes(report) -> None:
    with tempfile.TemporaryDirectory(prefix="moground-bench-") as tmp:
        tmp = Path(tmp)
        npz = tmp / "bomb.npz"
        _npy_bomb(npz, {"positions": ((500_000, 256, 3), "<f4")},
                  {"joint_names": np.array([f"j{i}" for i in range(256)]), "parents": np.arange(-1, 255),
                   "fps": np.float64(30.0)})
        smpl = tmp / "smpl_bomb.npz"
        _npy_bomb(smpl, {"poses": ((1_200_000, 156), "<f8"), "trans": ((1_200_000, 3), "<f8")},
                  {"betas": np.zeros(16), "mocap_framerate": np.float64(120.0), "gender": np.array("male")})
        for name, path, extra in (("npz declaring 1.5 GB", npz, ""), ("SMPL npz declaring 1.5 GB", smpl, ", fmt='smpl'")):
            out, sec, peak = _child(LOAD.format(path=str(path), extra=extra))
            report(f"1. {name} ({path.stat().st_size / 1e6:.1f} MB file)", out, sec, peak)
        lib = tmp / "lib_in"
        lib.mkdir()
        for p in (npz, smpl):
            os.link(p, lib / p.name)
        _, err, status, sec, peak = _measured([sys.executable, "-m", "moground.cli", "index", str(lib),
                                               "--out", str(tmp / "lib")], 900)
        import json

        manifest = tmp / "lib" / "index.json"
        why = json.loads(manifest.read_text()).get("skipped", {}).values() if manifest.is_file() else []
        refused = sum("too_large" in w or "max_frames" in w for w in why)
        report("1. `moground index` over both", f"exit {status}, {refused}/2 too_large", sec, peak)
        bvh = tmp / "joints.bvh"
        _bvh_bomb(bvh, 100_000, 100)
        out, sec, peak = _child(LOAD.format(path=str(bvh), extra=""))
        report(f"2. BVH of 100,000 joints x 100 frames ({bvh.stat().st_size / 1e6:.0f} MB)", out, sec, peak)


LLM = ("import sys, time\nsys.path.insert(0, {tests!r})\n"
       "from test_llm_deadline import SlowHTTP\n"
       "from moground.decompose import LLMConfig, decompose\n"
       "srv = SlowHTTP({mode!r}, hop_s=1.5)\n"
       "t0 = time.perf_counter()\n"
       "out = decompose('walk, then jump', LLMConfig(url=srv.url, timeout_s=3.0))\n"
       "print(out.source, time.perf_counter() - t0, sep='\\t')\n")


def llm_probes(report) -> None:
    tests = str(Path(__file__).resolve().parent.parent / "tests")
    for mode, what in (("status", "drips its status line"), ("headers", "drips its headers"),
                       ("redirects", "redirects every 1.5 s")):
        out, sec, peak = _child(LLM.format(tests=tests, mode=mode), timeout_s=300)
        report(f"3. LLM endpoint {what}, --llm-timeout 3", out, sec, peak)


def upload_probe(address: str, front_pid: int, rss_mb, report, clip: tuple) -> None:
    """A valid 6.6 MB ground request (the bench's clip repeated) through a 150 KB/s
    relay: about 44 s on the wire."""
    from moground.wire import protocol as P
    from moground.bench.slow_link import SlowLink
    from moground.wire.client import Client
    from moground.wire.errors import MoGroundError

    port = int(address.rsplit(":", 1)[1])
    link = SlowLink(port, bytes_per_s=150_000)
    one, names, parents, fps = clip[0], clip[1], clip[2], clip[3]
    pos = np.concatenate([one] * int(np.ceil(6.6e6 / one.nbytes)))[: int(6.6e6 // (one.shape[1] * 12))]
    header, arrays = P.make_ground_request(pos, names, parents, fps, 0.0, "walk then jump", method="uniform")
    peak, stop = [rss_mb([front_pid])], [False]

    def watch() -> None:
        while not stop[0]:
            peak[0] = max(peak[0], rss_mb([front_pid]))
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True).start()
    t0 = time.perf_counter()
    try:
        with Client(link.address, timeout_s=600, retries=0) as c:
            reply, _ = c.request(header, arrays)
        outcome = f"ok, {len(reply['segments'])} segments"
    except MoGroundError as exc:
        outcome = exc.code
    finally:
        stop[0] = True
        link.close()
    report(f"4. {pos.nbytes / 1e6:.1f} MB ground request ({len(pos) / fps:.0f} s take) at 150 KB/s", outcome, time.perf_counter() - t0, peak[0])


def run(address: str, front_pid: int, rss_mb, clip: tuple) -> None:
    print()
    print(HEADER)

    def report(name: str, outcome: str, seconds: float, peak_mb: float) -> None:
        print(f"{name:<56} {outcome[:24]:>24} {seconds:>8.1f} {peak_mb:>12.0f}", flush=True)

    file_probes(report)
    llm_probes(report)
    upload_probe(address, front_pid, rss_mb, report, clip)
