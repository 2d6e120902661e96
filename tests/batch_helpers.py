"""Shared helpers for the batch tests: real .blend files made from shared BVH takes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from moground.paths import REPO_DIR, data_root

# Short takes (70-140 frames at 30 fps) keep each file's grounding fast.
BANDAI_TAKES = (
    "dataset-1_run_active_001",
    "dataset-1_byebye_proud_001",
    "dataset-2_run_normal_001",
    "dataset-2_raise-up-right-hand_exhausted_001",
    "dataset-2_walk-turn-left_normal_001",
    "dataset-1_respond_normal_001",
)

MAKE_BLENDS = r"""
import sys, json
from pathlib import Path
import bpy
from moground.blender.mocap_import import import_take
jobs = json.loads(sys.argv[1])
for src, dst in jobs:
    import_take(Path(src))
    bpy.ops.wm.save_as_mainfile(filepath=dst)
"""


def bvh_dir() -> Path | None:
    root = data_root(required=False)
    d = root / "bandai" / "raw_bvh" if root else None
    return d if d and d.is_dir() else None


def make_blends(folder: Path, n: int) -> list[Path]:
    """``n`` .blend files, each a Bandai BVH imported with Blender's importer.

    Built in a subprocess so the test process's own bpy state stays clean."""
    src = bvh_dir()
    assert src is not None
    folder.mkdir(parents=True, exist_ok=True)
    jobs, out = [], []
    for i in range(n):
        take = BANDAI_TAKES[i % len(BANDAI_TAKES)]
        dst = folder / f"take_{i:02d}_{take.split('_')[1]}.blend"
        jobs.append((str(src / f"{take}.bvh"), str(dst)))
        out.append(dst)
    subprocess.run([sys.executable, "-c", MAKE_BLENDS, json.dumps(jobs)], check=True,
                   capture_output=True, cwd=REPO_DIR, timeout=300)
    return out


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


INSPECT = r"""
import sys, json
import bpy
out = {}
for f in json.loads(sys.argv[1]):
    try:
        bpy.ops.wm.open_mainfile(filepath=f, load_ui=False)
    except RuntimeError as exc:
        out[f] = {"error": str(exc)}
        continue
    arms = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    rec = {"armatures": [o.name for o in arms], "stamp": None, "strips": 0, "action": None}
    for o in arms:
        if o.get("moground_batch"):
            rec["stamp"] = json.loads(o["moground_batch"])
        ad = o.animation_data
        if ad:
            rec["action"] = ad.action.name if ad.action else None
            rec["strips"] += sum(len(t.strips) for t in ad.nla_tracks)
    out[f] = rec
print("INSPECT " + json.dumps(out))
"""


def inspect_blends(paths: list[Path]) -> dict[str, dict]:
    """Open each file with bpy (in a subprocess) and say what MoGround left in it."""
    proc = subprocess.run([sys.executable, "-c", INSPECT, json.dumps([str(p) for p in paths])],
                          capture_output=True, text=True, cwd=REPO_DIR, timeout=300)
    line = [l for l in proc.stdout.splitlines() if l.startswith("INSPECT ")]
    assert line, proc.stderr[-2000:]
    return json.loads(line[-1][len("INSPECT "):])
