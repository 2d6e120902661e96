"""Speed and size of the library index on this machine, with the sliding-window baseline.

Prints one table:
  * indexing real-time factor on about --hours of CMU mocap (test-split trials, then
    val-split ones, written once as npz files), with each --jobs value (goal >= 60x);
  * storage per hour of mocap, total and per array;
  * search latency p50/p95 over the realchains labels, their paraphrases and HumanML3D
    test captions (>= 50 queries) on a 10+ h index (below), refined and coarse only
    (goal p95 < 300 ms), and the sliding-window pyramid's per-query cost on the same
    number of windows, with its indexing cost (every window crop encoded on its own),
    measured on the first --pyramid-minutes of the small corpus.

The big index holds every CMU and Bandai shard file of the shared data (13 h, all
splits: this measures speed only), or with --big-source repeat the small corpus repeated
until it holds --big-hours (search cost depends on the number of windows and frames,
not on which motion they hold); it is written to --big and reused with --reuse.

    python scripts/bench_library.py [--hours 1] [--jobs 1 2] [--big-source shards|repeat] [--reuse] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from moground.bench.search_bench import (WindowPyramid, hml_queries, realchains_queries, split_trials,
                                         write_trials)
from moground.encoders import load_encoder
from moground.grounding.phrases import encode_phrases
from moground.library.build import IndexOptions, build_index
from moground.library.search import Searcher, SearchOptions
from moground.library.store import FileRecord, LibraryIndex, Manifest, encoded_from_index, write_index

ARRAYS = ("frames.npy", "windows.npy", "spans.npy", "index.json")
TMP = Path(tempfile.gettempdir())


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def corpus_trials(hours: float) -> list[str]:
    """CMU test trials, then val trials, until their duration reaches ``hours``."""
    recs = {r["id"]: r for r in json.loads((data_dir() / "cmu" / "index.json").read_text())["trials"]}
    out, total = [], 0.0
    for trial in split_trials("test") + split_trials("val"):
        if total >= hours * 3600:
            break
        if trial in recs:
            out.append(trial)
            total += recs[trial]["duration_s"]
    return out


def data_dir() -> Path:
    from moground.paths import data_root

    return data_root()


def replicate(small: LibraryIndex, out: Path, hours: float) -> LibraryIndex:
    """An index holding ``small``'s takes repeated until it reaches ``hours``."""
    copies = int(np.ceil(hours / small.hours()))
    takes = []
    for c in range(copies):
        for path, rec in small.manifest.files.items():
            numbers = [i for i, t in enumerate(small.takes) if t.file == path]
            takes.append((FileRecord(f"{path}#copy{c}", rec.sha256), [encoded_from_index(small, i) for i in numbers]))
    manifest = Manifest(encoder=small.manifest.encoder, scales_s=small.manifest.scales_s)
    write_index(out, manifest, takes, small.frames.shape[1], small.windows.shape[1])
    return LibraryIndex.open(out)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hours", type=float, default=1.0, help="mocap to index for the real-time factor")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--big-hours", type=float, default=10.0)
    ap.add_argument("--big", default=str(TMP / "moground-bench-library-big"), help="big index folder")
    ap.add_argument("--reuse", action="store_true", help="reuse the big index when present")
    ap.add_argument("--big-source", choices=["shards", "repeat"], default="shards",
                    help="big index from every CMU and Bandai shard file (13 h, all splits: speed only) or the "
                         "small corpus repeated to --big-hours")
    ap.add_argument("--work", default=str(TMP / "moground-bench-library"), help="small corpus and index folder")
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--pyramid-minutes", type=float, default=5.0)
    ap.add_argument("--encoder", default="builtin")
    ap.add_argument("--out", help="also write the table to this file")
    args = ap.parse_args()
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    t0 = time.perf_counter()
    encoder = load_encoder(args.encoder)
    load_s = time.perf_counter() - t0
    work = Path(args.work)
    trials = corpus_trials(args.hours)
    write_trials(trials, work / "takes")
    say(f"bench_library.py on {platform.machine()} with {os.cpu_count()} CPUs (shared), {time.strftime('%Y-%m-%d %H:%M')}")
    say(f"small corpus: {len(trials)} CMU trials (test split, then val) as npz files\n")
    say(f"{'indexing (rebuilt from scratch)':<34} {'hours':>6} {'seconds':>8} {'x real time':>12}  "
        f"load avg (1/5/15 min) before -> after")
    for jobs in args.jobs:
        before = load()
        report = build_index(IndexOptions(paths=[str(work / "takes")], out=str(work / "index"), jobs=jobs,
                                          encoder=args.encoder, rebuild=True), encoder=encoder)
        say(f"{'moground index --jobs ' + str(jobs):<34} {report.encoded_hours:>6.2f} {report.seconds:>8.1f} "
            f"{report.encoded_hours * 3600 / report.seconds:>11.1f}x  {before} -> {load()}")
    say(f"(--jobs N starts N worker processes that each load the encoder first: {load_s:.1f} s in this process)")
    small = LibraryIndex.open(work / "index")

    hours = small.hours()
    say(f"\nstorage per hour of mocap ({small.takes.__len__()} takes, {hours:.2f} h)")
    total = 0
    for name in ARRAYS:
        size = (small.path / name).stat().st_size
        total += size
        say(f"  {name:<14} {size / 1e6 / hours:>7.2f} MB/h")
    say(f"  {'total':<14} {total / 1e6 / hours:>7.2f} MB/h   (frames float16 [T,{small.frames.shape[1]}] at "
        f"{small.fps:g} fps, windows float16 [W,{small.windows.shape[1]}], {small.windows.shape[0] / hours:.0f} windows/h)")

    # the pyramid's text-free cost: every window crop encoded on its own
    numbers, secs = [], 0.0
    for i, t in enumerate(small.takes):
        if secs >= args.pyramid_minutes * 60:
            break
        numbers.append(i)
        secs += t.duration_s
    before = load()
    pyramid = WindowPyramid.build(small, encoder, numbers)
    say(f"\nsliding-window pyramid indexing: {secs / 60:.1f} min of mocap in {pyramid.seconds:.1f} s = "
        f"{secs / pyramid.seconds:.1f}x real time (load {before} -> {load()})")

    big_path = Path(args.big)
    if args.reuse and (big_path / "index.json").is_file():
        big = LibraryIndex.open(big_path)
        made = "reused"
    elif args.big_source == "shards":
        shards = sorted(str(p) for part in ("cmu", "bandai") for p in (data_dir() / part).glob("positions-*.npz"))
        before = load()
        report = build_index(IndexOptions(paths=shards, out=str(big_path), encoder=args.encoder, rebuild=True),
                             encoder=encoder)
        big = LibraryIndex.open(big_path)
        made = (f"indexed from the shard files in {report.seconds:.0f} s = "
                f"{report.encoded_hours * 3600 / report.seconds:.0f}x real time, load {before} -> {load()}")
    else:
        t0 = time.perf_counter()
        big = replicate(small, big_path, args.big_hours)
        made = f"the small corpus repeated, written in {time.perf_counter() - t0:.0f} s"
    queries = [q.text for q in realchains_queries() + hml_queries("test")]
    queries = (queries * (args.queries // len(queries) + 1))[: args.queries] if len(queries) < args.queries \
        else queries[: args.queries]
    t0 = time.perf_counter()
    searcher = Searcher(LibraryIndex.open(big_path), encoder)
    opened = time.perf_counter() - t0
    encode_phrases(encoder, queries)  # the text encoder's first call loads; not a per-query cost
    say(f"\nsearch on {big.hours():.1f} h ({len(big.takes)} takes, {big.windows.shape[0]} windows; "
        f"{made}: {big_path}), {len(queries)} queries (texts cached: "
        f"search cost only); opening it for search: {opened:.2f} s")
    say(f"{'method':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  load avg before -> after")
    results = {}
    baseline = WindowPyramid(big, searcher.windows, np.asarray(big.spans, dtype=np.int64), 0.0)
    methods = {
        "library search (refined, top 20)": lambda q: searcher.search(q, SearchOptions(top=20)),
        "library search (coarse only, top 20)": lambda q: searcher.search(q, SearchOptions(top=20, refine=False)),
        "sliding-window pyramid (top 20)": lambda q: baseline.rank(encode_phrases(encoder, [q])[0], 20),
    }
    for name, fn in methods.items():
        fn(queries[0])
        before = load()
        times = []
        for q in queries:
            t0 = time.perf_counter()
            fn(q)
            times.append(time.perf_counter() - t0)
        results[name] = times
        say(f"{name:<40} {pct(times, 50):>8.1f} {pct(times, 95):>8.1f} {max(times) * 1000:>8.1f}  {before} -> {load()}")
    ref, base = results["library search (refined, top 20)"], results["sliding-window pyramid (top 20)"]
    say(f"refined / pyramid per-query time: p50 {statistics.median(ref) / statistics.median(base):.1f}x; "
        f"the pyramid ranks the same number of windows (its per-query cost does not depend on how they were encoded)")
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
