"""Shared helpers for the library tests: small real corpora made from the shared mocap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from moground.paths import REPO_DIR, data_root

# Bandai BVH takes share one skeleton, so one rig can play all of their actions.
BLEND_BANDAI = {
    "run": "dataset-1_run_active_001",
    "byebye": "dataset-1_byebye_proud_001",
    "raise_hand": "dataset-2_raise-up-right-hand_exhausted_001",
}

BANDAI_FPS = 30.0

# Runs in a bpy subprocess: one rig ("Bandai") with the first BVH's action assigned and
# the others kept as unassigned actions (fake users), plus a second rig with another
# skeleton ("CMU", bone heads following a CMU take) whose action only it can play.
MAKE_LIBRARY_BLEND = r"""
import sys, json
from pathlib import Path
import bpy, numpy as np
from moground.blender.mocap_import import import_take
from moground.blender_import import armature_from_positions, import_bvh
spec = json.loads(sys.argv[1])
names = list(spec["bvh"])
rig = import_take(Path(spec["bvh"][names[0]]))
rig.name = "Bandai"
rig.animation_data.action.name = names[0]
for name in names[1:]:
    other = import_bvh(Path(spec["bvh"][name]))
    act = other.animation_data.action
    act.name = name
    act.use_fake_user = True
    bpy.data.objects.remove(other)
cmu = np.load(spec["cmu"])
pos = cmu["positions"].astype(np.float64)
pos = np.stack([pos[..., 0], -pos[..., 2], pos[..., 1]], axis=-1)  # Y up -> Z up
arm = armature_from_positions("CMU", pos, json.loads(str(cmu["names"])), cmu["parents"].tolist(), float(cmu["fps"]))
arm.animation_data.action.name = "cmu_take"
bpy.ops.wm.save_as_mainfile(filepath=spec["out"])
"""


def bandai_bvh(name: str) -> Path | None:
    root = data_root(required=False)
    path = root / "bandai" / "raw_bvh" / f"{name}.bvh" if root else None
    return path if path and path.is_file() else None


def realchains() -> Path | None:
    root = data_root(required=False)
    path = root / "realchains" / "positions.npz" if root else None
    return path if path and path.is_file() else None


def realchains_take(take: str, start_s: float = 0.0, end_s: float | None = None) -> dict:
    """A realchains take (or part of it): positions [T, 23, 3] (Y up, m), names, parents, fps."""
    from moground.io.shards import skeleton

    folder = realchains().parent
    names, parents = skeleton(str(folder))
    rec = next(r for r in json.loads((folder / "index.json").read_text())["trials"] if r["id"] == take)
    fps = float(rec["fps"])
    with np.load(folder / "positions.npz") as z:
        pos = z[take].astype(np.float32)
    stop = len(pos) if end_s is None else int(round(end_s * fps))
    return {"positions": pos[int(round(start_s * fps)):stop], "names": list(names), "parents": list(parents),
            "fps": fps}


def resample(take: dict, fps: float) -> dict:
    """``take`` at another frame rate (linear), so rigs in one scene share its fps."""
    pos = take["positions"]
    t_src = np.arange(len(pos)) / take["fps"]
    t_dst = np.arange(int(np.floor(t_src[-1] * fps)) + 1) / fps
    flat = pos.reshape(len(pos), -1)
    out = np.stack([np.interp(t_dst, t_src, flat[:, k]) for k in range(flat.shape[1])], axis=1)
    return {**take, "positions": out.reshape(len(t_dst), *pos.shape[1:]).astype(np.float32), "fps": fps}


def make_library_blend(out: Path, cmu_take: dict) -> Path:
    """A .blend with two rigs and four playable actions (see MAKE_LIBRARY_BLEND),
    built in a bpy subprocess so the test process's own bpy state stays clean. The
    CMU take is resampled to the Bandai takes' 30 fps: a scene has one frame rate."""
    cmu_take = resample(cmu_take, BANDAI_FPS)
    cmu = out.with_suffix(".cmu.npz")
    np.savez(cmu, positions=cmu_take["positions"], names=json.dumps(list(cmu_take["names"])),
             parents=np.asarray(cmu_take["parents"]), fps=cmu_take["fps"])
    spec = {"bvh": {k: str(bandai_bvh(v)) for k, v in BLEND_BANDAI.items()}, "cmu": str(cmu), "out": str(out)}
    proc = subprocess.run([sys.executable, "-c", MAKE_LIBRARY_BLEND, json.dumps(spec)], capture_output=True,
                          text=True, cwd=REPO_DIR, timeout=300)
    cmu.unlink()
    assert proc.returncode == 0 and out.is_file(), proc.stderr[-2000:]
    return out
