"""Leftovers and leaks of batch runs (issue 27, item 11): scratch of killed runs is
removed by the next run, and a symlink in a batch folder is followed only inside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from moground.batch.discover import expand_inputs
from moground.paths import REPO_DIR


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_next_segment_run_removes_scratch_of_killed_runs(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    dead = _dead_pid()
    leftovers = [temp / f"moground-batch-{dead}-x1", temp / f"moground-segment-{dead}-x2"]
    for d in leftovers:
        d.mkdir()
        (d / "00000.json").write_text("{}")
    log = temp / f"moground-serve-{dead}-x3.log"
    log.write_text("old log")
    alive = temp / f"moground-batch-{os.getpid()}-mine"  # a run still going: kept
    alive.mkdir()
    other = temp / "moground-notes.txt"  # not scratch: kept
    other.write_text("keep")
    empty = tmp_path / "shots"
    empty.mkdir()
    out = subprocess.run([sys.executable, "-m", "moground.cli", "segment", str(empty), "--prompt", "walk",
                          "--no-progress"], capture_output=True, text=True, cwd=REPO_DIR, timeout=120,
                         env={**os.environ, "TMPDIR": str(temp)})
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert not any(p.exists() for p in [*leftovers, log]), sorted(p.name for p in temp.iterdir())
    assert alive.exists() and other.exists()


def test_scratch_names_carry_the_pid():
    from moground.scratch import scratch_prefix

    assert scratch_prefix("batch") == f"moground-batch-{os.getpid()}-"


def test_symlinked_blend_is_followed_only_inside_the_folder(tmp_path):
    folder, outside = tmp_path / "shots", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    (folder / "a.blend").write_bytes(b"BLENDER")
    (outside / "b.blend").write_bytes(b"BLENDER")
    (folder / "link_in.blend").symlink_to(folder / "a.blend")
    (folder / "link_out.blend").symlink_to(outside / "b.blend")
    (folder / "sub").symlink_to(outside, target_is_directory=True)
    found = expand_inputs([folder], from_mocap=False)
    assert found == [(folder / "a.blend").resolve()]
    # named on the command line, a link is the user's choice
    assert expand_inputs([folder / "link_out.blend"], from_mocap=False) == [(outside / "b.blend").resolve()]
