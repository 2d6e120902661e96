"""``moground search``: find moments in a library index by text."""

from __future__ import annotations

import argparse
import json

from ..wire.errors import BadRequest
from ._common import add_encoder_args, encoder_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="find moments matching a text in an index built by `moground index`")
    p.add_argument("query", help="what happens, e.g. 'a person climbs a ladder'")
    p.add_argument("--index", required=True, metavar="LIBRARY", help="index folder")
    p.add_argument("--top", type=int, default=20, help="hits to print (default 20)")
    p.add_argument("--min-s", type=float, default=None, help="shortest moment, seconds")
    p.add_argument("--max-s", type=float, default=None, help="longest moment, seconds")
    p.add_argument("--path", dest="path_glob", default=None, metavar="GLOB", help="only files matching this glob")
    p.add_argument("--coarse", action="store_true", help="rank the stored windows only (no refinement)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_encoder_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..encoders import load_encoder
    from ..library.search import Searcher, SearchOptions
    from ..library.store import LibraryIndex

    if not args.query.strip():
        raise BadRequest("the search query is empty")
    opts = SearchOptions(top=args.top, min_s=args.min_s, max_s=args.max_s, path_glob=args.path_glob,
                         refine=not args.coarse)
    index = LibraryIndex.open(args.index)
    searcher = Searcher(index, load_encoder(args.encoder, args.encoder_path, **encoder_options(args)))
    hits = searcher.search(args.query, opts)
    if args.json:
        print(json.dumps({"query": args.query, "index": args.index, "hits": [h.to_json() for h in hits]}, indent=1))
        return 0
    print(f"{len(hits)} moments for {args.query!r} in {args.index} ({len(index.takes)} takes, {index.hours():.2f} h)")
    print(f"{'#':>3} {'score':>6} {'start':>8} {'end':>8} {'dur s':>6}  take")
    for h in hits:
        where = h.file + (f" :: {h.take}" if h.take else "")
        print(f"{h.rank:>3} {h.score:>6.3f} {h.start_frame:>8.0f} {h.end_frame:>8.0f} {h.duration_s:>6.2f}  {where}")
    return 0
