"""`moground index`: incremental updates, weights checks, unreadable files, processes,
shards and merge, .blend actions on real bpy, and ranking on a small real corpus.

Everything runs on real mocap from the shared data folder (CMU trials written as
MoGround npz, Bandai BVH files, the realchains shard) and the packaged weights.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from library_helpers import BLEND_BANDAI, bandai_bvh, make_library_blend, realchains, realchains_take
from moground import cli
from moground.encoders import load_encoder
from moground.wire.errors import BadRequest, IndexMismatch
from moground.io.npzfile import save_npz
from moground.library import build as build_mod
from moground.library.build import IndexOptions, build_index
from moground.library.merge import merge_indexes
from moground.library.search import Searcher, SearchOptions
from moground.library.sources import discover, in_shard
from moground.library.store import LibraryIndex
from moground.motion import MotionClip

# Short CMU test-split trials (1.4–4 s) keep every build here fast.
SMALL_TRIALS = {"07_01": "walk", "35_17": "run/jog", "49_06": "cartwheel"}


@pytest.fixture(scope="module")
def encoder():
    return load_encoder("builtin")


def cmu_clip(data_dir: Path, trial: str) -> MotionClip:
    from moground.io.shards import skeleton

    rec = next(r for r in json.loads((data_dir / "cmu" / "index.json").read_text())["trials"] if r["id"] == trial)
    names, parents = skeleton(str(data_dir / "cmu"))
    with np.load(data_dir / "cmu" / rec["shard"]) as z:
        pos = z[trial].astype(np.float32)
    return MotionClip(pos, list(names), list(parents), float(rec["fps"]), source=trial)


@pytest.fixture(scope="module")
def corpus(data_dir, tmp_path_factory) -> Path:
    """A folder of five small real takes: three CMU npz, two Bandai BVH."""
    root = tmp_path_factory.mktemp("corpus")
    (root / "cmu").mkdir()
    (root / "bvh").mkdir()
    for trial in SMALL_TRIALS:
        save_npz(root / "cmu" / f"{trial}.npz", cmu_clip(data_dir, trial))
    for name in ("run", "byebye"):
        src = bandai_bvh(BLEND_BANDAI[name])
        if src is None:
            pytest.skip("Bandai BVH files not in the data folder")
        shutil.copy(src, root / "bvh" / f"{name}.bvh")
    return root


@pytest.fixture(scope="module")
def full_index(corpus, encoder, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("full") / "lib"
    report = build_index(IndexOptions(paths=[str(corpus)], out=str(out)), encoder=encoder)
    assert not report.skipped and len(report.added) == 5
    return out


def arrays_by_take(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each take's frames, windows and (take-free) spans, by key."""
    idx = LibraryIndex.open(path)
    out = {}
    for t in idx.takes:
        out[t.key] = (np.array(idx.frames[t.row : t.row + t.frames]),
                      np.array(idx.windows[t.win_row : t.win_row + t.win_count]),
                      np.array(idx.spans[t.win_row : t.win_row + t.win_count, 1:]))
    return out


def assert_same_index(a: Path, b: Path, atol: float = 0.0) -> None:
    """Same files, takes and windows; features equal (within ``atol``: torch's thread
    count can move a float16 feature by one unit in the last place)."""
    ia, ib = LibraryIndex.open(a), LibraryIndex.open(b)
    assert [t.key for t in ia.takes] == [t.key for t in ib.takes]
    assert [(t.row, t.frames, t.win_row, t.win_count) for t in ia.takes] == [
        (t.row, t.frames, t.win_row, t.win_count) for t in ib.takes]
    assert {p: f.sha256 for p, f in ia.manifest.files.items()} == {p: f.sha256 for p, f in ib.manifest.files.items()}
    np.testing.assert_array_equal(ia.spans, ib.spans)
    for name in ("frames", "windows"):
        np.testing.assert_allclose(np.asarray(getattr(ia, name), np.float32), np.asarray(getattr(ib, name), np.float32),
                                   rtol=0, atol=atol, err_msg=name)


# ------------------------------------------------------------------ incremental updates

def test_update_skips_unchanged_reencodes_changed_and_drops_deleted(corpus, data_dir, encoder, tmp_path, monkeypatch):
    src = tmp_path / "src"
    shutil.copytree(corpus, src)
    lib = tmp_path / "lib"
    first = build_index(IndexOptions(paths=[str(src)], out=str(lib)), encoder=encoder)
    assert len(first.added) == 5 and first.takes == 5
    before = arrays_by_take(lib)

    changed, deleted = src / "cmu" / "35_17.npz", src / "bvh" / "byebye.bvh"
    save_npz(changed, cmu_clip(data_dir, "35_18"))  # another trial under the same name
    deleted.unlink()
    encoded: list[str] = []
    real_encode = build_mod.encode_file
    monkeypatch.setattr(build_mod, "encode_file", lambda enc, found, opts: (
        encoded.append(str(found.path)), real_encode(enc, found, opts))[1])
    second = build_index(IndexOptions(paths=[str(src)], out=str(lib)), encoder=encoder)

    assert encoded == [str(changed.resolve())]  # nothing else was encoded again
    assert second.updated == [str(changed.resolve())] and not second.added
    assert second.dropped == [str(deleted.resolve())]
    assert sorted(second.unchanged) == sorted(str(p.resolve()) for p in
                                              (src / "cmu" / "07_01.npz", src / "cmu" / "49_06.npz", src / "bvh" / "run.bvh"))
    after = arrays_by_take(lib)
    assert set(after) == set(before) - {str(deleted.resolve())}
    for key in second.unchanged:
        for old, new in zip(before[key], after[key]):
            np.testing.assert_array_equal(old, new)
    assert after[str(changed.resolve())][0].shape != before[str(changed.resolve())][0].shape or not np.array_equal(
        after[str(changed.resolve())][0], before[str(changed.resolve())][0])

    # a run over part of the tree keeps what lies outside it (still on disk) and encodes nothing
    encoded.clear()
    third = build_index(IndexOptions(paths=[str(src / "bvh")], out=str(lib)), encoder=encoder)
    assert encoded == [] and third.unchanged == [str((src / "bvh" / "run.bvh").resolve())]
    assert third.takes == 4 and not third.dropped
    assert set(arrays_by_take(lib)) == set(after)


def test_rebuild_after_other_window_lengths_encodes_everything(corpus, encoder, tmp_path):
    lib = tmp_path / "lib"
    build_index(IndexOptions(paths=[str(corpus / "cmu")], out=str(lib)), encoder=encoder)
    report = build_index(IndexOptions(paths=[str(corpus / "cmu")], out=str(lib), scales_s=(1.0, 2.0)), encoder=encoder)
    assert len(report.added) == 3 and not report.unchanged
    assert LibraryIndex.open(lib).manifest.scales_s == [1.0, 2.0]


# ------------------------------------------------------------------ weights check

@pytest.fixture(scope="module")
def other_weights(tmp_path_factory) -> Path:
    """The packaged weights with one tensor changed: same shapes, other features."""
    from moground.encoders.builtin import DEFAULT_WEIGHTS

    blob = torch.load(str(DEFAULT_WEIGHTS), map_location="cpu", weights_only=True)
    name = next(k for k, v in blob["state_dict"].items() if v.is_floating_point() and v.ndim == 2)
    blob["state_dict"][name] = blob["state_dict"][name] + 0.01
    out = tmp_path_factory.mktemp("weights") / "other.pt"
    torch.save(blob, out)
    return out


def test_index_built_with_other_weights_is_refused(full_index, corpus, other_weights, tmp_path, capsys):
    other = load_encoder("builtin", str(other_weights))
    with pytest.raises(IndexMismatch) as exc:
        Searcher(LibraryIndex.open(full_index), other)
    message = exc.value.message
    assert str(full_index) in message and "--rebuild" in message and "weights_sha256" in message
    lib = tmp_path / "lib"
    shutil.copytree(full_index, lib)
    stamp = (lib / "index.json").read_text()
    with pytest.raises(IndexMismatch):
        build_index(IndexOptions(paths=[str(corpus)], out=str(lib)), encoder=other)
    assert (lib / "index.json").read_text() == stamp  # refused before anything was written
    # the command line says so in one line, exit 2
    code = cli.main(["search", "a person walks", "--index", str(full_index), "--encoder-path", str(other_weights)])
    err = capsys.readouterr().err
    assert code == 2 and "built with encoder" in err and "Traceback" not in err
    # --rebuild replaces it with an index of the new weights
    report = build_index(IndexOptions(paths=[str(corpus)], out=str(lib), rebuild=True), encoder=other)
    assert len(report.added) == 5
    Searcher(LibraryIndex.open(lib), other)  # accepted now


# ------------------------------------------------------------------ unreadable files

def test_unreadable_files_are_reported_and_skipped(corpus, encoder, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(corpus / "cmu" / "07_01.npz", src / "good.npz")
    bvh = (corpus / "bvh" / "run.bvh").read_bytes()
    (src / "truncated.bvh").write_bytes(bvh[: len(bvh) // 2])
    (src / "garbage.npz").write_bytes(b"PK\x03\x04 not a zip archive" * 20)
    (src / "lonely").mkdir()
    (src / "lonely" / "01_01.amc").write_text(":FULLY-SPECIFIED\n:DEGREES\n1\nroot 0 0 0 0 0 0\n")
    report = build_index(IndexOptions(paths=[str(src)], out=str(tmp_path / "lib")), encoder=encoder)
    skipped = {Path(p).name: why for p, why in report.skipped.items()}
    assert set(skipped) == {"truncated.bvh", "garbage.npz", "01_01.amc"}
    assert "truncated" in skipped["truncated.bvh"]
    assert "zip" in skipped["garbage.npz"]
    assert "--asf" in skipped["01_01.amc"]
    index = LibraryIndex.open(tmp_path / "lib")
    assert [Path(t.file).name for t in index.takes] == ["good.npz"]
    assert {Path(p).name for p in index.manifest.skipped} == set(skipped)


# ------------------------------------------------------------------ processes, shards, merge

def test_jobs_2_gives_the_same_index_as_jobs_1(full_index, corpus, tmp_path):
    out = tmp_path / "lib"
    report = build_index(IndexOptions(paths=[str(corpus)], out=str(out), jobs=2))
    assert not report.skipped and len(report.added) == 5
    assert_same_index(full_index, out, atol=2e-3)


def test_shards_partition_the_files_and_merge_into_the_full_index(full_index, corpus, encoder, tmp_path):
    n = 3
    files = discover([str(corpus)])
    owners = [[i for i in range(n) if in_shard(f, (i, n))] for f in files]
    assert all(len(o) == 1 for o in owners)  # every file in exactly one shard
    shards = []
    for i in range(n):
        out = tmp_path / f"shard-{i}"
        build_index(IndexOptions(paths=[str(corpus)], out=str(out), shard=(i, n)), encoder=encoder)
        shards.append(out)
        assert {Path(p) for p in LibraryIndex.open(out).manifest.files} == {
            f.path for f, o in zip(files, owners) if o == [i]}
    merged = tmp_path / "merged"
    code = cli.main(["index", "merge", str(merged), *map(str, shards)])
    assert code == 0
    assert_same_index(full_index, merged)


def test_merge_refuses_shards_of_other_weights(full_index, corpus, other_weights, tmp_path):
    other = tmp_path / "other"
    build_index(IndexOptions(paths=[str(corpus / "bvh")], out=str(other), encoder_path=str(other_weights)))
    with pytest.raises(IndexMismatch):
        merge_indexes([str(full_index), str(other)], str(tmp_path / "merged"))
    assert not (tmp_path / "merged").exists()


# ------------------------------------------------------------------ command line

def test_cli_json_report_progress_and_bad_arguments(corpus, tmp_path, capsys):
    lib = tmp_path / "lib"
    assert cli.main(["index", str(corpus / "cmu"), "--out", str(lib), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["added"]) == 3 and report["takes"] == 3 and report["bytes"] > 0
    assert cli.main(["index", str(corpus / "cmu"), "--out", str(lib)]) == 0  # progress bar and summary
    out, err = capsys.readouterr()
    assert "3 unchanged" in out and "index" in err

    assert cli.main(["index", str(tmp_path / "nowhere"), "--out", str(lib)]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    a_file = tmp_path / "a_file"
    a_file.write_text("not an index")
    assert cli.main(["index", str(corpus / "cmu"), "--out", str(a_file), "--no-progress"]) == 2
    assert "not a folder" in capsys.readouterr().err and a_file.read_text() == "not an index"
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert cli.main(["index", str(corpus / "cmu"), "--out", str(other), "--no-progress"]) == 2
    assert "not a MoGround index" in capsys.readouterr().err and (other / "notes.txt").read_text() == "mine"
    for bad in (["--shard", "3/3"], ["--shard", "x"], ["--jobs", "0"]):
        assert cli.main(["index", str(corpus / "cmu"), "--out", str(tmp_path / "x"), *bad]) == 2
        assert "--" in capsys.readouterr().err
    assert cli.main(["index", "merge", str(tmp_path / "m")]) == 2
    assert "usage: moground index merge OUT" in capsys.readouterr().err


def test_cli_empty_folder_writes_an_empty_index_and_says_so(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["index", str(empty), "--out", str(tmp_path / "lib"), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert "no files to index" in err
    index = LibraryIndex.open(tmp_path / "lib")
    assert index.takes == [] and index.frames.shape[0] == 0


def test_a_missing_path_fails_before_the_encoder_loads_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(build_mod, "load_encoder", lambda *a, **k: pytest.fail("encoder loaded"))
    with pytest.raises(BadRequest, match="no such file or folder"):
        build_index(IndexOptions(paths=[str(tmp_path / "nope")], out=str(tmp_path / "lib")))
    assert not (tmp_path / "lib").exists()


# ------------------------------------------------------------------ ranking on real takes

RANKING = {  # query → the take that must come first, measured with the packaged default weights
    # ("jumping jacks" is not here: the CMU-only weights put 17_10 *boxing* first)
    "climb up a ladder": "86_13",
    "sit down": "86_10",
    "cartwheel": "49_06",
    "run": "35_17",
}


def test_distinctive_queries_find_the_right_take_first(data_dir, encoder, tmp_path):
    if realchains() is None:
        pytest.skip("realchains not in the data folder")
    cmu = tmp_path / "cmu"
    cmu.mkdir()
    distractors = ["07_01", "17_10", "27_02", "35_17", "42_01", "49_02", "49_06"]  # CMU test split
    for trial in distractors:
        save_npz(cmu / f"{trial}.npz", cmu_clip(data_dir, trial))
    lib = tmp_path / "lib"
    report = build_index(IndexOptions(paths=[str(realchains().parent), str(cmu)], out=str(lib)), encoder=encoder)
    assert report.takes == 12 and not report.skipped
    searcher = Searcher(LibraryIndex.open(lib), encoder)
    for query, take in RANKING.items():
        top = searcher.search(query, SearchOptions(top=1, candidates=10))[0]
        assert (top.take or Path(top.file).stem) == take, (query, top)


# ------------------------------------------------------------------ .blend files on real bpy

needs_bpy = pytest.mark.skipif(importlib.util.find_spec("bpy") is None, reason="needs the bpy module")


@pytest.mark.blender
@needs_bpy
def test_blend_actions_are_indexed_and_searchable(data_dir, encoder, tmp_path):
    if realchains() is None or any(bandai_bvh(v) is None for v in BLEND_BANDAI.values()):
        pytest.skip("realchains or Bandai BVH not in the data folder")
    blend = make_library_blend(tmp_path / "library.blend", realchains_take("86_05", 12.0, 20.0))
    digest = blend.read_bytes()
    lib = tmp_path / "lib"
    report = build_index(IndexOptions(paths=[str(tmp_path)], out=str(lib)), encoder=encoder)
    assert not report.skipped
    assert blend.read_bytes() == digest  # read, never saved
    index = LibraryIndex.open(lib)
    takes = {t.take: t for t in index.takes}
    # every action each rig can play: the Bandai rig plays its own and the two kept as
    # unassigned actions; the CMU rig (other bone names) only its own
    assert set(takes) == {"Bandai/run", "Bandai/byebye", "Bandai/raise_hand", "CMU/cmu_take"}
    assert all(t.armature == t.take.split("/")[0] and t.action == t.take.split("/")[1] for t in index.takes)
    assert all(t.source_fps == 30.0 and t.frame_start == 1.0 for t in index.takes)

    # an unassigned action read through the rig is the motion of its BVH
    from moground.io import load_motion
    from moground.library.blend import read_blend_takes

    dumped = {t.name: t.clip for t in read_blend_takes(blend)}
    for action in ("byebye", "raise_hand"):
        bvh = load_motion(bandai_bvh(BLEND_BANDAI[action]))
        clip = dumped[f"Bandai/{action}"]
        assert takes[f"Bandai/{action}"].source_frames == bvh.num_frames == clip.num_frames
        q = bvh.positions * bvh.units_to_m
        zup = np.stack([q[..., 0], -q[..., 2], q[..., 1]], axis=-1)[:, [bvh.joint_names.index(n) for n in clip.joint_names]]
        hips = clip.joint_names.index("Hips")
        body = slice(1, None)  # the BVH root joint sits at a per-file offset from the body
        np.testing.assert_allclose((clip.positions - clip.positions[:, hips:hips + 1])[:, body],
                                   (zup - zup[:, hips:hips + 1])[:, body], atol=1e-3)

    searcher = Searcher(index, encoder)
    # measured with the packaged default weights (CMU only); "raise the right hand" is left
    # out: the CMU take holds a "raise arms" segment too, so either answer would be right
    for query, take in {"jumping jacks": "CMU/cmu_take", "a person runs": "Bandai/run",
                        "a person waves": "Bandai/byebye"}.items():
        top = searcher.search(query, SearchOptions(top=1, candidates=10))[0]
        assert (top.take, top.armature, top.action) == (take, *take.split("/")), query
        assert top.file == str(blend.resolve())


@pytest.mark.blender
@needs_bpy
def test_unreadable_blend_is_reported_and_skipped(corpus, encoder, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "broken.blend").write_bytes(b"BLENDER-v500 but nothing after" * 10)
    shutil.copy(corpus / "cmu" / "07_01.npz", src / "good.npz")
    report = build_index(IndexOptions(paths=[str(src)], out=str(tmp_path / "lib")), encoder=encoder)
    assert list(map(lambda p: Path(p).name, report.skipped)) == ["broken.blend"]
    assert "broken.blend" in report.skipped[str((src / "broken.blend").resolve())]
    assert [Path(t.file).name for t in LibraryIndex.open(tmp_path / "lib").takes] == ["good.npz"]


# ------------------------------------------------------------------ the Flamenco job type, run locally

NODE = shutil.which("node")
COMPILE_JOB = ("import { compile } from './tests/js/flamenco_harness.mjs';"
               "console.log(JSON.stringify(compile('moground_index.js', JSON.parse(process.argv[1]))));")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_flamenco_index_job_commands_build_the_full_index(full_index, corpus, tmp_path, capsys):
    """Compile a moground-index job as the Manager would, run its tasks' commands here
    in dependency order: the merged library equals an index built in one go."""
    import subprocess

    from moground.paths import REPO_DIR

    library = tmp_path / "lib"
    settings = {"paths": f"{corpus / 'cmu'}\n{corpus / 'bvh'}", "library": str(library), "shards": 2}
    proc = subprocess.run([NODE, "--input-type=module", "-e", COMPILE_JOB, json.dumps(settings)],
                          capture_output=True, text=True, cwd=REPO_DIR, timeout=60, check=True)
    tasks = json.loads(proc.stdout)
    assert [t["name"] for t in tasks] == ["index-shard-0-of-2", "index-shard-1-of-2", "merge-shards"]
    for task in tasks:
        (command,) = task["commands"]
        assert command["name"] == "exec" and command["parameters"]["exe"] == "moground"
        assert cli.main(command["parameters"]["args"]) == 0, task["name"]
    assert_same_index(full_index, library)
    capsys.readouterr()
    # a second run of the same job finds every shard up to date and merges the same library
    unchanged = 0
    for task in tasks:
        assert cli.main(task["commands"][0]["parameters"]["args"] + (["--json"] if task["name"].startswith("index-") else [])) == 0
        if task["name"].startswith("index-"):
            report = json.loads(capsys.readouterr().out)
            assert not report["added"] and not report["updated"]
            unchanged += len(report["unchanged"])
    assert unchanged == 5
    assert_same_index(full_index, library)
