"""Damaged index folders (issue 27, item 5): every kind of damage is found when the
index is opened, so `moground search` prints one coded line and `moground serve
--index` refuses to start, instead of a traceback or `internal` on every search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from moground.wire.errors import UnreadableFile
from moground.library.store import LibraryIndex
from server_helpers import TESTS_DIR, free_port, synthetic_index


def _manifest(folder: Path, change) -> None:
    path = folder / "index.json"
    blob = json.loads(path.read_text())
    blob = change(blob)
    path.write_text(json.dumps(blob))


def _take_field(name, value):
    def change(blob):
        blob["takes"][0][name] = value
        return blob
    return change


def _array(name: str, make):
    def damage(folder: Path) -> None:
        arr = np.load(folder / name)
        np.save(folder / name, make(arr))
    return damage


DAMAGE = {
    "manifest is a list": lambda f: _manifest(f, lambda b: []),
    "frame count is a string": lambda f: _manifest(f, _take_field("frames", "60")),
    "rate is a string": lambda f: _manifest(f, _take_field("source_fps", "30")),
    "rate is zero": lambda f: _manifest(f, _take_field("source_fps", 0)),
    "armature is a number": lambda f: _manifest(f, _take_field("armature", 7)),
    "files is an object": lambda f: _manifest(f, lambda b: {**b, "files": {}}),
    "take rows shifted": lambda f: _manifest(f, _take_field("row", 5)),
    "embed dim differs from the manifest": lambda f: _manifest(
        f, lambda b: {**b, "encoder": {**b["encoder"], "embed_dim": 8}}),
    "frames of another width": _array("frames.npy", lambda a: np.zeros((a.shape[0], 6), np.float16)),
    "windows of another width": _array("windows.npy", lambda a: np.zeros((a.shape[0], 5), np.float16)),
    "spans as floats": _array("spans.npy", lambda a: a.astype(np.float32)),
    "span past its take's end": _array("spans.npy", lambda a: np.where(np.arange(a.size).reshape(a.shape) == 2,
                                                                       9999, a).astype(np.int32)),
    "span of a take that does not exist": _array("spans.npy", lambda a: np.where(
        np.arange(a.size).reshape(a.shape) == 0, 42, a).astype(np.int32)),
    "span ending before it starts": _array("spans.npy", lambda a: np.where(
        np.arange(a.size).reshape(a.shape) == 1, 50, a).astype(np.int32)),
    "truncated frames": lambda f: (f / "frames.npy").write_bytes((f / "frames.npy").read_bytes()[:200]),
}


@pytest.fixture
def index(tmp_path) -> Path:
    return synthetic_index(tmp_path / "lib")


def test_the_undamaged_index_opens(index):
    assert len(LibraryIndex.open(index).takes) == 3


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damage_is_found_at_open(index, kind):
    DAMAGE[kind](index)
    with pytest.raises(UnreadableFile) as info:
        LibraryIndex.open(index)
    assert str(index) in info.value.message


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "moground.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.mark.parametrize("kind", ["frame count is a string", "span past its take's end"])
def test_search_prints_one_coded_line(index, kind):
    DAMAGE[kind](index)
    out = _cli("search", "a person walks", "--index", str(index))
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and "[unreadable_file]" in out.stderr and "damaged index" in out.stderr


@pytest.mark.parametrize("kind", ["manifest is a list", "frame count is a string", "windows of another width",
                                  "span of a take that does not exist"])
def test_serve_refuses_to_start_on_a_damaged_index(index, kind):
    DAMAGE[kind](index)
    out = _cli("serve", "--bind", f"tcp://127.0.0.1:{free_port()}", "--engine-factory", "server_helpers:light_engine",
               "--index", f"lib={index}", timeout=60)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "Traceback" not in out.stderr and f"--index lib={index}" in out.stderr
