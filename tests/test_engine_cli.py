"""End to end: files on disk → engine/CLI → segments in source frames; bad input → clean errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from moground.cli import main
from moground.wire.errors import BadMotion, BadPrompt, UnmappableRig
from moground.grounding.confidence import LOW_CONFIDENCE_SCORE
from moground.io import load_motion, save_npz
from moground.motion import MotionClip
from moground.samples.procedural import NAMES, PARENTS, joint_positions_cm, to_bvh, walk_jump_wave


@pytest.fixture(scope="module")
def sample_bvh(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "walk_jump_wave.bvh"
    path.write_text(to_bvh(walk_jump_wave()))
    return path


def test_engine_grounds_the_procedural_sample(engine, sample_bvh):
    clip = load_motion(str(sample_bvh))
    result = engine.ground(clip, prompt="walk forward, then jump, then wave")
    assert result.sub_actions == ["walk forward", "jump", "wave"]
    assert [s.label for s in result.segments] == result.sub_actions
    starts = [s.start_frame for s in result.segments]
    assert starts == sorted(starts)
    for s in result.segments:
        assert 0 <= s.start_frame < s.end_frame <= clip.num_frames
        assert 0.0 <= s.score <= 1.0
        assert s.end_s - s.start_s >= 0.5 - 1e-6  # minimum segment length
        assert s.start_frame == pytest.approx(s.start_s * clip.fps, abs=1e-3)
    assert {"encoder_ms", "optimise_ms", "total_ms"} <= set(result.timings_ms)


def test_frames_are_reported_in_source_numbering(engine, sample_bvh):
    clip = load_motion(str(sample_bvh))
    shifted = MotionClip(clip.positions, clip.joint_names, clip.parents, clip.fps, frame_start=1001.0, units_to_m=clip.units_to_m)
    a = engine.ground(clip, actions=["walk forward", "jump", "wave"])
    b = engine.ground(shifted, actions=["walk forward", "jump", "wave"])
    for sa, sb in zip(a.segments, b.segments):
        assert sb.start_frame == pytest.approx(sa.start_frame + 1001.0)
        assert sb.start_s == pytest.approx(sa.start_s)


@pytest.mark.parametrize("method", ["zomg", "changepoint", "window", "uniform"])
def test_cli_json_on_real_bandai_bvh(data_dir, method, capsys):
    path = data_dir / "bandai" / "raw_bvh" / "dataset-2_walk-turn-left_normal_001.bvh"
    if not path.exists():
        path = sorted((data_dir / "bandai" / "raw_bvh").glob("*.bvh"))[0]
    rc = main(["ground", "--motion", str(path), "--actions", "walk", "turn left", "--method", method, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["method"] == method and out["sub_actions"] == ["walk", "turn left"]
    assert len(out["segments"]) == 2
    clip = load_motion(str(path))
    assert out["fps"] == clip.fps
    for seg in out["segments"]:
        assert set(seg) == {"label", "index", "start_frame", "end_frame", "start_s", "end_s", "score", "low_confidence", "reason"}
        assert seg["low_confidence"] == (seg["score"] < LOW_CONFIDENCE_SCORE)
        assert (seg["reason"] is None) == (not seg["low_confidence"])
        assert 0 <= seg["start_frame"] < seg["end_frame"] <= clip.num_frames + 1e-6


def test_cli_table_output(sample_bvh, capsys):
    assert main(["ground", "--motion", str(sample_bvh), "--prompt", "walk forward then jump", "--method", "changepoint"]) == 0
    out = capsys.readouterr().out
    assert "walk forward" in out and "jump" in out and "method=changepoint" in out


def _bad_clip(tmp_path, positions, names=None, parents=None):
    path = tmp_path / "bad.npz"
    save_npz(str(path), MotionClip(positions, names or list(NAMES), parents or list(PARENTS), 30.0, units_to_m=0.01))
    return path


def test_nan_positions_give_a_clear_error(tmp_path, capsys):
    pos = joint_positions_cm(walk_jump_wave())[:60].astype(np.float32)
    pos[17, 3] = np.nan
    path = _bad_clip(tmp_path, pos)
    assert main(["ground", "--motion", str(path), "--prompt", "walk then jump"]) == 2
    err = capsys.readouterr().err
    assert "bad_motion" in err and "frame 17" in err and "Traceback" not in err


def test_one_frame_clip(tmp_path, capsys):
    pos = joint_positions_cm(walk_jump_wave())[:1].astype(np.float32)
    assert main(["ground", "--motion", str(_bad_clip(tmp_path, pos)), "--prompt", "walk"]) == 2
    assert "at least 2" in capsys.readouterr().err


def test_empty_prompt(engine, sample_bvh, capsys):
    with pytest.raises(BadPrompt):
        engine.ground(load_motion(str(sample_bvh)), prompt="   ")
    assert main(["ground", "--motion", str(sample_bvh), "--prompt", " "]) == 2
    assert "bad_prompt" in capsys.readouterr().err


def test_unknown_rig_names_the_missing_joints(tmp_path, capsys):
    pos = np.random.default_rng(0).normal(size=(40, 5, 3)).astype(np.float32)
    path = _bad_clip(tmp_path, pos, [f"bone{i}" for i in range(5)], [-1, 0, 1, 2, 3])
    assert main(["ground", "--motion", str(path), "--prompt", "walk"]) == 2
    err = capsys.readouterr().err
    assert "unmappable_rig" in err and "left_knee" in err


def test_unreadable_file(tmp_path, capsys):
    path = tmp_path / "garbage.bvh"
    path.write_bytes(b"\x00\x01 not a bvh")
    assert main(["ground", "--motion", str(path), "--prompt", "walk"]) == 2
    assert "unreadable_file" in capsys.readouterr().err
    assert main(["ground", "--motion", str(tmp_path / "missing.bvh"), "--prompt", "walk"]) == 2


def test_engine_errors_are_typed(engine):
    clip = MotionClip(np.zeros((30, 3, 3), np.float32), ["a", "b", "c"], [-1, 0, 1], 30.0)
    with pytest.raises(UnmappableRig):
        engine.ground(clip, prompt="walk")
    nan = MotionClip(np.full((30, 22, 3), np.nan, np.float32), list(NAMES), list(PARENTS), 30.0)
    with pytest.raises(BadMotion):
        engine.ground(nan, prompt="walk")


def test_demo_command_runs(capsys):
    assert main(["demo", "--procedural", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [s["label"] for s in out["segments"]] == ["walk forward", "jump", "wave"]
    assert len(out["iou"]) == 3 and all(0.0 <= v <= 1.0 for v in out["iou"])


def test_info_reports_the_encoder(capsys):
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["encoder"]["name"] == "builtin"
    assert "builtin" in info["encoders"] and "zomg" in info["methods"]


def test_centimetre_rig_declared_as_metres_is_rescaled(engine, sample_bvh):
    clip = load_motion(str(sample_bvh))
    wrong = MotionClip(clip.positions, clip.joint_names, clip.parents, clip.fps, units_to_m=1.0)  # really cm
    result = engine.ground(wrong, actions=["walk forward", "jump", "wave"], method="changepoint")
    right = engine.ground(clip, actions=["walk forward", "jump", "wave"], method="changepoint")
    assert any("rescaled by 0.01" in w for w in result.warnings)
    assert [s.start_frame for s in result.segments] == [s.start_frame for s in right.segments]


def test_decompose_reply_keeps_source_and_warnings(engine, monkeypatch):
    """docs/protocol.md promises sub_actions, source and warnings: an LLM fallback must show."""
    from moground.wire import protocol as P
    from moground.wire.blender.local_backend import free_port
    from moground.decompose import LLMConfig
    from moground.server.handler import RequestHandler

    dead = LLMConfig(url=f"http://127.0.0.1:{free_port()}", retries=1, backoff_s=0.01)
    monkeypatch.setattr(engine, "llm", dead)
    reply = RequestHandler(engine).handle(P.encode_message(*P.make_decompose_request("walk, then jump")))
    header, _ = P.decode_reply(reply)
    assert header["ok"] and header["sub_actions"] == ["walk", "jump"]
    assert header["source"] == "rules" and "cannot reach" in header["warnings"][0]
