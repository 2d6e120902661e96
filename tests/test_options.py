"""Engine options: one typed object, a documented range per option, a coded error
(bad_request, never internal) for unknown, mistyped or out-of-range values on every
path: library, wire, CLI, batch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moground.wire import protocol as P
from moground.cli import main
from moground.wire.errors import BadRequest
from moground.wire.options import OPTION_RANGES, BadOption, GroundOptions

BAD = [
    ("steps", "abc"), ("steps", -5), ("steps", 0), ("steps", 1e9), ("steps", 10**9), ("steps", 2.5),
    ("steps", True), ("tau", 0), ("tau", -1.0), ("lr", 0.0), ("min_segment_s", math.nan),
    ("min_segment_s", 1e308), ("min_segment_s", math.inf), ("min_segment_s", "1"),
    ("expand_phrases", 1), ("sleep_s", 1.0), ("Steps", 5),
]


@pytest.mark.parametrize("name,value", BAD)
def test_bad_options_are_bad_requests_naming_the_option(name, value):
    with pytest.raises(BadOption) as err:
        GroundOptions.from_mapping({name: value})
    assert err.value.code == "bad_request" and isinstance(err.value, BadRequest)
    assert name[:40] in err.value.message and err.value.details["option"] == name


def test_good_options_keep_their_types_and_defaults():
    opts = GroundOptions.from_mapping({"steps": 60, "tau": 0.1, "min_segment_s": 1, "expand_phrases": True,
                                       "lr": None})
    assert opts.steps == 60 and opts.tau == 0.1 and opts.min_segment_s == 1.0
    assert isinstance(opts.min_segment_s, float) and opts.lr is None
    assert opts.zomg_overrides() == {"steps": 60, "tau": 0.1}
    assert opts.to_dict() == {"steps": 60, "tau": 0.1, "min_segment_s": 1.0, "expand_phrases": True}
    assert GroundOptions.from_mapping(opts.to_dict()) == opts
    assert GroundOptions().to_dict() == {} and GroundOptions().min_frames(20.0) == 10
    assert all(spec.help for spec in OPTION_RANGES.values())


def _ground_header(options):
    pos = np.zeros((10, 2, 3), np.float32)
    return P.make_ground_request(pos, ["a", "b"], [-1, 0], 30.0, 0.0, "walk", options=options)


@pytest.mark.parametrize("name,value", [b for b in BAD if not (isinstance(b[1], float) and not math.isfinite(b[1]))])
def test_wire_rejects_bad_options_before_any_work(name, value):
    header, arrays = _ground_header({name: value})
    header, arrays = P.decode_message(P.encode_message(header, arrays))
    with pytest.raises(BadRequest) as err:
        P.validate_request(header, arrays)
    assert err.value.code == "bad_request" and name in err.value.message


def test_wire_rejects_options_that_are_not_an_object():
    header, arrays = _ground_header(None)
    header["options"] = [1, 2]
    with pytest.raises(BadRequest):
        P.validate_request(header, arrays)
    header["options"] = None
    P.validate_request(header, arrays)


def test_wire_carries_typed_options():
    header, _ = _ground_header(GroundOptions(steps=7))
    assert header["options"] == {"steps": 7}


@pytest.mark.parametrize("flag,value", [("--steps", "0"), ("--steps", "abc"), ("--steps", "-5"),
                                        ("--steps", "1e9"), ("--min-segment-s", "nan"),
                                        ("--min-segment-s", "1e308")])
def test_cli_bad_option_is_a_usage_error(flag, value, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["ground", "--motion", str(tmp_path / "x.bvh"), "--prompt", "walk", flag, value])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and flag in err and "Traceback" not in err


def test_segment_bad_option_exits_2_before_any_file(capsys, tmp_path):
    rc = main(["segment", str(tmp_path), "--prompt", "walk", "--option", "steps=abc", "--backend", "tcp://127.0.0.1:1"])
    err = capsys.readouterr().err
    assert rc == 2 and "[bad_request]" in err and "steps" in err and "Traceback" not in err


def test_engine_checks_options_given_as_a_mapping(engine):
    from moground.motion import MotionClip

    clip = MotionClip(np.zeros((40, 1, 3), np.float32), ["pelvis"], [-1], 20.0)
    for bad in ({"steps": 0}, {"sleep_s": 1}, {"tau": 0}):
        with pytest.raises(BadOption):
            engine.ground(clip, actions=["walk"], options=bad)
