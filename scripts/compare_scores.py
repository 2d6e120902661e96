"""Which segment score predicts a right segment (IoU ≥ 0.5)? Compare rules on
development data and write the table.

    python scripts/compare_scores.py          # ~3 min on the 2-core CPU
    → docs/tuning/segment_score.md

Development data: realchains (full takes and single queries, each take with its
leave-one-take-out settings) and the val split's spliced sequences. Every rule scores the
very same ZOMG segments; only the score differs:

* text: the segment's pooled motion against its own phrase, the prompt's others and the
  rest of the take (``scoring.segment_scores`` without masks);
* text × mask: that, times the mean ZOMG mask membership of its frames (an earlier
  shipped score, docs/tuning/segment_score.md);
* text × cut: the text score times the motion novelty at the weaker cut (shipped:
  ``grounding.methods.scored``; a single query's span has no forced cut, so for K=1 it
  is the text score);
* text × mask × cut: both factors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))

from moground.bench.runner import settings_for  # noqa: E402
from moground.bench.sets import load_loto_settings, realchain_cases, spliced_cases  # noqa: E402
from moground.bench.stats import auroc  # noqa: E402
from moground.encoders import load_encoder  # noqa: E402
from moground.grounding.metrics import iou  # noqa: E402
from moground.grounding.methods import run_method  # noqa: E402
from moground.grounding.scoring import segment_scores  # noqa: E402

MIN_LEN = 10
RULES = ("text", "text × mask", "text × cut", "text × mask × cut")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=20, help="val spliced sequences per source")
    ap.add_argument("--out", default=str(ROOT / "docs" / "tuning" / "segment_score.md"))
    args = ap.parse_args()
    enc = load_encoder("builtin", None, device="cpu")
    loto = load_loto_settings()
    cases = realchain_cases() + spliced_cases("val", count=args.count)
    rows: dict[str, dict[str, list]] = {}
    feats_of: dict[str, torch.Tensor] = {}
    for c in cases:
        if c.clip_id not in feats_of:
            with torch.no_grad():
                feats_of[c.clip_id] = enc.frame_features(torch.from_numpy(c.motion))
        feats = feats_of[c.clip_id]
        text = enc.encode_text(c.phrases)
        fused, zomg = settings_for(c, None, loto)
        out = run_method("zomg", enc, torch.from_numpy(c.motion), text, MIN_LEN, feats=feats, zomg=zomg, fused=fused)
        plain = out.info["text_scores"]  # the shipped text score: no masks
        masked = segment_scores(enc, feats, text, out.segments, out.info["masks"])
        cut = out.info["cut_sharpness"]
        key = f"{c.set_name} {'single queries' if c.kind == 'single' else 'full takes' if c.kind == 'take' else 'spliced'}"
        r = rows.setdefault(key, {"good": [], **{rule: [] for rule in RULES}})
        r["good"] += [iou(p, t) >= 0.5 for p, t in zip(out.segments, c.spans)]
        r["text"] += plain
        r["text × mask"] += masked
        r["text × cut"] += [p * s for p, s in zip(plain, cut)]
        r["text × mask × cut"] += [p * s for p, s in zip(masked, cut)]
    lines = ["# Segment score: which rule predicts IoU ≥ 0.5", "",
             f"Command: `python scripts/compare_scores.py` (default weights; realchains with leave-one-take-out "
             f"decoder settings, val spliced sequences, {args.count} per source; real phrases, verbatim and open). "
             "AUROC of each rule for \"this segment has IoU ≥ 0.5\"; the segments are the same in every column.", "",
             "| set | segments | IoU ≥ 0.5 | " + " | ".join(RULES) + " |", "|---|---|---|" + "---|" * len(RULES)]
    for key, r in rows.items():
        good = np.array(r["good"])
        lines.append(f"| {key} | {len(good)} | {good.mean():.2f} | "
                     + " | ".join(f"{auroc(r[rule], good):.2f}" for rule in RULES) + " |")
    text_out = "\n".join(lines)
    print(text_out)
    Path(args.out).write_text(text_out + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
