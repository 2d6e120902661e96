"""Regenerate the figures the README shows (committed under docs/):

    python scripts/make_figures.py            # needs ../shared/data (or $MOGROUND_DATA) for the bench

* docs/demo_timeline.png: ``moground demo`` on the packaged CMU take 86_05, next to
  its human boundaries;
* docs/bench_summary.png: ``moground bench --sets realchains --plots DIR`` (mIoU per
  method and set with 95 % CIs, the text-control gap, the reliability of segment
  scores); the per-case timelines stay in the temporary folder (``--keep DIR`` keeps
  them and the bench JSON).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "backend"))

from moground.cli import main as moground  # noqa: E402


def _accepts(argv: list[str]) -> bool:
    import contextlib
    import io

    from moground.cli import build_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            build_parser().parse_args(argv)
        return True
    except SystemExit:
        return False


def run() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", default=str(REPO / "docs"))
    ap.add_argument("--keep", metavar="DIR", help="keep the bench's JSON and per-case timelines here")
    ap.add_argument("--bench-args", nargs=argparse.REMAINDER, default=[],
                    help="extra arguments for moground bench (after this flag)")
    args = ap.parse_args()
    docs = Path(args.docs)
    docs.mkdir(parents=True, exist_ok=True)
    rc = moground(["demo", "--plot", str(docs / "demo_timeline.png")])
    if rc:
        return rc
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="moground-figures-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        bench = ["bench", "--plots", str(work), "--json", str(work / "bench.json"), *args.bench_args]
        if _accepts([*bench, "--sets", "realchains"]):  # the real takes alone, where the bench has them
            bench += ["--sets", "realchains"]
        rc = moground(bench)
        if rc:
            return rc
        shutil.copyfile(work / "bench_summary.png", docs / "bench_summary.png")
        print(f"wrote {docs / 'demo_timeline.png'} and {docs / 'bench_summary.png'}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(run())
