"""``moground farm submit``: send a batch to a Flamenco 3 render farm."""

from __future__ import annotations

import argparse
import json

from ..wire.methods import DEFAULT_METHOD
from ..wire.protocol import DEFAULT_ADDRESS


def register(subparsers) -> None:
    p = subparsers.add_parser("farm", help="render-farm integration (Flamenco 3)")
    sub = p.add_subparsers(dest="farm_command", metavar="ACTION", required=True)
    s = sub.add_parser(
        "submit",
        help="submit a moground-segment job (one task per .blend) to a Flamenco Manager",
        description="Posts a job of type moground-segment (moground/blender/flamenco/moground_segment.js, "
        "installed on the Manager) to POST /api/v3/jobs. Paths must be valid on the workers.",
    )
    s.add_argument("inputs", nargs="+", metavar="FILES_OR_FOLDERS")
    s.add_argument("--manager", required=True, metavar="URL", help="e.g. http://flamenco:8080")
    s.add_argument("--prompt", required=True)
    s.add_argument("--backend", default=DEFAULT_ADDRESS, metavar="ADDRESS",
                   help="MoGround backend address as the workers reach it")
    s.add_argument("--method", default=DEFAULT_METHOD)
    s.add_argument("--armature", default=None)
    s.add_argument("--force", action="store_true")
    s.add_argument("--name", default=None, help="job name")
    s.add_argument("--priority", type=int, default=50)
    s.add_argument("--timeout", type=int, default=300, help="backend seconds per file")
    s.add_argument("--job-script", default=None,
                   help="path of moground/blender/job_script.py on the workers "
                   "(default: the job type's {moground}/blender/job_script.py)")
    s.add_argument("--worker-tag", default=None, help="worker tag UUID")
    s.add_argument("--no-etag", action="store_true",
                   help="do not check the Manager's job type version first")
    s.add_argument("--dry-run", action="store_true", help="print the job JSON, submit nothing")
    s.set_defaults(func=run_submit)


def run_submit(args: argparse.Namespace) -> int:
    from ..batch.flamenco import build_job, fetch_type_etag, list_blendfiles, submit_job

    files, folder = list_blendfiles(args.inputs)
    etag = None if (args.no_etag or args.dry_run) else fetch_type_etag(args.manager)
    job = build_job(files, prompt=args.prompt, backend=args.backend, method=args.method,
                    name=args.name, priority=args.priority, folder=folder,
                    armature=args.armature, force=args.force, timeout_s=args.timeout,
                    job_script=args.job_script, worker_tag=args.worker_tag, type_etag=etag)
    if args.dry_run:
        print(json.dumps(job, indent=2))
        return 0
    created = submit_job(args.manager, job)
    print(f"submitted job {created.get('id', '?')} ({len(files)} tasks): "
          f"{args.manager.rstrip('/')}/app/jobs/{created.get('id', '')}")
    return 0
