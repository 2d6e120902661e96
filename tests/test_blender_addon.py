"""The Blender extension, for real: built zip, Blender's installer, a real backend.

Each scenario runs in a fresh ``bpy`` process (tests/blender_scenarios.py) with its
own user folders, so nothing touches ~/.config/blender. The Python that runs them is
``$MOGROUND_BPY_PYTHON`` (e.g. the bpy 4.2 venv) or this interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from moground.wire.blender.local_backend import free_port

pytestmark = pytest.mark.blender

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = Path(__file__).with_name("blender_scenarios.py")
BPY_PYTHON = os.environ.get("MOGROUND_BPY_PYTHON", sys.executable)
PROMPT = "walk forward, then kick, then bow"


def _load_build_addon():
    """build_addon.py lives at the repository root, outside any package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_addon", REPO / "build_addon.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_addon"] = module
    spec.loader.exec_module(module)
    return module


build_addon = _load_build_addon()


def _has_bpy(python: str) -> bool:
    return subprocess.run([python, "-c", "import bpy"], capture_output=True).returncode == 0


if not _has_bpy(BPY_PYTHON):
    pytest.skip(f"{BPY_PYTHON} has no bpy module", allow_module_level=True)


def _bvh(name: str = "dataset-1_kick_normal_001.bvh") -> Path:
    from moground.paths import data_root

    root = data_root(required=False)
    path = root / "bandai" / "raw_bvh" / name if root else None
    if path is None or not path.exists():
        pytest.skip("shared data (bandai/raw_bvh) not found")
    return path


@pytest.fixture(scope="module")
def addon_zip(tmp_path_factory) -> Path:
    """The linux-x64 / Blender 4.2-5.0 zip, validated by Blender's validator."""
    out = tmp_path_factory.mktemp("dist")
    return build_addon.build("linux-x64", build_addon.TARGETS["cp311"], out,
                             build_addon.DEFAULT_CACHE, validate_with=BPY_PYTHON)


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("blender_user")


def run_scenario(name: str, zip_path: Path, user: Path, timeout: float = 180, **kwargs) -> dict:
    env = dict(os.environ)
    for var, sub in (("CONFIG", "config"), ("SCRIPTS", "scripts"), ("EXTENSIONS", "extensions"),
                     ("DATAFILES", "datafiles")):
        env[f"BLENDER_USER_{var}"] = str(user / sub)
    cmd = [BPY_PYTHON, str(SCENARIOS), name, str(zip_path), *(f"{k}={v}" for k, v in kwargs.items())]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"scenario {name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1][len("RESULT "):])


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    """A real ``moground serve`` subprocess on a free loopback port."""
    pytest.importorskip("moground.server", reason="the backend server is not available")
    from moground.wire.client import Client
    from moground.wire.errors import MoGroundError

    address = f"tcp://127.0.0.1:{free_port()}"
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "moground.cli", "serve", "--bind", address],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        with Client(address, timeout_s=1.0, retries=0) as client:
            while client_ready(client, MoGroundError) is False:
                assert proc.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, "backend did not start"
                time.sleep(0.3)
        yield address
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def client_ready(client, error_type) -> bool:
    try:
        return client.health().get("workers_ready", 0) >= 1
    except error_type:
        return False


# --------------------------------------------------------------------------- build


def test_zip_bundles_wire_client_and_pyzmq_but_no_numpy(addon_zip):
    with zipfile.ZipFile(addon_zip) as zf:
        names = zf.namelist()
        manifest = zf.read("blender_manifest.toml").decode()
        # the backend modules the add-on runs are byte-identical copies, nothing else
        vendored = build_addon.vendored_files()
        assert {"wire/client.py", "wire/blender/motion_reader.py", "wire/blender/nla_writer.py",
                "wire/blender/local_backend.py"} <= set(vendored)
        for rel, src in vendored.items():
            assert zf.read(rel) == src.read_bytes(), rel
        assert sorted(n for n in names if n.startswith("wire/")) == sorted(
            [*vendored, "wire/__init__.py"])
        ui = {n for n in names if n.endswith(".py") and "/" not in n}
        assert ui == {"__init__.py", "backend.py", "find.py", "operators.py", "panels.py", "preferences.py",
                      "prompt_list.py", "properties.py"}
        assert {"wire/prompt/typed.py", "wire/prompt/rules.py", "wire/prompt/words.py"} <= set(names)
    wheels = [n for n in names if n.startswith("wheels/")]
    assert len(wheels) == 1 and "cp311" in wheels[0] and "x86_64" in wheels[0] and "pyzmq" in wheels[0]
    assert f'"./{wheels[0]}"' in manifest and 'platforms = ["linux-x64"]' in manifest
    assert 'blender_version_max = "5.1.0"' in manifest
    assert not any("numpy" in n for n in names)
    assert not any("__pycache__" in n for n in names)


def test_manifest_for_blender_51_uses_python_313():
    text = (REPO / "blender_addon" / "blender_manifest.toml").read_text()
    out = build_addon.manifest_text(text, build_addon.TARGETS["cp313"], "macos-arm64", "pyzmq-x.whl")
    import tomllib

    data = tomllib.loads(out)
    assert data["blender_version_min"] == "5.1.0" and "blender_version_max" not in data
    assert data["platforms"] == ["macos-arm64"] and data["wheels"] == ["./wheels/pyzmq-x.whl"]
    assert data["permissions"]["network"]


# --------------------------------------------------------------------------- install


def test_install_enable_zmq_disable_reenable(addon_zip, user_dir):
    out = run_scenario("install", addon_zip, user_dir)
    assert out["zmq_file"].startswith(out["site_packages"]), "zmq did not come from the bundled wheel"
    assert out["echo"] == "ping"
    assert out["op"] and out["scene_prop"]
    assert out["disabled"] == {"scene_prop": False, "enabled": False, "op_class": False}
    assert out["reenabled"] == {"scene_prop": True, "enabled": True, "poll": True}


def test_reader_matches_backend_bvh_loader(addon_zip, user_dir, tmp_path):
    """Blender's BVH import + our reader give the joint positions the backend computes."""
    from moground.io import load_motion

    bvh = _bvh()
    out = run_scenario("read", addon_zip, user_dir, bvh=bvh, out=tmp_path / "m.npz")
    ours = np.load(tmp_path / "m.npz")["positions"]
    clip = load_motion(str(bvh))
    assert out["frame_after"] == 17, "the reader must restore the current frame"
    assert ours.shape == (clip.positions.shape[0], len(out["bone_names"]), 3)
    assert abs(out["fps"] - clip.fps) < 1e-3 and out["frame_start"] == 1
    idx = [clip.joint_names.index(n) for n in out["bone_names"]]
    ref = clip.positions[:, idx] * clip.units_to_m  # Y-up metres
    ref_zup = np.stack([ref[..., 0], -ref[..., 2], ref[..., 1]], axis=-1)
    assert np.abs(ours - ref_zup).max() < 1e-3
    names = out["bone_names"]
    assert [names[p] if p >= 0 else None for p in out["parents"]][:3] == [None, "joint_Root", "Hips"]


# --------------------------------------------------------------------------- real backend


def test_prompt_preview_and_edited_list_in_blender(addon_zip, user_dir, backend):
    out = run_scenario("prompt_list", addon_zip, user_dir, bvh=_bvh(), address=backend)
    lines, remarks, error = out["preview"]
    assert (lines, remarks, error) == (["1. idle", "2. walk", "3. idle"], [], "")
    lines, remarks, _ = out["preview_repeat"]
    assert lines == ["1. walk   \u2190 'walk x2'", "2. walk   \u2190 'walk x2'", "3. t-pose"]
    assert "expanded" in remarks[0]
    assert [ln.split("   ")[0] for ln in out["preview_sentence"][0]] == ["1. walk in", "2. sit down"]
    assert out["preview_bad"][0] == [] and "characters" in out["preview_bad"][2]
    assert out["torch_loaded"] is False  # the vendored rules are pure Python
    assert out["items"] == ["idle", "walk", "walk"]
    assert out["sent"] == "idle\nwalk\nidle" and out["error"] is None, out
    (track,) = out["nla"]
    assert [s[0] for s in track[1]] == ["idle", "walk", "idle (2)"]
    assert out["results"] == ["idle", "walk", "idle"]


def test_segment_writes_strips_once_per_run_one_undo_step(addon_zip, user_dir, backend):
    out = run_scenario("segment", addon_zip, user_dir, bvh=_bvh(), address=backend,
                       prompt=PROMPT, method="uniform")
    assert out["error1"] is None and out["error2"] is None, out
    before, first = out["before"]["state"], out["first"]
    assert before["nla"] == [] and before["owned"] == []
    # one track named after the prompt, strips named after the sub-actions, in order
    assert first["owned"] == [PROMPT] and [t[0] for t in first["nla"]] == [PROMPT]
    strips = first["nla"][0][1]
    labels = [r[0] for r in out["results"]]
    assert len(labels) >= 2 and [s[0] for s in strips] == labels
    assert out["results_track"] == PROMPT
    for (name, fs, fe, afs, afe, action, slot), (_, start, end, score) in zip(strips, out["results"]):
        assert (fs, fe) == (start, end) and (afs, afe) == (start, end)  # trimmed to its range
        assert action == before["action"] and 0.0 <= score <= 1.0
        if out["blender"] >= "4.4":
            assert slot is not None
    assert strips[0][1] >= 1 and strips[-1][2] <= 359
    # the original action is unchanged and still assigned
    assert first["action"] == before["action"]
    assert out["digest_after"] == pytest.approx(out["before"]["digest"], abs=1e-4)
    # running twice leaves one MoGround track
    assert out["second"] == first
    # each run is one undo step: one undo returns to the first run, two to the start
    assert out["after_undo1"] == first
    assert out["after_undo2"] == before


def test_dead_backend_leaves_file_untouched(addon_zip, user_dir, backend):
    dead = f"tcp://127.0.0.1:{free_port()}"
    out = run_scenario("dead_backend", addon_zip, user_dir, bvh=_bvh(), address=backend,
                       dead=dead, prompt=PROMPT, method="uniform")
    assert out["error_live"] is None
    assert "No MoGround backend answers at " + dead in out["error"]
    assert out["after"] == out["before"] and out["before"]["owned"] == [PROMPT]
    assert out["panel_error"].startswith("No MoGround backend answers")


def test_clear_errors_for_bad_input(addon_zip, user_dir, backend):
    out = run_scenario("bad_input", addon_zip, user_dir, address=backend)
    assert "Select an armature: nothing is selected" in out["nothing"]
    assert "Select an armature" in out["mesh"] and "mesh" in out["mesh"]
    assert "has no action" in out["no_action"]
    assert "Type a prompt" in out["empty_prompt"]
    assert "Rig not mappable" in out["unmappable"] and "pelvis" in out["unmappable"]
    assert out["tracks"] == 0


def test_worker_thread_and_hung_backend_timeout(addon_zip, user_dir, backend):
    hung = f"tcp://127.0.0.1:{free_port()}"
    out = run_scenario("worker", addon_zip, user_dir, bvh=_bvh(), address=backend, hung=hung,
                       prompt=PROMPT)
    assert out["error"] == "None" and out["labels"][:1] == ["walk forward"], out
    assert out["polls"] > 1
    assert "did not answer within 1.5 s (timeout)" in out["hung_error"]
    assert 1.4 < out["hung_s"] < 10 and out["untouched"]


def test_starts_local_backend_when_none_answers(addon_zip, user_dir):
    pytest.importorskip("moground.server", reason="the backend server is not available")
    command = Path(sys.executable).with_name("moground")
    if not command.exists():
        pytest.skip("no `moground` command next to this Python")
    dead = f"tcp://127.0.0.1:{free_port()}"
    out = run_scenario("local_start", addon_zip, user_dir, bvh=_bvh(), dead=dead,
                       command=command, prompt=PROMPT)
    assert out["error"] is None, out
    assert out["state"]["owned"] == [PROMPT] and len(out["state"]["nla"][0][1]) >= 2
    assert out["local_address"].startswith("tcp://127.0.0.1:") and out["local_address"] != dead
    assert out["running"] and out["stopped"]


def test_run_state_is_not_saved_in_the_blend(addon_zip, user_dir, tmp_path):
    out = run_scenario("run_state_not_saved", addon_zip, user_dir, blend=tmp_path / "saved.blend")
    assert out["poll_running"] is False and out["poll_reopened"] is True


def test_default_method_preference_is_used(addon_zip, user_dir, backend):
    out = run_scenario("default_method", addon_zip, user_dir, bvh=_bvh(), address=backend, prompt=PROMPT)
    assert out["error"] is None and out["error2"] is None, out
    assert out["scene_method"] == "DEFAULT" and out["method"] == "uniform"
    assert out["method2"] == "changepoint"


def test_markers_clear_and_bake_to_actions(addon_zip, user_dir, backend):
    out = run_scenario("markers_bake", addon_zip, user_dir, bvh=_bvh(), address=backend,
                       prompt=PROMPT, method="uniform")
    assert out["error"] is None and out["error2"] is None, out
    labels = [r[0] for r in out["results"]]
    starts = [r[1] for r in out["results"]]
    # one marker per boundary, named after the sub-action starting there; the artist's stays
    assert out["markers"] == sorted([["artist", 5], *([lab, s] for lab, s in zip(labels, starts))])
    assert [s[1] for s in out["strips"][0][1]] == starts
    # strips and markers are one undo step
    assert out["undo"] == {"markers": [["artist", 5]], "nla": []}
    assert out["bake_poll"]
    # one action per sub-action, named after it, shifted to 0 or kept
    assert [a["name"] for a in out["shifted"]] == labels
    for a, (_, s, e, _low) in zip(out["shifted"], out["results"]):
        assert a["range"] == [0.0, float(e - s)] and a["fake_user"] and a["info"]["shift"] == s
    assert [a["range"] for a in out["kept"]] == [[float(s), float(e)] for _, s, e, _ in out["results"]]
    assert [a["name"] for a in out["kept"]] == labels  # baking again replaces, no duplicates
    assert out["n_actions"] == 1 + len(labels)
    # the original action is untouched and still assigned
    assert out["action_after"] == out["action_before"]
    assert out["digest"][1] == pytest.approx(out["digest"][0], abs=1e-4)
    assert out["baked_err"] < 1e-4
    assert out["low_marker"] == ["! kick"]
    # Clear removes MoGround's markers and tracks, keeps the artist's marker and the baked actions
    assert out["cleared"]["markers"] == [["artist", 5]] and out["cleared"]["nla"] == []
    assert sorted(out["cleared"]["baked_left"]) == sorted(labels)
    names = ["walk", "kick", "walk (2)", "walk (3)"]
    assert out["repeated"] == {"strips": names, "markers": names, "actions": names}


def test_find_searches_this_files_actions_uses_a_hit_and_adds_a_strip(addon_zip, user_dir, backend):
    query = "a person kicks"
    out = run_scenario("find", addon_zip, user_dir, bvh=_bvh(), bvh2=_bvh("dataset-1_walk_proud_002.bvh"),
                       address=backend, query=query, timeout=400)
    assert out["error"] is None, out
    kick, other, arm = out["kick_action"], out["other_action"], out["armature"]
    hits = out["hits"]
    assert hits and out["status"].startswith(f"{len(hits)} moments in 2 takes") and out["find_object"] == arm
    for file, take, armature, action, start, end, score in hits:
        assert file == "" and armature == arm and action in (kick, other) and take == f"{arm}/{action}"
        first, last = out["ranges"][action]
        assert first <= start < end <= last + 1 and -1.0 <= score <= 1.0
    assert hits[0][3] == kick, "the kick take should hold the best moment for a kick"
    # hits come in rank order (the per-length z-score, not the cosine shown as score);
    # tests/test_server_search.py checks the wire order against the in-process search
    # reading the actions put everything back
    assert out["after_find"] == out["before"]
    # using a hit assigns its action and sets the preview range to its frames
    _, _, _, action, start, end, _ = hits[out["pick"]]
    assert out["use_error"] is None
    assert out["used"]["action"] == action and out["used"]["preview"] == [True, start, end - 1]
    assert out["used"]["frame"] == start
    if out["blender"] >= "4.4":
        assert out["used"]["slot"] is not None
    # one strip on a track of its own, named after the search; not a MoGround-owned track
    assert out["strip_error"] is None
    added = [t for t in out["nla_after"] if t not in out["nla_before"]]
    assert len(out["nla_after"]) == len(out["nla_before"]) + 1 and len(added) == 1
    track_name, strips = added[0]
    assert track_name == query and len(strips) == 1
    s_name, fs, fe, afs, afe, s_action, _slot = strips[0]
    assert (s_name, fs, fe, afs, afe, s_action) == (query, start, end, start, end, action)
    assert query not in out["owned"]
    assert out["nla_undo"] == out["nla_before"], "adding a strip must be one undo step"
    # no action was modified by reading, using or adding
    assert out["digests"][1] == out["digests"][0]
    assert "Type what to find" in out["empty_query"]
    assert "no index named 'nope'" in out["unknown_index"] and "unknown_index" in out["unknown_index_panel"]
    assert "never sends a path" in out["path_index"]
    assert "Select an armature" in out["mesh"] and "mesh" in out["mesh"]
    assert out["hits_kept"] and "No such result" in out["out_of_range"]
