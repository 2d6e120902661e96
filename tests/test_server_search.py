"""The ``search`` request kind end to end: ``moground serve --index NAME=PATH`` with the
real engine (the packaged builtin weights), a library index built here from real
Bandai BVH takes, and the real client over 127.0.0.1. The server must answer what the
in-process Searcher answers, for a named index and for takes sent inline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from moground.wire import protocol as P
from moground.wire.client import Client
from moground.wire.errors import BadRequest, MoGroundError, UnknownIndex, UnmappableRig
from server_helpers import ServerProcess, walk_clip

TAKES = ("dataset-1_kick_normal_001.bvh", "dataset-1_walk_proud_002.bvh", "dataset-1_bow_giant_001.bvh")


@pytest.fixture(scope="module")
def bvhs(data_dir):
    paths = [data_dir / "bandai" / "raw_bvh" / name for name in TAKES]
    if not all(p.is_file() for p in paths):
        pytest.skip("bandai/raw_bvh takes not found")
    return paths


@pytest.fixture(scope="module")
def encoder():
    from moground.encoders import load_encoder

    return load_encoder("builtin")


@pytest.fixture(scope="module")
def library(tmp_path_factory, bvhs, encoder):
    from moground.library.build import IndexOptions, build_index

    out = tmp_path_factory.mktemp("lib") / "mocap"
    build_index(IndexOptions(paths=[str(p) for p in bvhs], out=str(out)), encoder)
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory, library):
    srv = ServerProcess(tmp_path_factory.mktemp("search") / "server.log", "--workers", "1",
                        "--index", f"mocap={library}", factory=None, startup_s=180)
    yield srv
    assert srv.stop() == 0


def _rig(paths, frame_starts, armature="Rig"):
    """The BVH takes as one rig of inline takes (what the add-on sends for a file's actions)."""
    from moground.io import load_motion

    clips = [load_motion(str(p)) for p in paths]
    first = clips[0]
    assert all(c.joint_names == first.joint_names for c in clips)
    rig = {"armature": armature, "bone_names": first.joint_names, "parents": first.parents, "fps": first.fps,
           "up_axis": first.up_axis, "units_to_m": first.units_to_m,
           "takes": [{"action": p.stem, "frame_start": fs, "positions": c.positions}
                     for p, c, fs in zip(paths, clips, frame_starts)]}
    return rig, clips


def _strip(hits):
    return [(h["file"], h["take"], h["start_frame"], h["end_frame"], round(h["score"], 3)) for h in hits]


def test_index_search_answers_what_the_searcher_does(server, library, encoder):
    from moground.library.search import Searcher, SearchOptions
    from moground.library.store import LibraryIndex

    query = "a person kicks with the right leg"
    local = Searcher(LibraryIndex.open(library), encoder).search(query, SearchOptions(top=5))
    with Client(server.address, timeout_s=120) as c:
        reply = c.search(query, index="mocap", options={"top": 5})
    assert reply["index"] == "mocap" and reply["searched"]["takes"] == len(TAKES)
    assert _strip(reply["hits"]) == _strip([h.to_json() for h in local])
    assert 1 <= len(reply["hits"]) <= 5 and [h["rank"] for h in reply["hits"]] == list(range(1, len(reply["hits"]) + 1))
    assert all(h["end_frame"] > h["start_frame"] for h in reply["hits"])


def test_path_glob_and_duration_options_filter_hits(server, bvhs):
    with Client(server.address, timeout_s=120) as c:
        walk = c.search("a person walks", index="mocap", options={"path": "*walk*", "top": 10})["hits"]
        short = c.search("a person walks", index="mocap", options={"max_s": 1.5, "top": 10})["hits"]
    assert walk and all("walk" in h["file"] for h in walk)
    assert short and all(h["duration_s"] <= 1.5 + 1e-6 for h in short)


def test_inline_takes_answer_like_an_index_of_them_in_source_frames(server, bvhs, encoder):
    """Takes sent with the request (as the add-on sends a file's actions): hits name the
    armature and action and count frames from each take's frame_start."""
    from moground.library.build import inline_index
    from moground.library.search import Searcher, SearchOptions
    from moground.library.take import Take

    starts = [101.0, 1.0, -20.0]
    rig, clips = _rig(bvhs, starts)
    query = "a person bows"
    with Client(server.address, timeout_s=120) as c:
        reply = c.search(query, rigs=[rig], options={"top": 8})
    assert reply["index"] is None and reply["searched"]["takes"] == len(TAKES)
    takes = []
    for p, clip, fs in zip(bvhs, clips, starts):
        clip.frame_start = fs
        takes.append(Take(f"Rig/{p.stem}", clip, "Rig", p.stem))
    local = Searcher(inline_index(encoder, takes), encoder).search(query, SearchOptions(top=8))
    assert _strip(reply["hits"]) == _strip([h.to_json() for h in local])
    by_action = {p.stem: (fs, c.num_frames) for p, c, fs in zip(bvhs, clips, starts)}
    for h in reply["hits"]:
        fs, n = by_action[h["action"]]
        assert h["armature"] == "Rig" and h["take"] == f"Rig/{h['action']}" and h["file"] == ""
        assert fs <= h["start_frame"] < h["end_frame"] <= fs + n
        assert h["start_s"] == pytest.approx((h["start_frame"] - fs) / clips[0].fps, abs=1e-3)


def test_unknown_index_bad_options_and_paths_are_refused_and_the_server_keeps_serving(server, bvhs):
    with Client(server.address, timeout_s=60) as c:
        with pytest.raises(UnknownIndex) as info:
            c.search("walk", index="other")
        assert info.value.details["indexes"] == ["mocap"] and "'other'" in info.value.message
        for options, name in (({"top": 0}, "top"), ({"top": 5000}, "top"), ({"nope": 1}, "nope"),
                              ({"min_s": 5, "max_s": 1}, "min_s"), ({"path": 7}, "path")):
            with pytest.raises(BadRequest) as info:
                c.search("walk", index="mocap", options=options)
            assert info.value.details["option"] == name, options
        with pytest.raises(BadRequest, match="never sends a path"):
            c.search("walk", index=str(bvhs[0].parent))
        # a take the engine cannot use fails that request only
        pos, names, parents = walk_clip(frames=60, bones=3)
        rig = {"bone_names": names, "parents": parents, "fps": 30.0,
               "takes": [{"action": "chain", "frame_start": 0, "positions": pos}]}
        with pytest.raises(UnmappableRig):
            c.search("walk", rigs=[rig])
        assert c.search("a person walks", index="mocap", options={"top": 1})["hits"]


def test_info_lists_indexes_by_name_without_paths(server, library):
    with Client(server.address, timeout_s=30) as c:
        info = c.info()
    assert "search" in info["kinds"]
    (entry,) = info["indexes"]
    assert entry["name"] == "mocap" and entry["takes"] == len(TAKES) and entry["files"] == len(TAKES)
    assert 0 < entry["hours"] < 0.1 and entry["encoder"] == "builtin"
    assert str(library) not in json.dumps(info) and "raw_bvh" not in json.dumps(info)


def _serve_fails(tmp_path, *args: str, within_s: float = 90.0) -> tuple[int, str, float]:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "moground.commands.serve", "--bind", "tcp://127.0.0.1:0", *args],
                          capture_output=True, text=True, timeout=within_s)
    return proc.returncode, proc.stderr, time.monotonic() - t0


def test_missing_or_foreign_index_stops_the_server_at_start(tmp_path, library):
    code, err, _ = _serve_fails(tmp_path, "--index", f"gone={tmp_path / 'nothing'}")
    assert code == 2 and "[unknown_index]" in err and "--index gone=" in err and "moground index" in err
    code, err, _ = _serve_fails(tmp_path, "--index", "bad/name=" + str(library))
    assert code == 2 and "the name must match" in err
    # the same index, claiming other weights: the worker refuses it and the server stops at once
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    for f in library.iterdir():
        (foreign / f.name).write_bytes(f.read_bytes())
    manifest = json.loads((foreign / "index.json").read_text())
    manifest["encoder"]["weights_sha256"] = "0" * 64
    (foreign / "index.json").write_text(json.dumps(manifest))
    code, err, seconds = _serve_fails(tmp_path, "--index", f"mocap={foreign}", "--workers", "2")
    assert code == 2 and "[index_mismatch]" in err and "--rebuild" in err, err[-2000:]
    print(f"\nforeign index refused after {seconds:.1f} s")


def test_make_search_request_stacks_a_rigs_takes_in_one_array():
    a, names, parents = walk_clip(frames=30, bones=2)
    b, _, _ = walk_clip(frames=12, bones=2)
    rig = {"armature": "A", "bone_names": names, "parents": parents, "fps": 24.0,
           "takes": [{"action": "one", "frame_start": 1, "positions": a},
                     {"action": "two", "frame_start": 5, "positions": b}]}
    header, arrays = P.make_search_request("walk", rigs=[rig, dict(rig, armature="B")], options={"top": 3})
    frames = P.encode_message(header, arrays)
    head, arrs = P.decode_message(frames)
    P.validate_request(head, arrs)
    assert [m["array"] for m in head["motions"]] == ["positions_0", "positions_1"]
    assert [t["frames"] for t in head["motions"][0]["takes"]] == [30, 12]
    np.testing.assert_array_equal(arrs["positions_0"], np.concatenate([a, b]))
    with pytest.raises(MoGroundError):  # an index and takes at once
        P.validate_request({**head, "index": "mocap"}, arrs)
