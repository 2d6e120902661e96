"""Load benchmark of the ZeroMQ backend (not a test).

1, 4 and 16 concurrent clients send 20 s clips with 4 sub-actions; prints requests/s,
p50/p95/p99 latency and the server's RSS (front end + workers) before and after.

    python scripts/bench_load.py                      # starts `moground serve`, real engine, N=2000
    python scripts/bench_load.py -n 40 --method uniform --workers 2
    python scripts/bench_load.py --address tcp://127.0.0.1:5757   # an already running server

The clip is the first 20 s of a real CMU trial from the shared data, sent Z-up as the
add-on sends it; without the data, the project's procedural sample is repeated to 20 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from moground.blender.local_backend import free_port
from moground.client import Client
from moground.errors import MoGroundError

PROMPT = "walk forward, then turn around, then jump, then wave"
CLIP_S = 20.0


def load_clip() -> tuple[np.ndarray, list[str], list[int], float, str]:
    """(positions Z-up [T, B, 3], names, parents, fps, description) of a 20 s clip."""
    from moground.paths import data_root

    if data_root(required=False) is not None:
        import json

        from moground.io.shards import load_cmu_trial

        index = json.loads((data_root() / "cmu" / "index.json").read_text())
        trial = next(t for t in index["trials"] if t["fps"] == 24.0 and t["duration_s"] >= CLIP_S)
        clip = load_cmu_trial(trial["id"])
        pos, names, parents, fps = clip.positions * clip.units_to_m, clip.joint_names, clip.parents, clip.fps
        source = f"CMU {trial['id']}"
    else:
        from moground.samples.procedural import NAMES, PARENTS, joint_positions_cm, walk_jump_wave

        sample = walk_jump_wave()
        one = joint_positions_cm(sample) / 100.0
        pos = np.concatenate([one] * int(np.ceil(CLIP_S * sample.fps / len(one))))
        names, parents, fps, source = NAMES, PARENTS, sample.fps, "procedural sample, repeated"
    pos = np.asarray(pos[: int(round(CLIP_S * fps))], np.float32)
    z_up = np.stack([pos[..., 0], -pos[..., 2], pos[..., 1]], axis=-1).astype(np.float32)
    return z_up, list(names), list(parents), float(fps), source


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as fh:
                total += next(int(l.split()[1]) for l in fh if l.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def server_pids(address: str) -> list[int]:
    with Client(address, timeout_s=5) as c:
        h = c.health()
    return [h["server_pid"], *(w["pid"] for w in h["workers"])]


def run_level(address: str, clients: int, total: int, clip: tuple, method: str, options: dict,
              timeout_s: float) -> dict:
    pos, names, parents, fps, _ = clip
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        with Client(address, timeout_s=timeout_s, retries=0) as c:
            while True:
                with lock:
                    if next(counter, None) is None:
                        return
                t0 = time.perf_counter()
                try:
                    r = c.ground(pos, names, parents, fps, 1.0, prompt=PROMPT, method=method, options=options)
                    assert len(r["segments"]) == 4, r["sub_actions"]
                    with lock:
                        latencies.append(time.perf_counter() - t0)
                except MoGroundError as exc:
                    with lock:
                        errors[exc.code] = errors.get(exc.code, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    return {"clients": clients, "ok": len(latencies), "errors": errors, "wall_s": wall,
            "rps": len(latencies) / wall, "p50": np.percentile(lat, 50), "p95": np.percentile(lat, 95),
            "p99": np.percentile(lat, 99)}


def start_server(workers: int, queue: int, extra: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_load_server_{port}.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "moground.server", "--bind", address, "--workers", str(workers),
                             "--queue", str(queue), *extra], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    with Client(address, timeout_s=1, retries=0) as c:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                sys.exit(f"server exited early, see {log.name}")
            try:
                if c.health()["workers_ready"] >= workers:
                    return proc, address
            except MoGroundError:
                time.sleep(0.5)
    proc.kill()
    sys.exit("server did not become ready in 300 s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--requests", type=int, default=2000, help="requests per concurrency level (default 2000)")
    ap.add_argument("--levels", default="1,4,16", help="concurrent clients per level (default 1,4,16)")
    ap.add_argument("--address", default=None, help="use a running server instead of starting one")
    ap.add_argument("--workers", type=int, default=1, help="workers of the server this script starts")
    ap.add_argument("--method", default="zomg", help="grounding method (default zomg)")
    ap.add_argument("--steps", type=int, default=None, help="ZOMG optimisation steps (default: the engine's)")
    ap.add_argument("--timeout", type=float, default=600.0, help="client timeout per request, s")
    ap.add_argument("--server-args", default="", help="extra `moground serve` arguments, quoted")
    args = ap.parse_args()

    clip = load_clip()
    levels = [int(x) for x in args.levels.split(",")]
    proc = None
    address = args.address
    if address is None:
        proc, address = start_server(args.workers, max(levels), args.server_args.split())
    options = {} if args.steps is None else {"steps": args.steps}
    try:
        pids = server_pids(address)
        print(f"clip: {clip[4]}, {clip[0].shape[0]} frames x {clip[0].shape[1]} bones at {clip[3]:g} fps "
              f"(20 s), prompt: {PROMPT!r}, method {args.method} {options or ''}")
        print(f"server {address}: pids {pids}")
        with Client(address, timeout_s=args.timeout) as c:  # warm-up (first call loads lazy parts)
            c.ground(clip[0], clip[1], clip[2], clip[3], 1.0, prompt=PROMPT, method=args.method, options=options)
        rss_before = rss_mb(server_pids(address))
        print(f"{'clients':>7} {'ok':>6} {'errors':>14} {'req/s':>8} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}")
        for n in levels:
            r = run_level(address, n, args.requests, clip, args.method, options, args.timeout)
            print(f"{r['clients']:>7} {r['ok']:>6} {str(r['errors'] or '-'):>14} {r['rps']:>8.2f} "
                  f"{r['p50']:>9.1f} {r['p95']:>9.1f} {r['p99']:>9.1f}")
        rss_after = rss_mb(server_pids(address))
        total = args.requests * len(levels)
        print(f"server RSS (front end + workers): {rss_before:.1f} MB before, {rss_after:.1f} MB after "
              f"{total} requests ({rss_after - rss_before:+.1f} MB)")
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
