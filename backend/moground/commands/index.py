"""``moground index``: build or update a searchable library index of mocap takes;
``moground index merge OUT IN...``: join indexes built as shards."""

from __future__ import annotations

import argparse
import json
import sys

from ..wire.errors import BadRequest
from ._common import add_encoder_args, encoder_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "index", help="index mocap takes for text search (BVH, ASF/AMC, npz, shared-data shards, .blend)",
        description="Build or update (by file content hash) an index of per-frame features. "
                    "`moground index merge OUT IN1 IN2 ...` joins shard indexes instead.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (searched recursively)")
    p.add_argument("--out", help="index folder to create or update")
    p.add_argument("--asf", help="ASF skeleton for AMC files without one beside them")
    p.add_argument("--units", choices=["m", "cm", "mm", "in", "ft"], help="length unit of BVH/ASF files (guessed if omitted)")
    p.add_argument("--fps", type=float, default=None, help="frame rate of AMC/.npy files that do not state one")
    p.add_argument("--blender", metavar="PATH",
                   help="read .blend files with this Blender executable instead of the bpy module")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--shard", default=None, metavar="I/N", help="index only shard I of N (0-based) of the files")
    p.add_argument("--rebuild", action="store_true", help="encode every file again, ignoring the existing index")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_encoder_args(p)
    p.set_defaults(func=run)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise BadRequest(f"--shard {text!r}: expected I/N, e.g. 0/4") from None
    if not (n >= 1 and 0 <= i < n):
        raise BadRequest(f"--shard {text!r}: need 0 <= I < N")
    return i, n


def run(args: argparse.Namespace) -> int:
    if args.paths[0] == "merge":
        return _merge(args)
    if not args.out:
        raise BadRequest("give --out LIBRARY, the index folder to create or update")
    if args.jobs < 1:
        raise BadRequest(f"--jobs must be at least 1, got {args.jobs}")
    if args.fps is not None and not args.fps > 0:
        raise BadRequest(f"--fps must be positive, got {args.fps}")
    from ..library.build import IndexOptions, build_index
    from ..library.sources import EXTENSIONS

    opts = IndexOptions(
        paths=list(args.paths), out=args.out, encoder=args.encoder, encoder_path=args.encoder_path,
        encoder_options=encoder_options(args), device=args.device, asf=args.asf, units=args.units, fps=args.fps, blender=args.blender,
        jobs=args.jobs, shard=parse_shard(args.shard), rebuild=args.rebuild,
    )
    bar = None
    if not args.no_progress and not args.json:
        from tqdm import tqdm

        bar = tqdm(desc="index", unit="file", file=sys.stderr)

    def progress(done: int, total: int, _path: str) -> None:
        if bar is not None:
            bar.total = total
            bar.update(1)

    report = build_index(opts, progress=progress)
    if bar is not None:
        bar.close()
    if not report.found:
        print(f"moground index: no files to index under {', '.join(args.paths)} "
              f"(looked for {', '.join(EXTENSIONS)}{' in shard ' + args.shard if args.shard else ''})",
              file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json(), indent=1))
    else:
        hours = report.hours
        rate = report.encoded_hours * 3600 / report.seconds if report.seconds else 0.0
        print(f"{args.out}: {report.takes} takes, {hours:.2f} h, {report.bytes / 1e6:.1f} MB "
              f"({report.bytes / 1e6 / hours:.1f} MB/h)" if hours else f"{args.out}: empty index")
        print(f"  {len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
              f"{len(report.dropped)} dropped, {len(report.skipped)} skipped; "
              f"{report.seconds:.1f} s ({rate:.0f}x real time for what was encoded)")
        for path, why in report.skipped.items():
            print(f"  skipped {path}: {why}", file=sys.stderr)
    return 0


def _merge(args: argparse.Namespace) -> int:
    rest = args.paths[1:]
    out = args.out or (rest[0] if rest else None)
    inputs = rest if args.out else rest[1:]
    if not out or not inputs:
        raise BadRequest("usage: moground index merge OUT IN1 [IN2 ...] (or --out OUT IN1 ...)")
    from ..library.merge import merge_indexes

    manifest = merge_indexes(inputs, out)
    hours = manifest.hours()
    print(f"{out}: merged {len(inputs)} indexes, {len(manifest.takes)} takes, {hours:.2f} h")
    return 0
