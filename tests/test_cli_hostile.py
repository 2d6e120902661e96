"""Command-line arguments that used to end in a traceback or be accepted although the
wire refuses them (issue 27, items 7-10): each is now a one-line coded error, a usage
error, before any model loads; the CLI and the wire share one set of limits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from moground.paths import REPO_DIR
from moground.wire.limits import LIMITS

HUGE = "1" + "0" * 400  # 10**400: an int that overflows float conversion


def _cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moground.cli", *args], capture_output=True, text=True,
                          errors="replace", cwd=REPO_DIR, timeout=timeout)


@pytest.fixture(scope="module")
def bvh(tmp_path_factory) -> Path:
    """A tiny valid BVH (two joints, 10 frames)."""
    path = tmp_path_factory.mktemp("cli") / "t.bvh"
    rows = "\n".join(f"{i} 90 0 0 0 0 0 0 0" for i in range(10))
    path.write_text("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 6 Xposition Yposition Zposition Zrotation "
                    "Xrotation Yrotation\n JOINT Leg\n {\n  OFFSET 0 -40 0\n  CHANNELS 3 Zrotation Xrotation Yrotation\n"
                    "  End Site\n  {\n   OFFSET 0 -45 0\n  }\n }\n}\nMOTION\nFrames: 10\nFrame Time: 0.0333333\n"
                    + rows + "\n")
    return path


def _one_line_error(out: subprocess.CompletedProcess, *expected: str) -> None:
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    for text in expected:
        assert text in out.stderr, out.stderr[-2000:]


# ------------------------------------------------------------- 7: huge integers

def test_huge_min_segment_is_a_usage_error(bvh):
    _one_line_error(_cli("ground", "--motion", str(bvh), "--prompt", "walk", "--min-segment-s", HUGE),
                    "--min-segment-s")


def test_huge_seed_is_a_usage_error():
    _one_line_error(_cli("bench", "--seed", HUGE), "--seed")


@pytest.mark.parametrize("command", ["ground", "index"])
def test_huge_fps_is_a_usage_error(tmp_path, command):
    import numpy as np

    npy = tmp_path / "joints.npy"
    np.save(npy, np.zeros((10, 22, 3), np.float32))
    args = ["--motion", str(npy), "--prompt", "walk"] if command == "ground" else [str(tmp_path), "--out",
                                                                                   str(tmp_path / "lib")]
    _one_line_error(_cli(command, *args, "--fps", HUGE), "--fps")


def test_huge_search_top_is_a_coded_error(tmp_path):
    _one_line_error(_cli("search", "walk", "--index", str(tmp_path), "--top", HUGE), "top")


# ------------------------------------------------------------- 8: CLI tracebacks

def test_lone_surrogate_in_prompt_is_bad_prompt(bvh):
    _one_line_error(_cli("ground", "--motion", str(bvh), "--prompt", os.fsdecode(b"walk \xff then jump")),
                    "[bad_prompt]", "UTF-8")


def test_segment_reports_a_lone_surrogate_prompt_as_bad_prompt(tmp_path):
    """It was `[internal] UnicodeEncodeError` in every file's report row."""
    _one_line_error(_cli("segment", str(tmp_path), "--no-progress", "--prompt", os.fsdecode(b"walk \xff then jump")),
                    "[bad_prompt]", "UTF-8")


def test_lone_surrogate_in_search_query_is_bad_prompt(tmp_path):
    _one_line_error(_cli("search", os.fsdecode(b"kick \xfe"), "--index", str(tmp_path)), "[bad_prompt]", "UTF-8")


@pytest.mark.parametrize("device", ["nonsense", "cuda:99"])
def test_unusable_device_is_a_usage_error(bvh, device):
    _one_line_error(_cli("ground", "--motion", str(bvh), "--prompt", "walk", "--device", device), "--device")


def test_cuda_on_a_cpu_build_is_a_usage_error(bvh):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    _one_line_error(_cli("ground", "--motion", str(bvh), "--prompt", "walk", "--device", "cuda"), "--device", "CUDA")


# ------------------------------------------------------------- 9: serve flags

@pytest.mark.parametrize("flag,value", [("--deadline", "-1"), ("--deadline", "0"), ("--deadline", "nan"),
                                        ("--queue", "-1"), ("--workers", "-1"), ("--workers", "0"),
                                        ("--drain", "inf")])
def test_serve_refuses_bad_numbers_before_starting(flag, value):
    _one_line_error(_cli("serve", "--bind", "tcp://127.0.0.1:1", flag, value, timeout=60), flag)


# ------------------------------------------------------------- 10: one set of limits

def test_cli_refuses_more_sub_actions_than_the_wire(bvh):
    actions = [f"walk {i}" for i in range(LIMITS["max_sub_actions"] + 1)]
    _one_line_error(_cli("ground", "--motion", str(bvh), "--actions", *actions), "[too_large]", "sub-actions")


def test_cli_refuses_a_longer_action_than_the_wire(bvh):
    _one_line_error(_cli("ground", "--motion", str(bvh), "--actions", "walk " * 60, "jump"), "[too_large]",
                    str(LIMITS["max_action_chars"]))


def test_engine_refuses_what_the_wire_refuses(bvh):
    """Callers of the engine (the bench, the batch's local paths) get the same limit."""
    from moground.engine import GroundingEngine
    from moground.wire.errors import TooLarge
    from moground.io import load_motion

    engine = GroundingEngine()
    with pytest.raises(TooLarge):
        engine.ground(load_motion(bvh), actions=["walk"] * (LIMITS["max_sub_actions"] + 1))
