"""Re-save one realchains take (CMU subject 86, free for all uses) into the package as
the demo clip of ``moground demo``: float16 joint positions in MoGround's npz format
plus a JSON file with the human boundaries and the attribution.

    python scripts/make_demo_take.py                 # 86_05 from ../shared/data/realchains
    python scripts/make_demo_take.py --take 86_11 --data /path/to/shared/data

Writes backend/moground/samples/cmu_<take>.npz and .json (the demo reads
samples/demo_take.json, which names the take).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "backend"))

from moground.paths import data_root  # noqa: E402

ATTRIBUTION = (
    "Motion: CMU Graphics Lab Motion Capture Database, subject 86, take {take} "
    "(mocap.cs.cmu.edu; created with funding from NSF EIA-0196217; free for all uses), "
    "via the cgspeed figure. Boundaries and labels: Krüger et al., Efficient Unsupervised "
    "Temporal Segmentation of Motion Data, IEEE Trans. Multimedia 2017 "
    "(github JacobusTheSecond/clustering, data_cmu/groundtruth86.json)."
)
MAX_BYTES = 400_000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--take", default="86_05", help="realchains take id (default 86_05: 10 sub-actions, 7 distinct labels)")
    ap.add_argument("--data", help="shared data folder (default: $MOGROUND_DATA or ../shared/data)")
    ap.add_argument("--out", default=str(REPO / "backend" / "moground" / "samples"))
    args = ap.parse_args()

    root = data_root(args.data) / "realchains"
    index = json.loads((root / "index.json").read_text())
    skeleton = json.loads((root / "skeleton.json").read_text())
    rec = next((r for r in index["trials"] if r["id"] == args.take), None)
    if rec is None:
        print(f"no take {args.take} in {root}/index.json", file=sys.stderr)
        return 2
    with np.load(root / "positions.npz") as z:
        positions = z[args.take].astype(np.float16)  # stored as float16 already
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"cmu_{args.take}"
    np.savez_compressed(
        out / f"{stem}.npz",
        positions=positions,
        joint_names=np.array(skeleton["joints"], dtype=str),
        parents=np.array(skeleton["parents"], dtype=np.int64),
        fps=np.float64(rec["fps"]),
        frame_start=np.float64(0.0),
        units_to_m=np.float64(1.0),
        up_axis=np.array("Y"),
    )
    meta = {
        "take": args.take,
        "file": f"{stem}.npz",
        "fps": rec["fps"],
        "frames": int(positions.shape[0]),
        "duration_s": rec["duration_s"],
        "attribution": ATTRIBUTION.format(take=args.take),
        "note": "seconds from stored frame 0 (frame i at i / fps); end_transition_s is the "
                "human transition window around each boundary",
        "segments": [
            {"label": s["label"], "start_s": s["start_s"], "end_s": s["end_s"],
             **({"end_transition_s": s["end_transition_s"]} if "end_transition_s" in s else {})}
            for s in rec["segments"]
        ],
    }
    (out / f"{stem}.json").write_text(json.dumps(meta, indent=1) + "\n")
    (out / "demo_take.json").write_text(json.dumps({"take": args.take, "file": f"{stem}.json"}) + "\n")
    size = (out / f"{stem}.npz").stat().st_size + (out / f"{stem}.json").stat().st_size
    print(f"wrote {out / stem}.npz/.json: {positions.shape[0]} frames, {len(meta['segments'])} segments, {size} bytes")
    if size >= MAX_BYTES:
        print(f"too large for the package (limit {MAX_BYTES} bytes)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
