"""Drive a batch: one worker subprocess per file, N at a time, with a progress bar.

A worker per file means a crash (or a segfault inside Blender) costs that file
only; the driver records it and moves on. Workers run the one job
implementation (``moground.blender.job``) either in the venv's ``bpy`` module or
in a real Blender (``blender -b FILE --python-exit-code 1 --python ...``).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..wire.methods import DEFAULT_METHOD
from ..wire.options import GroundOptions
from ..paths import PACKAGE_DIR
from .discover import WorkItem
from .report import FileResult

log = logging.getLogger(__name__)

JOB_SCRIPT = PACKAGE_DIR / "blender" / "job_script.py"  # ships inside the package
RESULT_TAG = "MOGROUND_RESULT "


@dataclass
class BatchOptions:
    backend: str
    method: str = DEFAULT_METHOD
    jobs: int = 1
    force: bool = False
    blender: str | None = None
    timeout_s: float = 300.0
    file_timeout_s: float = 1800.0
    options: GroundOptions = field(default_factory=GroundOptions)  # sent with every request
    progress: bool | None = None  # None: only on a terminal
    export_actions: bool = False  # bake one action per sub-action into the saved file
    keep_frames: bool = False  # baked actions keep the source frames (default: start at 0)
    export_fbx: str | None = None  # folder: one FBX per sub-action, in <folder>/<file stem>/
    env: dict = field(default_factory=dict)


def job_args(item: WorkItem, opts: BatchOptions, result_path: Path) -> list[str]:
    """Arguments of the job script after ``--`` (also used by the farm)."""
    args = ["--input", str(item.path), "--prompt", item.prompt, "--method", opts.method,
            "--backend", opts.backend, "--timeout", str(opts.timeout_s),
            "--result", str(result_path)]
    if item.kind == "mocap":
        args.append("--mocap")
    if item.armature:
        args += ["--armature", item.armature]
    if opts.force:
        args.append("--force")
    if opts.options.to_dict():
        args += ["--options", json.dumps(opts.options.to_dict())]
    if opts.export_actions:
        args.append("--export-actions")
    if opts.keep_frames:
        args.append("--keep-frames")
    if opts.export_fbx:
        args += ["--export-fbx", str(Path(opts.export_fbx).resolve())]
    return args


def job_command(args: list[str], blender: str | None, blend: Path | None = None) -> list[str]:
    """The job script with ``args``: in this Python's ``bpy`` module, or in ``blender -b
    [BLEND]`` (the segment batch and the library indexer both start jobs this way)."""
    if blender:
        cmd = [blender, "-b"] + ([str(blend)] if blend is not None else [])
        return cmd + ["--python-exit-code", "1", "--python", str(JOB_SCRIPT), "--", *args]
    return [sys.executable, str(JOB_SCRIPT), "--", *args]


def worker_command(item: WorkItem, opts: BatchOptions, result_path: Path) -> list[str]:
    """The subprocess for one file: bpy-module Python, or ``blender -b``."""
    return job_command(job_args(item, opts, result_path), opts.blender,
                       item.path if item.kind == "blend" else None)


def read_result(result_path: Path, stdout: str) -> dict | None:
    """A job's result record: its ``--result`` file, else its ``MOGROUND_RESULT`` line."""
    try:
        return json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            try:
                return json.loads(line[len(RESULT_TAG):])
            except ValueError:
                return None
    return None


class BatchRunner:
    """Runs work items; ``stop()`` (signal handler) kills running workers cleanly."""

    def __init__(self, opts: BatchOptions) -> None:
        self.opts = opts
        self._procs: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._tmp: Path | None = None  # the workers' result files, for the length of run()

    # -- one file
    def run_one(self, n: int, item: WorkItem) -> FileResult:
        base = FileResult(file=str(item.path), prompt=item.prompt, method=self.opts.method,
                          armature=item.armature or "")
        if self.stopping.is_set():
            base.error = "batch interrupted before this file"
            return base
        result_path = self._tmp / f"{n:05d}.json"
        cmd = worker_command(item, self.opts, result_path)
        # the job dies with this process even when it is SIGKILLed (moground.lifeline)
        env = {**os.environ, **self.opts.env, "MOGROUND_PARENT_PID": str(os.getpid())}
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, start_new_session=True)
        with self._lock:
            self._procs.add(proc)
        try:
            out, err = proc.communicate(timeout=self.opts.file_timeout_s)
        except subprocess.TimeoutExpired:
            self._kill(proc)
            out, err = proc.communicate()
            base.status, base.error = "failed", f"worker timed out after {self.opts.file_timeout_s:.0f} s"
            return base
        finally:
            with self._lock:
                self._procs.discard(proc)
        data = read_result(result_path, out)
        if data is None:
            tail = " | ".join((err or out).strip().splitlines()[-3:])
            if self.stopping.is_set():
                base.error = "batch interrupted while this file ran (original left as it was)"
            else:
                base.status = "failed"
                base.error = f"worker exited with status {proc.returncode}: {tail}"[:2000]
            return base
        known = {k: data[k] for k in FileResult.__dataclass_fields__ if k in data}
        return FileResult(**{**base.__dict__, **known})

    # -- all files
    def run(self, items: list[WorkItem]) -> list[FileResult]:
        with tempfile.TemporaryDirectory(prefix="moground-batch-") as tmp:
            self._tmp = Path(tmp)
            try:
                return self._run(items)
            finally:
                self._tmp = None

    def _run(self, items: list[WorkItem]) -> list[FileResult]:
        results: list[FileResult | None] = [None] * len(items)
        counts = {"ok": 0, "skipped": 0, "failed": 0}
        bar = tqdm(total=len(items), unit="file", desc="segment", disable=(
            None if self.opts.progress is None else not self.opts.progress))
        with ThreadPoolExecutor(max_workers=max(1, self.opts.jobs)) as pool:
            futures = {pool.submit(self.run_one, i, it): i for i, it in enumerate(items)}
            for fut in as_completed(futures):
                i = futures[fut]
                res = fut.result()
                results[i] = res
                if res.status in counts:
                    counts[res.status] += 1
                if res.status == "failed":
                    bar.write(f"FAILED {Path(res.file).name}: {res.error}")
                bar.set_postfix(counts, refresh=False)
                bar.update(1)
        bar.close()
        return [r for r in results if r is not None]

    def _kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        """Stop starting files and end running workers (their originals stay intact)."""
        self.stopping.set()
        with self._lock:
            procs = list(self._procs)
        for p in procs:
            self._kill(p, signal.SIGTERM)
