"""``moground ground --pin/--keep/--range/--constraints``: the CLI builds the same
constraints object the wire carries; a previous run's JSON, edited, re-grounds with its
own sub-actions and keeps what was marked; a malformed flag is a coded error (exit 2)
before anything loads. The wire's light test server shows the field travels."""

from __future__ import annotations

import json

import pytest

from moground.cli import main
from moground.wire.client import Client
from moground.io import save_npz
from moground.samples.real_take import load_demo_take
from server_helpers import ServerProcess, walk_clip


@pytest.fixture(scope="module")
def demo_npz(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.npz"
    save_npz(str(path), load_demo_take().clip)
    return path


def run_json(capsys, *argv) -> dict:
    assert main(["ground", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_pin_keep_and_range_flags(demo_npz, capsys):
    out = run_json(capsys, "--motion", str(demo_npz), "--actions", "walk", "jump", "jump jack", "jump",
                   "--method", "changepoint", "--range", "100-900", "--pin", "1:311", "--keep", "3:420-613")
    segs = out["segments"]
    assert segs[0]["start_frame"] >= 100 and segs[-1]["end_frame"] <= 900
    assert segs[0]["end_frame"] == segs[1]["start_frame"] == 311
    assert (segs[2]["start_frame"], segs[2]["end_frame"]) == (420, 613)
    assert out["constraints"] == {"pins": [{"after": 1, "frame": 311.0}], "keeps": [{"index": 3, "start": 420.0, "end": 613.0}],
                                  "range": [100.0, 900.0]}


def test_previous_run_json_edited(demo_npz, tmp_path, capsys):
    first = run_json(capsys, "--motion", str(demo_npz), "--actions", "walk", "jump", "jump jack", "jump", "walk",
                     "--method", "changepoint")
    segs = first["segments"]
    segs[1]["start_frame"] += 9  # the artist moved sub-action 2's start and kept it
    segs[1]["keep"] = True
    segs[3]["end_frame"] -= 4  # and pinned the cut after sub-action 4 four frames earlier
    segs[3]["pin"] = True
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(first))
    again = run_json(capsys, "--motion", str(demo_npz), "--method", "changepoint", "--constraints", str(path))
    assert again["sub_actions"] == first["sub_actions"]  # taken from the file: no prompt needed
    new = again["segments"]
    assert (new[1]["start_frame"], new[1]["end_frame"]) == (segs[1]["start_frame"], segs[1]["end_frame"])
    assert new[3]["end_frame"] == new[4]["start_frame"] == segs[3]["end_frame"]


@pytest.mark.parametrize("argv, needle", [
    (["--pin", "2"], "expected I:FRAME"),
    (["--keep", "2:10"], "expected I:START-END"),
    (["--pin", "0:10"], "1-based"),
    (["--keep", "2:30-10"], "not after its start"),
    (["--range", "a-b"], "expected START-END"),
])
def test_malformed_flags_fail_before_loading(demo_npz, capsys, argv, needle):
    assert main(["ground", "--motion", str(demo_npz), "--actions", "walk", "jump", *argv]) == 2
    assert needle in capsys.readouterr().err


def test_unfit_constraints_name_the_entry(demo_npz, capsys):
    assert main(["ground", "--motion", str(demo_npz), "--actions", "walk", "jump", "--method", "uniform",
                 "--pin", "2:300"]) == 2
    assert "needs at least 3" in capsys.readouterr().err


def test_constraints_travel_on_the_wire(tmp_path):
    srv = ServerProcess(tmp_path / "server.log")
    try:
        pos, names, parents = walk_clip(frames=60)
        cons = {"pins": [{"after": 1, "frame": 20}]}
        with Client(srv.address, timeout_s=30, retries=0) as c:
            out = c.ground(pos, names, parents, 30.0, actions=["walk", "jump"], constraints=cons)
            assert 'constraints={"pins": [{"after": 1, "frame": 20.0}]}' in out["warnings"]
            plain = c.ground(pos, names, parents, 30.0, actions=["walk", "jump"])
            assert not any(w.startswith("constraints=") for w in plain["warnings"])
            from moground.wire.errors import BadRequest

            with pytest.raises(BadRequest, match="whole frame"):
                c.ground(pos, names, parents, 30.0, actions=["walk", "jump"], constraints={"pins": [{"after": 1, "frame": 2.5}]})
    finally:
        assert srv.stop() == 0
