"""File names that are not UTF-8 (issue 27, item 6): a library file with such a name is
found by search (server reply, CLI) and a .blend with such a name is segmented, with the
name shown with U+FFFD where its bytes are not text; nothing answers `internal`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from moground.paths import REPO_DIR, data_root

BVH_DIR = (data_root(required=False) or Path("/nonexistent")) / "bandai" / "raw_bvh"
pytestmark = pytest.mark.skipif(not BVH_DIR.is_dir(), reason="shared data (bandai/raw_bvh) not found")
RAW = b"caf\xe9_walk"  # Latin-1 bytes: not UTF-8


def _cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moground.cli", *args], capture_output=True, text=True,
                          errors="replace", cwd=REPO_DIR, timeout=timeout)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """An index (real builtin encoder) of one Bandai take saved under a non-UTF-8 name."""
    root = tmp_path_factory.mktemp("nonutf8")
    (root / "mocap").mkdir()
    shutil.copy(BVH_DIR / "dataset-1_walk-right_normal_001.bvh", root / "mocap" / os.fsdecode(RAW + b".bvh"))
    out = _cli("index", str(root / "mocap"), "--out", str(root / "lib"))
    assert out.returncode == 0, out.stderr[-2000:]
    return root / "lib"


def test_server_search_reply_carries_the_name(library):
    """What the server's handler does with a search: the engine's result → make_reply."""
    from moground.wire import protocol as P
    from moground.encoders import load_encoder
    from moground.library.service import LibrarySearch

    search = LibrarySearch(load_encoder("builtin"), {"lib": str(library)})
    result = search.search("a person walks", {"top": 3}, index="lib")
    frames = P.make_reply("r1", "search", result)
    header, _ = P.decode_reply(frames)
    assert header["hits"] and header["hits"][0]["file"].endswith("caf\ufffd_walk.bvh")


def test_cli_search_prints_the_name(library):
    out = _cli("search", "a person walks", "--index", str(library), "--top", "2")
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert "caf\ufffd_walk.bvh" in out.stdout


def test_segment_a_blend_with_a_non_utf8_name_writes_its_report(tmp_path):
    import batch_helpers as h
    from server_helpers import ServerProcess

    folder = tmp_path / "shots"
    [blend] = h.make_blends(folder, 1)
    odd = folder / os.fsdecode(RAW + b".blend")
    os.replace(blend, odd)
    srv = ServerProcess(tmp_path / "server.log")
    try:
        report = tmp_path / "report.json"
        out = _cli("segment", "--no-progress", "--backend", srv.address, "--prompt", "walk then stop",
                   "--report", str(report), str(folder))
    finally:
        srv.stop()
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
    [row] = json.loads(report.read_text())["files"]
    assert row["status"] == "ok" and "caf" in row["file"], row
