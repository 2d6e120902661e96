"""``moground demo``: the quick-start. Writes the project's own procedural clip (walk,
then jump, then wave) as a BVH and grounds it with the built-in defaults."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from ..samples.procedural import DEMO_PROMPT, to_bvh, walk_jump_wave
from .ground import format_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="ground the built-in procedural sample (walk, jump, wave)")
    p.add_argument("--out", help="also keep the sample BVH at this path")
    p.add_argument("--method", default="zomg")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine import GroundingEngine
    from ..grounding.metrics import iou
    from ..io import load_motion

    clip_def = walk_jump_wave()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.out) if args.out else Path(tmp) / "moground_sample_walk_jump_wave.bvh"
        path.write_text(to_bvh(clip_def))
        clip = load_motion(str(path))
    engine = GroundingEngine()
    result = engine.ground(clip, prompt=DEMO_PROMPT, method=args.method)
    truth = {label: (s, e) for label, s, e in clip_def.segments}
    ious = [iou((seg.start_frame, seg.end_frame), truth[lab]) for seg, lab in zip(result.segments, truth)]
    if args.json:
        print(json.dumps({**result.to_dict(), "truth": truth, "iou": ious}, indent=2))
        return 0
    print(f"prompt: {DEMO_PROMPT!r}  (procedural sample, 30 fps, {clip.num_frames} frames)")
    print(format_table(result, path.name))
    print("ground truth: " + ", ".join(f"{lab} {s}-{e}" for lab, s, e in clip_def.segments))
    print("IoU with the truth: " + ", ".join(f"{v:.2f}" for v in ious))
    for w in result.warnings:
        print(f"warning: {w}")
    return 0
