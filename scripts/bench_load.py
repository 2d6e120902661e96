"""Load benchmark of the ZeroMQ backend (not a test).

1, 4 and 16 concurrent clients send 20 s clips with 4 sub-actions; prints requests/s,
p50/p95/p99 latency and the server's RSS (front end + workers) before and after.

    python scripts/bench_load.py                      # starts `moground serve`, real engine, N=2000
    python scripts/bench_load.py -n 40 --method uniform --workers 2
    python scripts/bench_load.py --address tcp://127.0.0.1:5757   # an already running server
    python scripts/bench_load.py -n 40 --hostile       # then the hostile probes of issue 16

``--hostile`` adds, after the load levels, the probes that used to crash or balloon the
server (lone surrogates, a 0.01 fps take, one request id from three clients, six
stalled 100 MiB uploads) and prints the front end's RSS before, at peak and after.

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

from moground.wire.methods import DEFAULT_METHOD
from moground.wire.blender.local_backend import free_port
from moground.wire.client import Client
from moground.wire.errors import MoGroundError

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
    proc = subprocess.Popen([sys.executable, "-m", "moground.commands.serve", "--bind", address, "--workers", str(workers),
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


def hostile_probes(address: str, stall_wait_s: float, clip: tuple) -> None:
    """Issue 16's probes against a running server; one line per probe with the front
    end's RSS (MB) before, at peak and after."""
    import json
    import socket
    import struct

    import zmq

    from moground.wire import protocol as P

    front = server_pids(address)[0]
    ctx = zmq.Context()

    def dealer():
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(address)
        return s

    def ask(sock, frames, timeout_ms=30_000):
        sock.send_multipart(frames)
        if not sock.poll(timeout_ms):
            return None
        return json.loads(sock.recv_multipart()[0])

    print(f"{'probe':<38} {'replies':>16} {'ms/msg':>8} {'RSS before':>10} {'peak':>7} {'after':>7}")

    def report(name, outcome, ms, before, peak, after):
        print(f"{name:<38} {outcome:>16} {ms:>8.1f} {before:>10.1f} {peak:>7.1f} {after:>7.1f}")

    # 1. lone surrogates: request id, bone name, prompt (200 each)
    pos = np.zeros((40, 3, 3), np.float32)
    head, arrays = P.make_ground_request(pos, ["a", "@@", "c"], [-1, 0, 1], 30.0, 0.0, "walk @@ then jump",
                                         request_id="@@")
    frames = P.encode_message(head, arrays)
    bad = [frames[0].replace(b"@@", b"\\ud800"), frames[1]]
    health = [b'{"protocol":1,"kind":"health","request_id":"\\ud800"}']
    sock = dealer()
    before = rss_mb([front])
    codes: dict[str, int] = {}
    t0 = time.perf_counter()
    for i in range(400):
        r = ask(sock, health if i % 2 else bad)
        key = "none" if r is None else r["error"]["code"] if not r["ok"] else "ok"
        codes[key] = codes.get(key, 0) + 1
    ms = (time.perf_counter() - t0) * 1000 / 400
    report("lone surrogates (400 msgs)", ",".join(f"{k}:{v}" for k, v in codes.items()), ms,
           before, rss_mb([front]), rss_mb([front]))

    # 2. a 2,000-frame take declared at 0.01 fps (200,000 s): refused before any work
    pos = np.zeros((2000, 22, 3), np.float32)
    head, arrays = P.make_ground_request(pos, [f"b{i}" for i in range(22)], [-1] + list(range(21)), 0.01, 0.0,
                                         "walk then jump")
    before = rss_mb(server_pids(address))
    codes, t0 = {}, time.perf_counter()
    for _ in range(20):
        head["request_id"] = P.new_request_id()
        r = ask(sock, P.encode_message(head, arrays))
        key = "none" if r is None else r["error"]["code"] if not r["ok"] else "ok"
        codes[key] = codes.get(key, 0) + 1
    ms = (time.perf_counter() - t0) * 1000 / 20
    after = rss_mb(server_pids(address))
    report("fps 0.01, 2,000 frames (20 msgs, all)", ",".join(f"{k}:{v}" for k, v in codes.items()), ms,
           before, after, after)

    # 3. one request id, three clients, different prompts: each gets its own answer
    before = rss_mb([front])
    socks = [dealer() for _ in range(3)]
    prompts = ["walk then jump", "run then sit then wave", "kick then bow"]
    cpos, cnames, cparents, cfps, _ = clip
    t0 = time.perf_counter()
    for s_, prompt in zip(socks, prompts):
        h_, a_ = P.make_ground_request(cpos, cnames, cparents, cfps, 1.0, prompt, request_id="shared")
        s_.send_multipart(P.encode_message(h_, a_))
    got = {"own": 0, "busy": 0, "wrong": 0}
    for s_, prompt in zip(socks, prompts):
        if s_.poll(120_000):
            r = json.loads(s_.recv_multipart()[0])
            if not r["ok"] and r["error"]["code"] == "busy":  # a queue shorter than 3
                got["busy"] += 1
            else:
                got["own" if r.get("sub_actions") == [p.strip() for p in prompt.split("then")] else "wrong"] += 1
    report("same request_id from 3 clients", ",".join(f"{k}:{v}" for k, v in got.items() if v),
           (time.perf_counter() - t0) * 1000 / 3, before, rss_mb([front]), rss_mb([front]))
    for s_ in socks:
        s_.close()

    # 4. six uploads that declare 100 MiB, send 60 MiB and stall
    port = int(address.rsplit(":", 1)[1])
    before = rss_mb([front])
    conns = []
    for _ in range(6):
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\x00") + b"\x00" * 32)
        body = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", 6) + b"DEALER"
        c.sendall(b"\x04" + bytes([len(body)]) + body + b"\x02" + struct.pack(">Q", 100 << 20))
        chunk = b"\x00" * (1 << 20)
        for _ in range(60):
            c.sendall(chunk)
        conns.append(c)
    time.sleep(1.0)
    peak = rss_mb([front])
    t0 = time.perf_counter()
    dropped = 0
    for c in conns:  # the server closes each stalled connection: recv sees EOF
        c.settimeout(max(0.5, stall_wait_s - (time.perf_counter() - t0)))
        try:
            while c.recv(1 << 16):
                pass
            dropped += 1
        except ConnectionResetError:
            dropped += 1
        except socket.timeout:
            pass
        c.close()
    waited = time.perf_counter() - t0
    time.sleep(1.0)
    report("6 stalled 100 MiB uploads", f"{dropped}/6 dropped, {waited:.0f}s", 0.0,
           before, peak, rss_mb([front]))
    ok = ask(sock, [b'{"protocol":1,"kind":"health","request_id":"after"}'], 5000)
    print(f"server still answers: {bool(ok and ok['ok'])}")
    sock.close()
    ctx.term()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--requests", type=int, default=2000, help="requests per concurrency level (default 2000)")
    ap.add_argument("--levels", default="1,4,16", help="concurrent clients per level (default 1,4,16)")
    ap.add_argument("--address", default=None, help="use a running server instead of starting one")
    ap.add_argument("--workers", type=int, default=1, help="workers of the server this script starts")
    ap.add_argument("--method", default=DEFAULT_METHOD, help=f"grounding method (default {DEFAULT_METHOD})")
    ap.add_argument("--steps", type=int, default=None, help="ZOMG optimisation steps (default: the engine's)")
    ap.add_argument("--timeout", type=float, default=600.0, help="client timeout per request, s")
    ap.add_argument("--server-args", default="", help="extra `moground serve` arguments, quoted")
    ap.add_argument("--hostile", action="store_true", help="then run issue 16's hostile probes")
    ap.add_argument("--stall-wait", type=float, default=45.0,
                    help="seconds to wait for stalled uploads to be dropped (server default 30)")
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
        if args.hostile:
            hostile_probes(address, args.stall_wait, clip)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
