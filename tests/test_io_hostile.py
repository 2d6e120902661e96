"""Input files and CLI arguments that must not cost minutes, gigabytes or a traceback:
the budget is checked before frames are parsed, and small defects of the
readers and of `moground ground` give coded errors."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from moground.wire.errors import TooLarge, UnreadableFile
from moground.io import load_motion
from moground.paths import REPO_DIR
from moground.wire.limits import LIMITS

BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Leg
  {
    OFFSET 0 -40 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 -45 0
    }
  }
}
MOTION
Frames: {frames}
Frame Time: {dt}
"""


def _bvh(tmp_path: Path, frames: int = 3, dt: float = 1 / 30, rows: list[str] | None = None,
         prefix: bytes = b"", name: str = "t.bvh") -> Path:
    rows = rows or [f"{i} 90 0 0 0 0 0 0 0" for i in range(frames)]
    path = tmp_path / name
    path.write_bytes(prefix + (BVH.replace("{frames}", str(frames)).replace("{dt}", repr(dt))
                               + "\n".join(rows) + "\n").encode())
    return path


def test_frame_time_100_is_refused_before_any_frame_is_parsed(tmp_path):
    """20 frames at Frame Time 100 are 2,000 s: over max_duration_s."""
    path = _bvh(tmp_path, frames=20, dt=100.0)
    t0 = time.monotonic()
    with pytest.raises(TooLarge) as info:
        load_motion(path)
    assert time.monotonic() - t0 < 1.0
    assert info.value.code == "too_large" and "max_duration_s" in info.value.message
    assert info.value.details["limit"] == "max_duration_s"


def test_cli_refuses_an_over_budget_bvh_with_a_coded_error(tmp_path):
    """...before torch is even imported (it is made unimportable here)."""
    path = _bvh(tmp_path, frames=20, dt=100.0)
    code = ("import sys; sys.modules['torch'] = None; from moground.cli import main; "
            f"sys.exit(main(['ground', '--motion', {str(path)!r}, '--prompt', 'walk']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_DIR, timeout=120)
    assert out.returncode == 2 and "too_large" in out.stderr and "max_duration_s" in out.stderr
    assert "Traceback" not in out.stderr


def test_engine_checks_the_budget_before_any_work(engine):
    """A short array at a tiny frame rate is a long take: refused before resampling."""
    from moground.motion import MotionClip
    from moground.samples.procedural import NAMES, PARENTS

    clip = MotionClip(np.zeros((100, len(NAMES), 3), np.float32), list(NAMES), list(PARENTS), fps=0.05)
    t0 = time.monotonic()
    with pytest.raises(TooLarge, match="max_duration_s"):
        engine.ground(clip, actions=["walk"])
    assert time.monotonic() - t0 < 1.0


def test_model_frames_are_budgeted_for_faster_encoders():
    from moground.wire.limits import check_motion_budget

    check_motion_budget(30_000, 30.0, model_fps=20.0)  # 1,000 s: 20,000 model frames
    with pytest.raises(TooLarge, match="max_model_frames") as info:
        check_motion_budget(30_000, 30.0, model_fps=30.0)  # 30,000 model frames
    assert info.value.details == {"limit": "max_model_frames", "value": 30_000, "max": LIMITS["max_model_frames"]}


def test_feet_are_a_unit(tmp_path):
    assert load_motion(_bvh(tmp_path), units="ft").units_to_m == pytest.approx(0.3048)


def test_utf8_bom_before_hierarchy_is_accepted(tmp_path):
    clip = load_motion(_bvh(tmp_path, prefix=b"\xef\xbb\xbf"))
    assert clip.joint_names[0] == "Hips" and clip.num_frames == 3


def test_a_folder_as_motion_says_so(tmp_path):
    folder = tmp_path / "takes.bvh"
    folder.mkdir()
    with pytest.raises(UnreadableFile, match="is a folder"):
        load_motion(folder)


def test_nan_in_a_bvh_names_the_frame(tmp_path):
    rows = ["0 90 0 0 0 0 0 0 0", "1 90 0 nan 0 0 0 0 0", "2 90 0 0 0 0 0 0 0"]
    with pytest.raises(UnreadableFile, match=r"frame 1 \(line 20, channel 4\)"):
        load_motion(_bvh(tmp_path, rows=rows))


def test_over_long_prompt_is_refused_before_the_model_loads(tmp_path):
    """torch is made unimportable: the prompt check must come before the engine."""
    path = _bvh(tmp_path)
    code = ("import sys; sys.modules['torch'] = None; from moground.cli import main; "
            f"sys.exit(main(['ground', '--motion', {str(path)!r}, '--prompt', 'walk ' * 1000]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_DIR, timeout=120)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "bad_prompt" in out.stderr and "2000" in out.stderr and "Traceback" not in out.stderr


def test_segment_boundaries_are_whole_source_frames_and_cover_the_last_frame(engine):
    """A 30 fps take resampled to the encoder's 20 fps: every boundary is a whole source
    frame (end exclusive), seconds match the frames, and the last segment ends after
    the last frame."""
    from moground.motion import MotionClip
    from moground.samples.procedural import NAMES, PARENTS, joint_positions_cm, walk_jump_wave

    sample = walk_jump_wave()
    pos = joint_positions_cm(sample).astype(np.float32)
    clip = MotionClip(pos[:-1], list(NAMES), list(PARENTS), sample.fps, frame_start=1.0, units_to_m=0.01)
    result = engine.ground(clip, actions=["walk forward", "jump", "wave"])
    segs = result.segments
    for s in segs:
        assert float(s.start_frame).is_integer() and float(s.end_frame).is_integer(), s
        assert s.start_s == pytest.approx((s.start_frame - 1.0) / clip.fps, abs=1e-6)
        assert s.end_s == pytest.approx((s.end_frame - 1.0) / clip.fps, abs=1e-6)
    assert segs[0].start_frame == 1.0
    assert segs[-1].end_frame == 1.0 + clip.num_frames  # the last frame belongs to the last segment
    assert all(a.end_frame == b.start_frame for a, b in zip(segs, segs[1:]))


@pytest.mark.parametrize("content", ["pickled", "garbage"])
def test_bad_encoder_weights_never_suggest_weights_only_false(tmp_path, content):
    import torch

    from moground.encoders import load_encoder
    from moground.wire.errors import EncoderError

    path = tmp_path / "weights.pt"
    if content == "pickled":
        torch.save({"config": {}, "state_dict": {}, "hook": print}, path)  # a global: code, not tensors
    else:
        path.write_bytes(b"\x80\x02not a checkpoint")
    with pytest.raises(EncoderError) as info:
        load_encoder("builtin", str(path))
    assert "weights_only" not in info.value.message and "\n" not in info.value.message
    assert str(path) in info.value.message
