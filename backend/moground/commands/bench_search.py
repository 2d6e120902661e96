"""``moground bench-search``: how well library search finds known moments in a corpus of whole takes."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from ._common import add_encoder_args, encoder_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench-search", help="benchmark library search: realchains labels and timed HumanML3D "
                       "captions found in a corpus of one CMU split plus realchains, against the sliding-window pyramid")
    p.add_argument("--data", help="shared data folder (default: $MOGROUND_DATA or ../shared/data)")
    p.add_argument("--split", default="test", choices=["val", "test"], help="CMU split of the corpus and captions")
    p.add_argument("--work", default=None, metavar="DIR",
                   help="folder for the split's npz takes and the index (default: a folder in the temp dir, "
                        "reused by the next run: indexing is incremental)")
    p.add_argument("--top", type=int, default=50, help="ranked spans per query (a query with no correct span "
                   "in them gets rank top+1; default 50)")
    p.add_argument("--no-baseline", action="store_true", help="skip the sliding-window pyramid")
    p.add_argument("--json", dest="json_out", help="write the rows to this JSON file")
    p.add_argument("--plot", metavar="PNG", help="write R@k bars with CIs at IoU 0.5 here")
    add_encoder_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..bench.search_bench import (WindowPyramid, format_rows, format_top_hits, hml_queries, plot_rows,
                                      realchains_queries, run_library, run_pyramid, score_runs, take_descriptions,
                                      write_split_corpus)
    from ..encoders import load_encoder
    from ..library.build import IndexOptions, build_index
    from ..library.search import Searcher, SearchOptions
    from ..library.store import LibraryIndex
    from ..paths import data_root

    SearchOptions(top=args.top)  # a bad --top fails here, before minutes of indexing
    root = data_root(args.data)
    work = Path(args.work or Path(tempfile.gettempdir()) / f"moground-bench-search-{args.split}")
    encoder = load_encoder(args.encoder, args.encoder_path, device=args.device, **encoder_options(args))
    if not encoder.describe().get("trained", True):
        print("WARNING: the encoder has no trained weights; numbers are chance level.", file=sys.stderr)
    queries = realchains_queries(root) + hml_queries(args.split, root)
    corpus = write_split_corpus(args.split, work / f"cmu_{args.split}", root)
    report = build_index(IndexOptions(paths=[str(work / f"cmu_{args.split}"), str(root / "realchains" / "positions.npz")],
                                      out=str(work / "index"), encoder=args.encoder, encoder_path=args.encoder_path,
                                      encoder_options=encoder_options(args)), encoder=encoder)
    index = LibraryIndex.open(work / "index")
    searcher = Searcher(index, encoder)
    runs = [run_library(searcher, queries, args.top, refine=True), run_library(searcher, queries, args.top, refine=False)]
    if not args.no_baseline:
        runs.append(run_pyramid(WindowPyramid.build(index, encoder), encoder, queries, args.top))
    rows = score_runs(runs, queries, index, args.top)
    encoded = report.encoded_hours
    print(f"moground bench-search: corpus = {len(corpus)} CMU {args.split} takes + realchains "
          f"({len(index.takes)} takes, {index.hours():.2f} h, {index.spans.shape[0]} stored windows); "
          f"{len(queries)} queries; top {args.top}; encoder {encoder.describe().get('name')}")
    print(f"index: {report.seconds:.1f} s ({encoded:.2f} h encoded in this run"
          + (f", {encoded * 3600 / report.seconds:.0f}x real time" if encoded else ", reused") + ")"
          + f"; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {platform.processor() or platform.machine()}")
    print(format_rows(rows, args.top))
    print(format_top_hits(runs[0], queries, take_descriptions(root)))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "split": args.split, "top": args.top, "takes": len(index.takes), "hours": index.hours(),
            "queries": [asdict(q) for q in queries], "rows": [asdict(r) for r in rows],
            "ranked": {r.name: [[asdict(s) for s in spans] for spans in r.ranked] for r in runs},
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        }, indent=1))
    if args.plot:
        plot_rows(rows, args.plot)
    return 0
