"""Flamenco integration: the job compiler script (under Node) and the REST submitter."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from moground.batch import flamenco
from moground.cli import main
from moground.paths import REPO_DIR

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")
JS = REPO_DIR / "backend" / "moground" / "blender" / "flamenco" / "moground_segment.js"

# Flamenco 3 OpenAPI (pkg/api/flamenco-openapi.yaml), schema SubmittedJob.
SUBMITTED_JOB_REQUIRED = ("name", "type", "priority", "submitter_platform")
SUBMITTED_JOB_TYPES = {
    "name": str, "type": str, "type_etag": str, "priority": int, "settings": dict,
    "metadata": dict, "submitter_platform": str, "storage": dict, "worker_tag": str,
}
SETTING_PY_TYPES = {"string": str, "int32": int, "float": (int, float), "bool": bool}

# Evaluates the job script like the Manager does and prints JOB_TYPE, or compiles a job.
NODE_RUNNER = r"""
const fs = require("fs"), vm = require("vm"), p = require("path").posix;
const [script, mode, settingsJson] = process.argv.slice(1);
const tasks = [];
const author = {
  Task: (name, type) => ({ name, type, commands: [], addCommand(c) { this.commands.push(c); } }),
  Command: (name, parameters) => ({ name, parameters }),
};
const ctx = vm.createContext({ author, print: () => {},
  path: { join: p.join, basename: p.basename, dirname: p.dirname, stem: (x) => p.parse(x).name } });
vm.runInContext(fs.readFileSync(script, "utf8") + "\n;globalThis.api = { JOB_TYPE, compileJob };", ctx);
if (mode === "type") { console.log(JSON.stringify(ctx.api.JOB_TYPE)); }
else { ctx.api.compileJob({ settings: JSON.parse(settingsJson), addTask: (t) => tasks.push(t) });
       console.log(JSON.stringify(tasks)); }
"""


def node(mode: str, settings: dict | None = None):
    out = subprocess.run([NODE, "-e", NODE_RUNNER, str(JS), mode, json.dumps(settings or {})],
                         capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


@needs_node
def test_job_compiler_script_under_node_test_runner():
    """The Node test suite (tests/js) for the job type, run by CI through pytest."""
    proc = subprocess.run([NODE, "--test", str(REPO_DIR / "tests" / "js")], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert re.search(r"^# pass [1-9]", proc.stdout, re.M) and re.search(r"^# fail 0", proc.stdout, re.M)


def check_submitted_job(body: dict, job_type: dict) -> list[str]:
    """Problems of ``body`` against SubmittedJob and the job type's settings."""
    problems = [f"missing {k}" for k in SUBMITTED_JOB_REQUIRED if k not in body]
    for key, value in body.items():
        want = SUBMITTED_JOB_TYPES.get(key)
        if want is None:
            problems.append(f"unknown field {key}")
        elif not isinstance(value, want) or (want is int and isinstance(value, bool)):
            problems.append(f"{key} should be {want.__name__}")
    if "worker_tag" in body:
        uuid.UUID(body["worker_tag"])
    if not all(isinstance(v, str) for v in body.get("metadata", {}).values()):
        problems.append("metadata values must be strings")
    specs = {s["key"]: s for s in job_type["settings"]}
    for key, value in body.get("settings", {}).items():
        spec = specs.get(key)
        if spec is None:
            problems.append(f"setting {key} is not in the job type")
        elif not isinstance(value, SETTING_PY_TYPES[spec["type"]]):
            problems.append(f"setting {key} should be {spec['type']}")
    for key, spec in specs.items():
        if spec.get("required") and key not in body.get("settings", {}) and "default" not in spec:
            problems.append(f"required setting {key} missing")
    return problems


class FakeManager:
    """A local HTTP server speaking the two Flamenco endpoints the submitter uses."""

    def __init__(self, job_type: dict | None) -> None:
        self.job_type = job_type
        self.jobs: list[dict] = []
        self.problems: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == f"/api/v3/jobs/type/{flamenco.JOB_TYPE_NAME}" and outer.job_type:
                    self._send(200, {"name": flamenco.JOB_TYPE_NAME, "etag": "etag-123",
                                     **outer.job_type})
                else:
                    self._send(404, {"code": 404, "message": "job type not found"})

            def do_POST(self):
                if self.path != "/api/v3/jobs":
                    return self._send(404, {"code": 404, "message": "no such endpoint"})
                assert self.headers["Content-Type"].startswith("application/json")
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                problems = check_submitted_job(body, outer.job_type)
                if problems:
                    outer.problems += problems
                    return self._send(400, {"code": 400, "message": "; ".join(problems)})
                outer.jobs.append(body)
                self._send(200, {**body, "id": str(uuid.uuid4()), "status": "queued",
                                 "created": "2025-01-01T00:00:00Z", "updated": "2025-01-01T00:00:00Z",
                                 "activity": ""})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def blend_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "shots"
    folder.mkdir()
    for name in ("b.blend", "a.blend", "notes.txt"):
        (folder / name).write_bytes(b"BLENDER-v500")
    return folder


@needs_node
def test_submit_posts_a_valid_job_that_compiles_to_one_task_per_file(blend_folder, capsys):
    manager = FakeManager(node("type"))
    try:
        rc = main(["farm", "submit", "--manager", manager.url, "--prompt", "walk, then wave",
                   "--backend", "tcp://gpu-box:5757", "--priority", "70", str(blend_folder)])
    finally:
        manager.close()
    assert rc == 0 and manager.problems == []
    (job,) = manager.jobs
    assert job["type"] == "moground-segment" and job["priority"] == 70
    assert job["type_etag"] == "etag-123"
    assert job["submitter_platform"] == "linux"
    assert "submitted job" in capsys.readouterr().out
    # The very settings the Manager received compile, in the job script, to one task per file
    # whose arguments the Python job script accepts.
    tasks = node("compile", {"job_script": "/opt/mg/job.py", "blender_cmd": "{blender}", **job["settings"]})
    files = [t["commands"][0]["parameters"]["blendfile"] for t in tasks]
    assert files == [str((blend_folder / n).resolve()) for n in ("a.blend", "b.blend")]
    from moground.blender.job import parse_args

    args = tasks[0]["commands"][0]["parameters"]["args"]
    parsed = parse_args(args[args.index("--") + 1:])
    assert parsed.input == files[0] and parsed.prompt == "walk, then wave"
    assert parsed.backend == "tcp://gpu-box:5757" and parsed.method == "fused"


@needs_node
def test_check_rejects_wrong_payloads():
    job_type = node("type")
    good = flamenco.build_job(["/a.blend"], prompt="jump", backend="tcp://h:1")
    assert check_submitted_job(good, job_type) == []
    bad = {**good, "priority": "high", "settings": {**good["settings"], "force": "yes", "colour": 1}}
    del bad["submitter_platform"]
    problems = check_submitted_job(bad, job_type)
    assert any("submitter_platform" in p for p in problems)
    assert any("priority" in p for p in problems)
    assert any("force" in p for p in problems) and any("colour" in p for p in problems)


def test_submit_without_the_job_type_installed_is_a_clean_error(blend_folder, capsys):
    manager = FakeManager(None)
    try:
        rc = main(["farm", "submit", "--manager", manager.url, "--prompt", "x", str(blend_folder)])
    finally:
        manager.close()
    assert rc == 2 and manager.jobs == []
    assert "moground_segment.js" in capsys.readouterr().err


def test_submit_to_an_unreachable_manager_is_a_clean_error(blend_folder, capsys):
    rc = main(["farm", "submit", "--manager", "http://127.0.0.1:9", "--prompt", "x", str(blend_folder)])
    assert rc == 2
    assert "cannot reach Flamenco Manager" in capsys.readouterr().err
