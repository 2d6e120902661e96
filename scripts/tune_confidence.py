"""Choose the ``low_confidence`` score threshold on development data and write the log.

    moground bench --split val --sets spliced --json bench_val.json
    python scripts/tune_confidence.py bench_val.json bench.json   → docs/tuning/confidence.md

Development data: the realchains takes (from any bench JSON) and the val split's
spliced sequences (test-split spliced cases are skipped), ZOMG's segments with the
real phrases (controls excluded). The threshold maximises Youden's J
(true-positive rate − false-positive rate) for "IoU < 0.5" among the segments; the
test split is never read here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))

from moground.wire.methods import DEFAULT_METHOD  # noqa: E402
from moground.bench.stats import auroc  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bench_json", nargs="+")
    ap.add_argument("--method", default=DEFAULT_METHOD)
    ap.add_argument("--out", default=str(ROOT / "docs" / "tuning" / "confidence.md"))
    args = ap.parse_args()
    rows = []
    realchains_from = None  # every bench run holds realchains: count them from one file only
    for path in args.bench_json:
        payload = json.loads(Path(path).read_text())
        if realchains_from is None and any(c["set"] == "realchains" for c in payload["cases"]):
            realchains_from = path
        for c in payload["cases"]:
            # development data only: realchains (once) and spliced sets of the val split
            if c["set"] == "realchains" and path != realchains_from:
                continue
            dev = c["set"] == "realchains" or payload.get("split") == "val"
            if dev and c["method"] == args.method and not c["control"] and c["kind"] != "single":
                rows += [(c["set"], s, v) for s, v in zip(c["scores"], c["ious"])]
    sets = sorted({r[0] for r in rows})
    scores = np.array([r[1] for r in rows])
    good = np.array([r[2] >= 0.5 for r in rows])
    candidates = np.unique(np.round(scores, 3))
    j = [((scores < t) & ~good).sum() / max(1, (~good).sum()) - ((scores < t) & good).sum() / max(1, good.sum()) for t in candidates]
    best = float(candidates[int(np.argmax(j))])
    lines = [
        "# `low_confidence` threshold", "",
        f"Command: `python scripts/tune_confidence.py {' '.join(Path(p).name for p in args.bench_json)}` "
        f"(bench JSONs from `moground bench --split val --json ...`). Method: {args.method}, real phrases, "
        f"full takes and spliced sequences.", "",
        "| set | segments | IoU ≥ 0.5 | AUROC of score | flagged at threshold | IoU ≥ 0.5 among flagged | among kept |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in [*sets, "all"]:
        mask = np.ones(len(rows), bool) if name == "all" else np.array([r[0] == name for r in rows])
        s, g = scores[mask], good[mask]
        flagged = s < best
        lines.append(f"| {name} | {mask.sum()} | {g.mean():.2f} | {auroc(s, g):.2f} | {flagged.mean():.2f} | "
                     f"{g[flagged].mean() if flagged.any() else float('nan'):.2f} | {g[~flagged].mean() if (~flagged).any() else float('nan'):.2f} |")
    lines += ["", f"Chosen threshold (max Youden J over all rows): **{best:.3f}** → `LOW_CONFIDENCE_SCORE` in "
              "`backend/moground/grounding/confidence.py`."]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
