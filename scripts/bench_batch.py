"""Batch throughput: files per minute for N .blend files with --jobs 1 and --jobs 2.

    python scripts/bench_batch.py --files 20 --jobs 1 2 [--option steps=120]

Builds N real .blend files from the shared Bandai BVH takes, starts one local
backend per setting (workers = jobs, as ``moground segment`` does by default)
and times ``moground segment`` end to end (worker startup, file open, motion
read, grounding, NLA write, safe save and verify). Backend start-up is timed
separately and not counted in files/minute.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from moground.wire.blender.local_backend import LocalBackend
from moground.paths import REPO_DIR

sys.path.insert(0, str(REPO_DIR / "tests"))
import batch_helpers as h  # noqa: E402


def run_once(files: int, jobs: int, options: list[str], work: Path) -> dict:
    folder = work / f"jobs{jobs}"
    if folder.exists():
        shutil.rmtree(folder)
    h.make_blends(folder, files)
    report = work / f"report-jobs{jobs}.json"
    t0 = time.perf_counter()
    with LocalBackend(workers=jobs, log_path=work / f"backend-{jobs}.log") as address:
        t_backend = time.perf_counter() - t0
        t1 = time.perf_counter()
        cmd = [sys.executable, "-m", "moground.cli", "segment", str(folder), "--prompt",
               "run, then wave", "--backend", address, "--jobs", str(jobs), "--no-progress",
               "--report", str(report)]
        for o in options:
            cmd += ["--option", o]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_DIR)
        elapsed = time.perf_counter() - t1
    rows = json.loads(report.read_text())["files"]
    ok = sum(r["status"] == "ok" for r in rows)
    per_file = sorted(r["seconds"] for r in rows)
    return {"jobs": jobs, "files": files, "ok": ok, "rc": proc.returncode,
            "seconds": round(elapsed, 1), "files_per_min": round(60.0 * ok / elapsed, 2),
            "median_file_s": per_file[len(per_file) // 2], "backend_start_s": round(t_backend, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--option", action="append", default=[], help="engine option KEY=VALUE")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    if h.bvh_dir() is None:
        print("shared data (bandai/raw_bvh) not found", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory(prefix="moground-bench-") as tmp:
        for jobs in args.jobs:
            r = run_once(args.files, jobs, args.option, Path(tmp))
            results.append(r)
            print(f"jobs={r['jobs']}: {r['ok']}/{r['files']} ok in {r['seconds']} s → "
                  f"{r['files_per_min']} files/min (median {r['median_file_s']} s/file, "
                  f"backend start {r['backend_start_s']} s)", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if all(r["ok"] == r["files"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
