"""Print issue 22's goals table (real-take families, default method) from `moground bench --json` output.

    moground bench --sets realchains kinectchains --methods fused changepoint uniform --json B.json
    python scripts/goals_table.py B.json [--method fused]

Per family: full-take mIoU with labels / open phrases (kinectchains: labelled frames
only, the bench's "excl." column; realchains: at the annotated boundaries), the
change-point split and equal parts, the deranged-phrase control, labelled frame
accuracy, and single-query R@1@0.5 (kinectchains: labelled frames), each with its 95 %
CI by take (realchains) or subject (kinectchains), for ``fused`` (the default method).
"""

from __future__ import annotations

import argparse
import json


def fmt(ci: list[float]) -> str:
    return f"{ci[0]:.3f} [{ci[1]:.2f},{ci[2]:.2f}]"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bench_json")
    ap.add_argument("--method", default="fused")
    args = ap.parse_args()
    sets = json.loads(open(args.bench_json).read())["sets"]
    for family in ("realchains", "kinectchains"):
        miou = "miou_excl" if family == "kinectchains" else "miou"
        r1 = "r1@0.5_excl_ci" if family == "kinectchains" else "r1@0.5_ci"
        control = "control_miou_excl" if family == "kinectchains" else "control_miou"
        rows = []
        for vocab in ("verbatim", "open"):
            take = sets.get(f"{family}/take/{vocab}")
            single = sets.get(f"{family}/single/{vocab}")
            if not take:
                continue
            m = take["methods"]
            d = m[args.method]
            rows.append(f"| {vocab} | {fmt(d[miou])} | {fmt(m['changepoint'][miou])} | {fmt(m['uniform'][miou])} | "
                        f"{d[control][0]:.3f} (gap {d[miou][0] - d[control][0]:.3f}) | {fmt(d['frame_acc'])} | "
                        + (fmt(single["methods"][args.method][r1]) if single else "-") + " |")
        if rows:
            print(f"\n{family} ({args.method}; {'labelled frames' if family == 'kinectchains' else 'annotated boundaries'})")
            print("| phrases | full takes mIoU | change points | equal parts | deranged control | frame acc | single R@1@0.5 |")
            print("|---|---|---|---|---|---|---|")
            print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
