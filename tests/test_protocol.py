"""Protocol v1: encoding round trips and strict validation with stable error codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from moground.wire import protocol as P
from moground.wire.errors import MoGroundError
from server_helpers import walk_clip


def ground_frames(**kw) -> list[bytes]:
    pos, names, parents = walk_clip()
    args = dict(positions=pos, bone_names=names, parents=parents, fps=30.0, frame_start=1.0,
                prompt="walk forward then turn left")
    args.update(kw)
    return P.encode_message(*P.make_ground_request(**args))


def code_of(frames, validate=True) -> str:
    with pytest.raises(MoGroundError) as info:
        header, arrays = P.decode_message(frames)
        if validate:
            P.validate_request(header, arrays)
    return info.value.code


def test_round_trip_keeps_arrays_and_fields():
    pos, names, parents = walk_clip(frames=37, bones=5)
    frames = ground_frames(positions=pos, bone_names=names, parents=parents, actions=["walk", "turn"])
    header, arrays = P.decode_message(frames)
    P.validate_request(header, arrays)
    assert header["protocol"] == 1 and header["kind"] == "ground" and header["request_id"]
    assert header["arrays"] == [{"name": "positions", "dtype": "float32", "shape": [37, 5, 3], "frame": 1}]
    np.testing.assert_array_equal(arrays["positions"], pos)
    assert header["motion"]["bone_names"] == names and header["motion"]["up_axis"] == "Z"
    assert header["actions"] == ["walk", "turn"]


def test_big_endian_and_non_contiguous_inputs_are_normalised():
    a = np.arange(24, dtype=">f8").reshape(4, 6)[:, ::2]
    header, arrays = P.decode_message(P.encode_message({"protocol": 1}, {"x": a}))
    assert arrays["x"].dtype == np.dtype("<f8")
    np.testing.assert_array_equal(arrays["x"], a)


def test_health_request_is_one_frame():
    frames = P.encode_message(*P.make_request("health", "x"))
    assert len(frames) == 1
    header, arrays = P.decode_message(frames)
    P.validate_request(header, arrays)
    assert header["request_id"] == "x" and arrays == {}


@pytest.mark.parametrize("frames, code", [
    ([], "bad_request"),
    ([b"\xff\xfe"], "bad_request"),
    ([b"[1, 2]"], "bad_request"),
    ([b'{"protocol": NaN}'], "bad_request"),
    ([b'{"kind": "health", "request_id": "a"}'], "bad_request"),
    ([b'{"protocol": 2, "kind": "health", "request_id": "a"}'], "unsupported_protocol"),
    ([b'{"protocol": true, "kind": "health", "request_id": "a"}'], "unsupported_protocol"),
    ([b'{"protocol": 1, "kind": "explode", "request_id": "a"}'], "unknown_kind"),
    ([b'{"protocol": 1, "kind": "health"}'], "bad_request"),
    ([b'{"protocol": 1, "kind": "health", "request_id": "a"}', b"x"], "bad_request"),
    ([b"[" * 300_000], "too_large"),
    ([b"[" * 50_000], "bad_request"),
])
def test_malformed_envelopes_get_codes(frames, code):
    assert code_of(frames) == code


def _tamper(frames, **desc_changes):
    header = json.loads(frames[0])
    header["arrays"][0].update(desc_changes)
    return [json.dumps(header).encode(), *frames[1:]]


@pytest.mark.parametrize("change, code", [
    ({"dtype": "float16"}, "bad_request"),
    ({"dtype": "object"}, "bad_request"),
    ({"shape": [60, 4, 4]}, "bad_request"),         # buffer length mismatch
    ({"shape": [10**9, 10**9, 3]}, "too_large"),   # huge declared shape, nothing allocated
    ({"shape": [-1, 4, 3]}, "bad_request"),
    ({"shape": [60.0, 4, 3]}, "bad_request"),
    ({"shape": [1, 1, 1, 1, 1, 1]}, "bad_request"),
    ({"frame": 2}, "bad_request"),
    ({"name": "../etc"}, "bad_request"),
])
def test_bad_array_descriptors(change, code):
    assert code_of(_tamper(ground_frames(), **change)) == code


def test_truncated_and_extra_buffers():
    frames = ground_frames()
    assert code_of([frames[0], frames[1][:-1]]) == "bad_request"
    assert code_of([frames[0]]) == "bad_request"
    assert code_of([frames[0], frames[1], b""]) == "bad_request"


def test_ground_semantics():
    pos, names, parents = walk_clip()
    bad = pos.copy()
    bad[7, 2, 1] = np.nan
    assert code_of(ground_frames(positions=bad)) == "bad_motion"
    header, arrays = P.make_ground_request(pos, names, parents, 30.0, 0.0, "walk")
    assert code_of(P.encode_message(header, {"positions": pos.astype(np.float64)})) == "bad_motion"
    assert code_of(P.encode_message(header, {"positions": pos[:, :, :2].copy()})) == "bad_motion"
    assert code_of(P.encode_message(header, {"positions": pos, "extra": pos})) == "bad_request"
    assert code_of(ground_frames(fps=0.0)) == "bad_motion"
    assert code_of(ground_frames(bone_names=names[:-1])) == "bad_motion"
    assert code_of(ground_frames(parents=[-1, 0, 1, 9])) == "bad_motion"
    assert code_of(ground_frames(bone_names=["a", "a", "b", "c"])) == "bad_motion"
    assert code_of(ground_frames(prompt="")) == "bad_prompt"
    assert code_of(ground_frames(prompt=None)) == "bad_prompt"
    assert code_of(ground_frames(prompt="x" * (P.LIMITS["max_prompt_chars"] + 1))) == "too_large"
    assert code_of(ground_frames(actions=["a"] * (P.LIMITS["max_sub_actions"] + 1))) == "too_large"
    assert code_of(ground_frames(method="Robert'); DROP")) == "bad_request"
    assert code_of(ground_frames(up_axis="X")) == "bad_motion"
    many = np.zeros((P.LIMITS["max_frames"] + 1, 1, 3), np.float32)
    assert code_of(ground_frames(positions=many, bone_names=["a"], parents=[-1])) == "too_large"
    # actions alone are enough
    header, arrays = P.decode_message(ground_frames(prompt=None, actions=["walk"]))
    P.validate_request(header, arrays)


def test_error_reply_maps_back_to_the_same_error_class():
    from moground.wire.errors import Busy

    header, _ = P.decode_reply(P.make_error_reply("r1", "busy", "full", details={"q": 3}))
    exc = P.error_from_reply(header)
    assert isinstance(exc, Busy) and exc.message == "full" and exc.details == {"q": 3}
    header, _ = P.decode_reply(P.make_error_reply("r1", "new_code_from_future", "?"))
    assert P.error_from_reply(header).code == "new_code_from_future"


def test_protocol_and_client_import_without_torch_or_moground(tmp_path):
    """The add-on vendors the ``wire`` folder as a package of its own: it must import
    with neither torch nor the rest of moground (bpy is not needed outside wire/blender)."""
    import moground.wire as wire

    shutil.copytree(Path(wire.__file__).parent, tmp_path / "vendored",
                    ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import sys; sys.modules['torch'] = None; sys.modules['bpy'] = None; sys.modules['moground'] = None\n"
            "import vendored.protocol, vendored.client, vendored.prompt.typed\n"
            "assert 'torch' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
            "print(vendored.protocol.PROTOCOL_VERSION, vendored.prompt.typed.split_typed('idle, walk, idle').phrases)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1 ['idle', 'walk', 'idle']"


def test_one_k_limit_for_explicit_actions_and_decomposed_prompts():
    """Explicit actions and a decomposed prompt share one K limit, so neither can ask for
    more sub-actions than the other."""
    from moground.decompose import MAX_SUB_ACTIONS, split_actions
    from moground.wire import limits

    assert P.LIMITS["max_sub_actions"] == limits.MAX_SUB_ACTIONS == MAX_SUB_ACTIONS == 32
    header, arrays = P.decode_message(ground_frames(prompt=None, actions=[f"move {i}" for i in range(20)]))
    P.validate_request(header, arrays)  # a long take with K=20
    header, arrays = P.decode_message(ground_frames(prompt=None, actions=["walk"] * 32))
    P.validate_request(header, arrays)
    assert code_of(ground_frames(prompt=None, actions=["walk"] * 33)) == "too_large"
    assert len(split_actions(", then ".join(["jump"] * 32))) == 32
