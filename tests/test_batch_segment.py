"""``moground segment`` end to end: real .blend files, a real backend, kills mid-batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import batch_helpers as h
from moground.paths import REPO_DIR

pytestmark = [
    pytest.mark.blender,
    pytest.mark.slow,  # a real backend grounds ~15 files: tens of seconds on a busy 2-core box
    pytest.mark.skipif(h.bvh_dir() is None, reason="shared data (bandai/raw_bvh) not found"),
]


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    """One real ``moground serve`` (2 workers) for the whole module."""
    from moground.wire.blender.local_backend import LocalBackend

    log = tmp_path_factory.mktemp("backend") / "serve.log"
    server = LocalBackend(workers=2, log_path=log)
    try:
        address = server.start()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"backend did not start: {exc}\n{log.read_text()[-2000:] if log.exists() else ''}")
    yield address
    server.stop()


# Few optimisation steps: these tests are about the batch, not about grounding quality.
FAST = ("--no-progress", "--option", "steps=8")


def segment(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moground.cli", "segment", *FAST, *args],
                          capture_output=True, text=True, cwd=REPO_DIR, timeout=600, **kw)


def start_segment(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "moground.cli", "segment", *FAST, *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            cwd=REPO_DIR, start_new_session=True)


def report_by_name(path: Path) -> dict[str, dict]:
    return {Path(r["file"]).name: r for r in json.loads(path.read_text())["files"]}


def test_folder_with_prompt_table_corrupt_file_and_rerun(tmp_path, backend):
    folder = tmp_path / "shots"
    blends = h.make_blends(folder, 3)
    corrupt = folder / "zz_corrupt.blend"
    corrupt.write_bytes(b"BLENDER-v500" + os.urandom(4000))
    (folder / "notes.txt").write_text("not a blend")
    prompts = {blends[0].name: "run, then stop", blends[1].stem: "wave goodbye, then bow",
               blends[2].name: "run forward", corrupt.name: "walk"}
    table = tmp_path / "prompts.csv"
    table.write_text("file,prompt\n" + "".join(f'{k},"{v}"\n' for k, v in prompts.items()))
    before = {p.name: h.digest(p) for p in [*blends, corrupt]}

    report = tmp_path / "report.json"
    proc = segment(str(folder), "--prompts", str(table), "--backend", backend, "--jobs", "2",
                   "--report", str(report))
    assert proc.returncode == 1, proc.stderr[-3000:]  # the corrupt file failed, the rest went on
    rows = report_by_name(report)
    assert set(rows) == set(before)
    assert rows[corrupt.name]["status"] == "failed"
    assert "unreadable_file" in rows[corrupt.name]["error"]
    assert h.digest(corrupt) == before[corrupt.name]

    state = h.inspect_blends(blends)
    for b in blends:
        row, rec = rows[b.name], state[str(b)]
        assert row["status"] == "ok", row
        assert row["segments"] and len(row["scores"]) == len(row["segments"])
        assert all(0.0 <= s <= 1.0 for s in row["scores"]) and row["seconds"] > 0
        assert rec["stamp"]["prompt"] == prompts.get(b.name, prompts.get(b.stem))
        assert rec["strips"] == len(row["segments"])
        assert rec["action"] == rec["armatures"][0]  # the source action is still assigned
        backup = b.with_name(b.name + "1")
        assert h.digest(backup) == before[b.name]  # .blend1 holds the untouched original
    assert not [p for p in folder.iterdir() if ".moground-tmp" in p.name]

    # Re-run: nothing to redo; --force redoes.
    mtimes = {b: b.stat().st_mtime_ns for b in blends}
    proc = segment(str(folder), "--prompts", str(table), "--backend", backend, "--report", str(report))
    rows = report_by_name(report)
    assert [rows[b.name]["status"] for b in blends] == ["skipped"] * 3
    assert all(b.stat().st_mtime_ns == mtimes[b] for b in blends)
    proc = segment(str(blends[0]), "--prompt", "run, then stop", "--backend", backend, "--force",
                   "--report", str(report))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert report_by_name(report)[blends[0].name]["status"] == "ok"
    assert blends[0].stat().st_mtime_ns != mtimes[blends[0]]


def test_local_backend_starts_only_when_a_file_needs_it(tmp_path):
    """Without --backend, segment starts its own backend lazily: when the first job is
    about to ground, not when every file is going to be skipped."""
    folder = tmp_path / "lazy"
    h.make_blends(folder, 1)
    first, second = tmp_path / "serve-1.log", tmp_path / "serve-2.log"
    proc = segment(str(folder), "--prompt", "run, then stop", "--backend-log", str(first))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert first.exists() and "listening on" in first.read_text()  # started on demand, and used
    proc = segment(str(folder), "--prompt", "run, then stop", "--backend-log", str(second))
    assert proc.returncode == 0 and "1 skipped" in proc.stderr, proc.stderr[-3000:]
    assert not second.exists(), "a backend was started although every file was skipped"


def _wait_for(pred, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def _check_intact(blends: list[Path], originals: dict[Path, str], prompt: str) -> int:
    """Every file opens and is either byte-identical to its original or fully segmented."""
    state = h.inspect_blends(blends)
    untouched = 0
    for b in blends:
        rec = state[str(b)]
        assert "error" not in rec, f"{b.name} damaged: {rec}"
        if h.digest(b) == originals[b]:
            untouched += 1
        else:
            assert rec["stamp"] and rec["stamp"]["prompt"] == prompt and rec["strips"] > 0, rec
    return untouched


def test_killed_batch_leaves_every_file_intact_and_rerun_finishes(tmp_path, backend):
    folder = tmp_path / "takes"
    # six files, two jobs: each kill below leaves files unstarted even when both
    # workers finish in the same polling interval (grounding takes ~1 s a file)
    blends = h.make_blends(folder, 6)
    originals = {b: h.digest(b) for b in blends}
    prompt = "run, then wave"
    args = (str(folder), "--prompt", prompt, "--backend", backend, "--jobs", "2")
    backups = lambda: [b for b in blends if b.with_name(b.name + "1").exists()]  # noqa: E731

    # 1. SIGTERM to the driver as soon as the first file is committed: it stops its workers.
    proc = start_segment(*args, "--report", str(tmp_path / "term.json"))
    assert _wait_for(lambda: backups() or proc.poll() is not None, 300)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 130, proc.stderr.read()[-2000:]
    statuses = [r["status"] for r in json.loads((tmp_path / "term.json").read_text())["files"]]
    assert "not_run" in statuses
    assert _check_intact(blends, originals, prompt) >= 1

    # 2. SIGKILL the whole process group (driver and workers) mid-file.
    done = len(backups())
    proc = start_segment(*args)
    assert _wait_for(lambda: len(backups()) > done or proc.poll() is not None, 300)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert _check_intact(blends, originals, prompt) >= 1, "kill came too late to test anything"

    # 3. A re-run finishes the rest and cleans up temp files of killed workers.
    report = tmp_path / "final.json"
    proc = segment(*args, "--report", str(report))
    assert proc.returncode == 0, proc.stderr[-3000:]
    statuses = {r["status"] for r in json.loads(report.read_text())["files"]}
    assert statuses <= {"ok", "skipped"} and "ok" in statuses
    assert _check_intact(blends, originals, prompt) == 0
    assert not [p for p in folder.iterdir() if ".moground-tmp" in p.name]


FAKE_BLENDER = r'''#!{python}
"""Stand-in for `blender`: accepts -b FILE --python-exit-code N --python SCRIPT -- ARGS."""
import runpy, sys
argv = sys.argv[1:]
assert argv[0] == "-b", argv
rest, blend = argv[1:], None
if not rest[0].startswith("--"):
    blend, rest = rest[0], rest[1:]
assert rest[:4] == ["--python-exit-code", "1", "--python", rest[3]], rest
script, after = rest[3], rest[4:]
import bpy
if blend:
    bpy.ops.wm.open_mainfile(filepath=blend)
sys.argv = [script, *after]
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit as exc:
    sys.exit(exc.code)
except BaseException:
    sys.exit(1)
'''


def test_blender_subprocess_mode_and_mocap_folder(tmp_path, backend):
    fake = tmp_path / "blender"
    fake.write_text(FAKE_BLENDER.replace("{python}", sys.executable))
    fake.chmod(0o755)
    blends = h.make_blends(tmp_path / "b", 1)
    report = tmp_path / "r.json"
    proc = segment(str(blends[0]), "--prompt", "run", "--backend", backend, "--blender", str(fake),
                   "--report", str(report))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert report_by_name(report)[blends[0].name]["status"] == "ok"
    assert h.inspect_blends(blends)[str(blends[0])]["stamp"]["prompt"] == "run"

    mocap = tmp_path / "mocap"
    mocap.mkdir()
    takes = h.BANDAI_TAKES[:2]
    for t in takes:
        (mocap / f"{t}.bvh").write_bytes((h.bvh_dir() / f"{t}.bvh").read_bytes())
    proc = segment(str(mocap), "--from-mocap", "--prompt", "run, then wave", "--backend", backend,
                   "--jobs", "2", "--report", str(report))
    assert proc.returncode == 0, proc.stderr[-3000:]
    outs = [mocap / f"{t}.blend" for t in takes]
    state = h.inspect_blends(outs)
    for o in outs:
        assert state[str(o)]["stamp"]["prompt"] == "run, then wave"
        assert state[str(o)]["strips"] == len(report_by_name(report)[o.with_suffix(".bvh").name]["segments"])
    proc = segment(str(mocap), "--from-mocap", "--prompt", "run, then wave", "--backend", backend,
                   "--report", str(report))
    assert {r["status"] for r in report_by_name(report).values()} == {"skipped"}


ACTIONS = r"""
import sys, json
import bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[1], load_ui=False)
out = {}
for a in bpy.data.actions:
    out[a.name] = {"range": list(a.frame_range), "bake": json.loads(a["moground_bake"]) if "moground_bake" in a else None}
arm = [o for o in bpy.data.objects if o.type == "ARMATURE"][0]
out["__active__"] = arm.animation_data.action.name
print("ACTIONS " + json.dumps(out))
"""


def test_export_actions_and_fbx(tmp_path, backend):
    blend = h.make_blends(tmp_path / "shots", 1)[0]
    fbx_dir = tmp_path / "fbx"
    report = tmp_path / "report.json"
    proc = segment(str(blend), "--prompt", "walk, then kick, then bow", "--method", "uniform", "--backend", backend,
                   "--export-actions", "--export-fbx", str(fbx_dir), "--report", str(report))
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = report_by_name(report)[blend.name]
    labels = [s["label"] for s in row["segments"]]
    assert row["actions"] == labels == ["walk", "kick", "bow"]
    assert [Path(p).name for p in row["fbx"]] == [f"{lab}.fbx" for lab in labels]
    for p in row["fbx"]:
        assert Path(p).parent == fbx_dir / blend.stem and Path(p).read_bytes()[:18] == b"Kaydara FBX Binary"
    out = subprocess.run([sys.executable, "-c", ACTIONS, str(blend)], capture_output=True, text=True, timeout=300)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("ACTIONS ")]
    assert line, out.stderr[-2000:]
    actions = json.loads(line[-1][len("ACTIONS "):])
    source = actions.pop("__active__")
    assert actions[source]["bake"] is None  # the original action is still the assigned one, not a bake
    for seg in row["segments"]:
        a = actions[seg["label"]]
        start, end = round(seg["start_frame"]), round(seg["end_frame"])
        assert a["range"] == [0.0, float(end - start)] and a["bake"]["source"] == source
