"""Submit a ``moground-segment`` job to a Flamenco 3 Manager over its REST API.

The job type itself lives in ``moground/blender/flamenco/moground_segment.js`` (installed
in the Manager's ``scripts`` folder). Settings cannot hold lists in Flamenco, so
the file list travels as one string, one path per line. A folder is listed here,
by the submitter, because job compiler scripts cannot read the file system.
"""

from __future__ import annotations

import getpass
import platform
from pathlib import Path

from ..wire.methods import DEFAULT_METHOD
from .. import __version__
from ..wire.errors import BadRequest, MoGroundError
from .discover import expand_inputs

JOB_TYPE_NAME = "moground-segment"  # Flamenco names a type after its script file
API = "/api/v3"


def submitter_platform() -> str:
    """Lower-case OS name as Go's runtime.GOOS spells it (linux, windows, darwin)."""
    return platform.system().lower() or "linux"


def build_job(
    files: list[str | Path],
    *,
    prompt: str,
    backend: str,
    method: str = DEFAULT_METHOD,
    name: str | None = None,
    priority: int = 50,
    folder: str | None = None,
    armature: str | None = None,
    force: bool = False,
    timeout_s: int = 300,
    job_script: str | None = None,
    worker_tag: str | None = None,
    type_etag: str | None = None,
) -> dict:
    """The ``SubmittedJob`` body: name, type, priority, submitter_platform, settings, metadata."""
    if not prompt or not prompt.strip():
        raise BadRequest("--prompt is empty")
    if not 0 <= priority <= 100:
        raise BadRequest("--priority must be within 0..100")
    paths = [str(p) for p in files]
    if not paths:
        raise BadRequest("no .blend files to submit")
    settings: dict = {
        "prompt": prompt.strip(),
        "backend": backend,
        "method": method,
        "blendfiles": "\n".join(paths),
        "folder": folder or "",
        "armature": armature or "",
        "force": bool(force),
        "timeout": int(timeout_s),
    }
    if job_script:
        settings["job_script"] = job_script
    job: dict = {
        "name": name or f"MoGround: {prompt.strip()[:40]} ({len(paths)} files)",
        "type": JOB_TYPE_NAME,
        "priority": int(priority),
        "submitter_platform": submitter_platform(),
        "settings": settings,
        "metadata": {
            "user.name": getpass.getuser(),
            "moground.version": __version__,
            "moground.files": str(len(paths)),
        },
    }
    if type_etag:
        job["type_etag"] = type_etag
    if worker_tag:
        job["worker_tag"] = worker_tag
    return job


def list_blendfiles(inputs: list[str]) -> tuple[list[Path], str | None]:
    """Files and folders → .blend paths (absolute); the folder when exactly one was given."""
    files = expand_inputs(inputs, from_mocap=False)
    folder = inputs[0] if len(inputs) == 1 and Path(inputs[0]).is_dir() else None
    return files, (str(Path(folder).resolve()) if folder else None)


def _error_text(resp) -> str:
    try:
        body = resp.json()
        return str(body.get("message", body))
    except ValueError:
        return resp.text[:300]


def fetch_type_etag(manager: str, *, timeout_s: float = 10.0) -> str:
    """The installed job type's etag; a clear error when the Manager lacks the type."""
    import requests

    url = f"{manager.rstrip('/')}{API}/jobs/type/{JOB_TYPE_NAME}"
    try:
        resp = requests.get(url, timeout=timeout_s)
    except requests.RequestException as exc:
        raise MoGroundError(f"cannot reach Flamenco Manager at {manager}: {exc}") from exc
    if resp.status_code != 200:
        raise MoGroundError(
            f"Flamenco Manager has no '{JOB_TYPE_NAME}' job type ({resp.status_code}: "
            f"{_error_text(resp)}); copy moground/blender/flamenco/moground_segment.js into its scripts folder"
        )
    return str(resp.json().get("etag", ""))


def submit_job(manager: str, job: dict, *, timeout_s: float = 30.0) -> dict:
    """POST the job; returns the Manager's ``Job`` (with its id) or raises with its message."""
    import requests

    url = f"{manager.rstrip('/')}{API}/jobs"
    try:
        resp = requests.post(url, json=job, timeout=timeout_s)
    except requests.RequestException as exc:
        raise MoGroundError(f"cannot reach Flamenco Manager at {manager}: {exc}") from exc
    if resp.status_code != 200:
        raise MoGroundError(f"Flamenco Manager refused the job ({resp.status_code}): {_error_text(resp)}")
    return resp.json()
