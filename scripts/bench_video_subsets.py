"""Grounding realchains as a video capture would see it: each take reduced to the
BlazePose-33 and COCO-17 keypoints (pelvis, spine, collars and, for COCO, the feet
then estimated by the rig presets), against the full optical skeleton.

    PYTHONPATH=backend python scripts/bench_video_subsets.py [--method zomg] [--takes 86_05 ...]

Prints one row per skeleton: mean IoU over the sub-actions (prompt = the take's
labels in order, verbatim) and per take. Seconds-based IoU against the human marks.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from moground.engine import GroundingEngine
from moground.grounding.metrics import iou
from moground.io.shards import open_shard, skeleton
from moground.motion import MotionClip
from moground.paths import data_root
from moground.rigmap import map_to_canonical
from moground.samples.keypoints import keypoints_from_canonical
from moground.skeleton import CANONICAL_JOINTS, CANONICAL_PARENTS
from moground.video_pose import LAYOUTS


def _clips(rec: dict, names: list[str], parents: list[int], positions: np.ndarray) -> dict[str, MotionClip]:
    full = MotionClip(positions, names, parents, fps=float(rec["fps"]))
    canon = map_to_canonical(full).positions
    out = {"optical (23 joints)": full,
           "canonical 22": MotionClip(canon, list(CANONICAL_JOINTS), list(CANONICAL_PARENTS), fps=full.fps)}
    for layout in ("blazepose33", "coco17"):
        kp_names, kp_parents = LAYOUTS[layout]
        out[layout] = MotionClip(keypoints_from_canonical(canon, layout), list(kp_names), list(kp_parents), fps=full.fps)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", default="zomg")
    ap.add_argument("--takes", nargs="*", help="take ids (default: all five)")
    args = ap.parse_args()
    folder = data_root() / "realchains"
    index = json.loads((folder / "index.json").read_text())
    names, parents = skeleton(str(folder))
    shard = open_shard(str(folder / "positions.npz"))
    engine = GroundingEngine()
    rows: dict[str, dict[str, list[float]]] = {}
    t0 = time.perf_counter()
    records = [r for r in index["trials"] if not args.takes or r["id"] in args.takes]
    for rec in records:
        labels = [s["label"] for s in rec["segments"]]
        truth = [(s["start_s"], s["end_s"]) for s in rec["segments"]]
        for skel, clip in _clips(rec, names, parents, shard[rec["id"]].astype(np.float32)).items():
            result = engine.ground(clip, actions=labels, method=args.method)
            ious = [iou((s.start_s, s.end_s), t) for s, t in zip(result.segments, truth)]
            rows.setdefault(skel, {})[rec["id"]] = ious
    takes = [r["id"] for r in records]
    print(f"realchains, method={args.method}, prompt = labels in order ({time.perf_counter() - t0:.0f} s)")
    print(f"{'skeleton':<22} {'mIoU':>9} " + " ".join(f"{t:>6}" for t in takes))
    for skel, per_take in rows.items():
        all_ious = [v for t in takes for v in per_take[t]]
        print(f"{skel:<22} {np.mean(all_ious):>9.3f} " + " ".join(f"{np.mean(per_take[t]):>6.3f}" for t in takes))


if __name__ == "__main__":
    main()
