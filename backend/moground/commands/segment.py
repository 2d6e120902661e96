"""``moground segment``: batch-segment .blend files (or mocap takes) headless."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from ..wire.blender.export_names import DEFAULT_FILE_PATTERN, FBX_SCALE_PRESETS, ExportSettings, ExportSettingsError
from ..wire.methods import DEFAULT_METHOD
from ..wire.errors import BadRequest, MoGroundError
from ..wire.options import GroundOptions
from ..scratch import scratch_prefix, sweep_leftovers

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "segment",
        help="cut the actions of many .blend files into named NLA strips",
        description="Segment every armature action in the given .blend files (folders are "
        "searched recursively) and save each file safely: temp file, re-open check, atomic "
        "replace with a .blend1 backup. Files already segmented with the same prompt and "
        "method are skipped unless --force.",
    )
    p.add_argument("inputs", nargs="+", metavar="FILES_OR_FOLDERS")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--prompt", help="one prompt for every file")
    src.add_argument("--prompts", metavar="FILE.csv",
                     help="CSV rows file,prompt[,armature]; file = path, name or stem")
    p.add_argument("--armature", help="armature object to segment when a file has several")
    p.add_argument("--method", default=DEFAULT_METHOD, help=f"grounding method (default {DEFAULT_METHOD})")
    p.add_argument("--backend", metavar="ADDRESS",
                   help="tcp://HOST:PORT of a running backend; default: start one for this run")
    p.add_argument("--jobs", "-j", type=int, default=1, help="files in parallel (default 1)")
    p.add_argument("--force", action="store_true", help="redo files already segmented")
    p.add_argument("--report", metavar="FILE.json|FILE.csv", help="per-file report")
    p.add_argument("--blender", metavar="PATH",
                   help="run each file in this Blender executable instead of the bpy module")
    p.add_argument("--from-mocap", action="store_true",
                   help="inputs are mocap takes (BVH, FBX, AMC, AMASS/SMPL .npz, HumanML3D/Motion-X "
                        ".npy): import each, save a .blend beside it")
    p.add_argument("--take", metavar="NAME",
                   help="with --from-mocap: the take of a multi-take .npz (saved as <stem>_<take>.blend)")
    p.add_argument("--out", metavar="DIR",
                   help="with --from-mocap: save the imported .blend files in DIR (default: beside each take)")
    p.add_argument("--body-model", metavar="DIR",
                   help="SMPL/SMPL-H/SMPL-X model folder for .npz/.npy takes (default $MOGROUND_BODY_MODELS)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per backend request")
    p.add_argument("--file-timeout", type=float, default=1800.0, help="seconds per file")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="engine option sent with every request (e.g. min_segment_s=1; "
                   "see docs/protocol.md for the options and their ranges); repeatable")
    p.add_argument("--export-actions", action="store_true",
                   help="also bake one action per sub-action (named after it) into each saved file")
    p.add_argument("--keep-frames", action="store_true",
                   help="baked actions keep the source frame numbers (default: each starts at 0)")
    p.add_argument("--export-fbx", metavar="DIR",
                   help="write one FBX per sub-action with Blender's exporter, in DIR/<file stem>/")
    p.add_argument("--export-pattern", default=DEFAULT_FILE_PATTERN, metavar="PATTERN",
                   help="FBX file names (default %(default)s; fields {take} file stem, {index} 1-based "
                        "prompt order, {label}, {name} strip name; unsafe characters become _)")
    p.add_argument("--handles", default="0", metavar="PRE[,POST]",
                   help="frames baked before (and after) each sub-action, within the take (default 0)")
    p.add_argument("--in-place", action="store_true",
                   help="baked actions and FBX drop the root's horizontal travel (default: root motion kept)")
    p.add_argument("--fbx-scale", default="unreal", choices=sorted(FBX_SCALE_PRESETS),
                   help="FBX units: unreal (centimetres, default) or unity (metres, scale applied)")
    p.add_argument("--backend-log", metavar="FILE", help="log of the local backend")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def parse_options(pairs: list[str]) -> GroundOptions:
    """``KEY=VALUE`` pairs (values read as JSON when they parse: numbers, bools) as
    checked engine options; an unknown or out-of-range option is a bad_request."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadRequest(f"--option {pair!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return GroundOptions.from_mapping(out)


def export_settings(args: argparse.Namespace) -> ExportSettings:
    """The export flags as one checked object; a bad pattern or handle is a bad_request."""
    pre, _, post = str(args.handles).partition(",")
    try:
        handles = (int(pre), int(post or pre))
    except ValueError:
        raise BadRequest(f"--handles {args.handles!r}: expected PRE or PRE,POST frames") from None
    try:
        return ExportSettings(pattern=args.export_pattern, pre_roll=handles[0], post_roll=handles[1],
                              in_place=args.in_place, fbx_scale=args.fbx_scale)
    except ExportSettingsError as exc:
        raise BadRequest(str(exc)) from None


def _make_folder(path: str, flag: str) -> None:
    """Create an output folder before any file is touched, so a bad path fails the run
    at once instead of once per file."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadRequest(f"{flag} {path}: cannot create the folder ({exc})") from None


def run(args: argparse.Namespace) -> int:
    from ..batch.discover import build_work
    from ..wire.blender.local_backend import Cancelled, LocalBackend
    from ..batch.report import FileResult, summary_lines, write_report
    from ..batch.driver import BatchOptions, BatchRunner

    options = parse_options(args.option)  # bad options fail before any file is touched
    export = export_settings(args)
    sweep_leftovers()  # scratch of earlier runs that were killed
    if args.body_model:  # the per-file workers read it from the environment
        import os

        if not Path(args.body_model).exists():
            raise BadRequest(f"--body-model {args.body_model}: no such folder")
        os.environ["MOGROUND_BODY_MODELS"] = str(Path(args.body_model).resolve())
    if args.jobs < 1:
        raise BadRequest("--jobs must be at least 1")
    if args.export_fbx:
        _make_folder(args.export_fbx, "--export-fbx")
    if (args.take or args.out) and not args.from_mocap:
        raise BadRequest("--take and --out apply to --from-mocap runs")
    if args.out:
        _make_folder(args.out, "--out")
    if args.blender and not Path(args.blender).exists():
        if shutil.which(args.blender) is None:
            raise BadRequest(f"--blender {args.blender}: no such executable")
    items, missing = build_work(args.inputs, prompt=args.prompt, prompts_csv=args.prompts,
                                armature=args.armature, from_mocap=args.from_mocap)
    results = [FileResult(file=str(f), method=args.method, status="failed",
                          error="no prompt for this file in the prompts CSV") for f in missing]
    backend = LocalBackend(workers=args.jobs, log_path=args.backend_log) if not args.backend else None
    runner: BatchRunner | None = None
    old = {}
    # The local backend starts only when a job is about to ground (it touches need_flag):
    # a run whose files are all skipped or fail before grounding never loads the model.
    need_dir = Path(tempfile.mkdtemp(prefix=scratch_prefix("segment"))) if backend else None
    need_flag = need_dir / "backend-needed" if need_dir else None
    finished = threading.Event()
    backend_errors: list[MoGroundError] = []

    def _start_backend_when_needed() -> None:
        while not finished.wait(0.1):
            if need_flag.exists():
                try:
                    backend.start(should_stop=finished.is_set)
                except Cancelled:
                    pass
                except MoGroundError as exc:
                    backend_errors.append(exc)
                    if runner is not None:
                        runner.stop()
                return

    def _on_signal(signum, _frame):
        if runner is None:  # still starting the backend: nothing to clean up yet
            raise KeyboardInterrupt
        log.warning("signal %d: stopping; running files keep their originals", signum)
        runner.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        old[sig] = signal.signal(sig, _on_signal)
    watcher = threading.Thread(target=_start_backend_when_needed, name="moground-backend-starter",
                               daemon=True) if backend else None
    try:
        address = backend.address if backend else args.backend
        opts = BatchOptions(backend=address, method=args.method, jobs=args.jobs, force=args.force,
                            blender=args.blender, timeout_s=args.timeout,
                            file_timeout_s=args.file_timeout,
                            options=options,
                            export_actions=args.export_actions, keep_frames=args.keep_frames,
                            export_fbx=args.export_fbx, export=export, take=args.take, out_dir=args.out,
                            progress=False if args.no_progress else None,
                            env={"MOGROUND_BACKEND_NEEDED": str(need_flag)} if need_flag else {})
        runner = BatchRunner(opts)
        if watcher is not None:
            watcher.start()
        results += runner.run(items)
    finally:
        finished.set()
        if watcher is not None and watcher.is_alive():
            watcher.join(10)
        if backend:
            backend.stop()
        if need_dir is not None:
            shutil.rmtree(need_dir, ignore_errors=True)
        for sig, handler in old.items():
            signal.signal(sig, handler)
    if backend_errors:
        raise backend_errors[0]
    if args.report:
        write_report(results, args.report)
    for line in summary_lines(results, forced=args.force):
        print(line, file=sys.stderr)
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "skipped", "failed", "not_run")}
    if runner is not None and runner.stopping.is_set():
        return 130
    return 1 if counts["failed"] or counts["not_run"] else 0
