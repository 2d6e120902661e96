"""``moground demo``: the quick start. Grounds a real CMU take shipped in the package
(its human labels as the ordered sub-actions), prints predicted against human
boundaries with IoU per sub-action and writes a timeline picture. ``--procedural``
runs the old synthetic walk/jump/wave clip instead (kept for tests)."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from ..wire.methods import DEFAULT_METHOD
from .ground import format_table, format_truth


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="ground a real CMU take shipped with MoGround and compare with its human boundaries")
    p.add_argument("--plot", default="demo_timeline.png", help="timeline PNG to write (default demo_timeline.png; '' for none)")
    p.add_argument("--method", default=DEFAULT_METHOD)
    p.add_argument("--json", action="store_true")
    p.add_argument("--procedural", action="store_true", help="the synthetic walk/jump/wave clip instead of the real take")
    p.add_argument("--out", help="with --procedural: also keep the sample BVH at this path")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.procedural:
        return _run_procedural(args)
    from ..engine import GroundingEngine
    from ..plots.truth import truth_ious
    from ..samples.real_take import load_demo_take

    if args.plot:
        from .ground import check_plot_path

        check_plot_path(args.plot)
    take = load_demo_take()
    engine = GroundingEngine()
    result = engine.ground(take.clip, actions=take.actions, method=args.method, trace=bool(args.plot))
    ious = truth_ious(result.segments, take.truth)
    if args.plot:
        from ..plots.timeline import plot_timeline

        plot_timeline(result, args.plot, truth=take.truth,
                      title=f"CMU take {take.take} (real mocap) — {args.method}, human labels as the sub-actions")
    if args.json:
        print(json.dumps({**result.to_dict(), "take": take.take, "truth": take.truth, "iou": ious,
                          "plot": args.plot or None}, indent=2))
        return 0
    clip = take.clip
    print(f"CMU take {take.take}: {clip.duration_s:.1f} s, {clip.num_frames} frames at {clip.fps:g} fps, "
          f"{len(take.actions)} sub-actions (the human labels, in order)")
    print(format_table(result, f"cmu_{take.take}.npz"))
    print(format_truth(result, take.truth, ious))
    if args.plot:
        print(f"timeline: {Path(args.plot).resolve()}")
    print(f"data: {take.attribution}")
    for w in result.warnings:
        print(f"warning: {w}")
    return 0


def _run_procedural(args: argparse.Namespace) -> int:
    from ..engine import GroundingEngine
    from ..grounding.metrics import iou
    from ..io import load_motion
    from ..samples.procedural import DEMO_PROMPT, to_bvh, walk_jump_wave

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
