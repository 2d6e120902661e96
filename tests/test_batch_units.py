"""Pure parts of the batch: atomic replace with backup, input discovery, prompt table, report."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from moground.batch import safe_save
from moground.batch.discover import build_work, load_prompt_table
from moground.batch.report import FileResult, write_report
from moground.blender.stamp import make_stamp, read_stamp, stamp_matches
from moground.commands.segment import parse_options
from moground.wire.options import GroundOptions
from moground.wire.errors import BadRequest


def test_commit_replaces_atomically_and_keeps_the_original_as_backup(tmp_path):
    target = tmp_path / "take.blend"
    target.write_bytes(b"old")
    tmp = safe_save.temp_path_for(target)
    assert tmp.parent == target.parent and tmp.name.startswith(".")
    tmp.write_bytes(b"new")
    safe_save.commit(tmp, target)
    assert target.read_bytes() == b"new" and not tmp.exists()
    assert safe_save.backup_path_for(target).read_bytes() == b"old"
    # a second commit rotates the backup to the previous version
    tmp.write_bytes(b"newer")
    safe_save.commit(tmp, target)
    assert (target.read_bytes(), (tmp_path / "take.blend1").read_bytes()) == (b"newer", b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.blend", "take.blend1"]


def test_commit_failure_before_replace_leaves_original(tmp_path, monkeypatch):
    target = tmp_path / "take.blend"
    target.write_bytes(b"old")
    tmp = safe_save.temp_path_for(target)
    tmp.write_bytes(b"new")
    monkeypatch.setattr(safe_save.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        safe_save.commit(tmp, target)
    assert target.read_bytes() == b"old"
    safe_save.clean_stale_temp(target)
    assert not tmp.exists()


def test_discovery_skips_temp_backup_and_hidden_files(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("a.blend", "sub/b.BLEND", "a.blend1", ".hidden.blend", "x.blend@",
                 ".a.moground-tmp.blend", "c.bvh"):
        (tmp_path / name).write_bytes(b"x")
    items, missing = build_work([tmp_path], prompt="walk", prompts_csv=None, armature="Hero",
                                from_mocap=False)
    assert [i.path.name for i in items] == ["a.blend", "b.BLEND"] and missing == []
    assert {i.armature for i in items} == {"Hero"} and {i.kind for i in items} == {"blend"}
    mocap, _ = build_work([tmp_path], prompt="walk", prompts_csv=None, armature=None, from_mocap=True)
    assert [i.path.name for i in mocap] == ["c.bvh"] and mocap[0].kind == "mocap"
    with pytest.raises(BadRequest):
        build_work([tmp_path / "nope"], prompt="walk", prompts_csv=None, armature=None, from_mocap=False)
    with pytest.raises(BadRequest):
        build_work([tmp_path], prompt="walk", prompts_csv="x.csv", armature=None, from_mocap=False)


def test_prompt_table_matches_path_name_or_stem(tmp_path):
    for name in ("one.blend", "two.blend", "three.blend"):
        (tmp_path / name).write_bytes(b"x")
    table = tmp_path / "p.csv"
    table.write_text(f'file,prompt\n{tmp_path / "one.blend"},"walk, then run"\n'
                     'two,jump,Rig\n')
    assert load_prompt_table(table)["two"] == ("jump", "Rig")
    items, missing = build_work([tmp_path], prompt=None, prompts_csv=table, armature=None,
                                from_mocap=False)
    got = {i.path.name: (i.prompt, i.armature) for i in items}
    assert got == {"one.blend": ("walk, then run", None), "two.blend": ("jump", "Rig")}
    assert [m.name for m in missing] == ["three.blend"]
    table.write_text("one.blend\n")
    with pytest.raises(BadRequest):
        load_prompt_table(table)


def test_stamp_round_trip():
    s = make_stamp("walk", "zomg", "0.1.0", "walk")
    assert stamp_matches(read_stamp({"moground_batch": s}), "walk", "zomg", "0.1.0")
    assert not stamp_matches(read_stamp({"moground_batch": s}), "walk", "uniform", "0.1.0")
    assert read_stamp({"moground_batch": "{garbled"}) is None and read_stamp({}) is None


def test_reports_json_and_csv(tmp_path):
    segs = [{"label": "walk", "start_frame": 1, "end_frame": 30, "score": 0.8},
            {"label": "run", "start_frame": 30, "end_frame": 60, "score": 0.25}]
    results = [FileResult("a.blend", "Rig", "walk, then run", "zomg", "ok", segs, 1.5),
               FileResult("b.blend", status="failed", error="[unreadable_file] bad")]
    data = json.loads(write_report(results, tmp_path / "r.json").read_text())
    assert data["summary"] == {"ok": 1, "skipped": 0, "failed": 1, "not_run": 0}
    assert data["files"][0]["scores"] == [0.8, 0.25]
    rows = list(csv.DictReader((write_report(results, tmp_path / "r.csv")).open()))
    assert rows[0]["segments"] == "walk[1-30]; run[30-60]" and rows[0]["scores"] == "0.800; 0.250"
    assert rows[1]["status"] == "failed" and "unreadable" in rows[1]["error"]


def test_option_pairs():
    assert parse_options(["steps=8", "tau=0.1", "expand_phrases=true"]) == GroundOptions(
        steps=8, tau=0.1, expand_phrases=True)
    for bad in (["steps"], ["name=x y"], ["steps=abc"], ["tau=0"]):
        with pytest.raises(BadRequest):
            parse_options(bad)


def test_batch_runner_removes_its_temporary_folder(tmp_path, monkeypatch):
    """The workers' result files live in a temporary folder that must not outlive the run."""
    import tempfile

    from moground.batch.discover import WorkItem
    from moground.batch.driver import BatchOptions, BatchRunner

    pytest.importorskip("bpy")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    runner = BatchRunner(BatchOptions(backend="tcp://127.0.0.1:1", progress=False))
    [result] = runner.run([WorkItem(path=tmp_path / "missing.blend", prompt="walk", kind="blend")])
    assert result.status == "failed" and "no such file" in result.error
    assert list(tmp.iterdir()) == []


def _other_gid() -> int:
    """A group other than our own that we may give files (root: any)."""
    mine = os.getegid()
    if os.geteuid() == 0:
        return 4321 if mine != 4321 else 4322
    others = [g for g in os.getgroups() if g != mine]
    if not others:
        pytest.skip("needs root or a supplementary group")
    return others[0]


def test_commit_keeps_mode_owner_and_group(tmp_path):
    target = tmp_path / "take.blend"
    target.write_bytes(b"old")
    gid = _other_gid()
    os.chown(target, -1, gid)
    os.chmod(target, 0o640)  # group-restricted: must not become world-readable
    before = target.stat()
    tmp = safe_save.temp_path_for(target)
    tmp.write_bytes(b"new")
    os.chmod(tmp, 0o644)
    safe_save.commit(tmp, target)
    after = target.stat()
    assert target.read_bytes() == b"new"
    assert oct(after.st_mode & 0o7777) == "0o640"
    assert (after.st_uid, after.st_gid) == (before.st_uid, gid)


def test_read_only_files_and_permission_problems_are_coded_errors(tmp_path):
    from moground.wire.errors import NotWritable

    target = tmp_path / "locked.blend"
    target.write_bytes(b"old")
    os.chmod(target, 0o444)
    with pytest.raises(NotWritable, match="read-only"):
        safe_save.check_writable(target)
    tmp = safe_save.temp_path_for(target)
    tmp.write_bytes(b"new")
    with pytest.raises(NotWritable) as info:
        safe_save.commit(tmp, target)
    assert info.value.code == "not_writable"
    assert target.read_bytes() == b"old" and not safe_save.backup_path_for(target).exists()
    os.chmod(target, 0o644)
    safe_save.check_writable(target)  # writable again: no error
    safe_save.check_writable(tmp_path / "new.blend")  # a file still to be created
