"""``moground ground``: ground a prompt in one mocap file and print the segments."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..wire.methods import DEFAULT_METHOD, METHODS
from ..decompose.cli_args import add_llm_args, llm_config_from_args
from ..wire.errors import BadRequest, UnreadableFile
from ..grounding.result import GroundingResult
from ..wire.options import GroundOptions
from ._common import add_encoder_args, encoder_options, option_arg
from ._motion import add_motion_args, load_motion_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ground", help="ground a prompt in a mocap file (BVH, ASF/AMC, FBX, AMASS/SMPL npz, HumanML3D npy)")
    p.add_argument("--motion", required=True,
                   help="BVH, AMC (with --asf), FBX (needs bpy), MoGround or AMASS/SMPL(-H/-X) .npz "
                        "(with --body-model), HumanML3D joints or Motion-X .npy")
    add_motion_args(p)
    p.add_argument("--rig-map", help="JSON file mapping canonical joint names to the file's joint names")
    p.add_argument("--prompt", help="what happens, in order: 'walk in, pick up the box, sit down'")
    p.add_argument("--actions", nargs="+", metavar="PHRASE", help="ordered sub-actions; skips decomposition")
    p.add_argument("--method", choices=METHODS, default=DEFAULT_METHOD)
    p.add_argument("--min-segment-s", type=option_arg("min_segment_s"), default=None,
                   help="shortest allowed segment (s), 0.05..600 (default 0.5)")
    p.add_argument("--steps", type=option_arg("steps"), default=None, help="ZOMG optimisation steps, 1..5000")
    p.add_argument("--expand", action="store_true", help="embed phrases with their action-lexicon descriptions")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plot", metavar="PNG", help="also draw a timeline picture of the run to this PNG file")
    p.add_argument("--truth", metavar="JSON", help="human boundaries [{label, start_s, end_s}]: "
                   "printed IoU per sub-action, and drawn with --plot")
    add_encoder_args(p)
    add_llm_args(p)
    p.set_defaults(func=run)


def load_rig_map(path: str | None) -> dict | None:
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise UnreadableFile(f"cannot read rig map {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest(f"rig map {path} must be a JSON object {{canonical_joint: bone_name}}")
    return data


def run(args: argparse.Namespace) -> int:
    if not args.prompt and not args.actions:
        raise BadRequest("give --prompt TEXT or --actions PHRASE ...")
    if args.prompt and not args.actions:
        from ..wire.prompt.typed import split_typed

        split_typed(args.prompt)  # empty, over-long or action-less: fail before loading anything
    clip = load_motion_from_args(args, echo=False)  # its warnings join the result's
    truth = None
    if args.truth:  # checked before the encoder loads: a bad file fails fast
        from ..plots.truth import load_truth

        truth = load_truth(args.truth, duration_s=clip.duration_s)
    if args.plot:
        check_plot_path(args.plot)
    from ..engine import GroundingEngine  # torch: only once the file and its budget are fine
    engine = GroundingEngine(
        encoder=args.encoder,
        encoder_path=args.encoder_path,
        device=args.device,
        seed=args.seed,
        llm=llm_config_from_args(args),
        **encoder_options(args),
    )
    options = GroundOptions.from_mapping({"min_segment_s": args.min_segment_s, "steps": args.steps,
                                          "expand_phrases": args.expand})
    result = engine.ground(
        clip, prompt=args.prompt, actions=args.actions, method=args.method,
        rig_override=load_rig_map(args.rig_map), options=options, trace=bool(args.plot),
    )
    result.warnings[:0] = [w for w in clip.meta.get("warnings", []) if w not in result.warnings]
    ious = None
    if truth is not None:
        from ..plots.truth import truth_ious

        ious = truth_ious(result.segments, truth)
    if args.json:
        payload = result.to_dict()
        if truth is not None:
            payload["truth"], payload["truth_iou"] = truth, ious
        print(json.dumps(payload, indent=2))
    else:
        print(format_table(result, args.motion))
        if truth is not None:
            print(format_truth(result, truth, ious))
    if args.plot:
        from ..plots.timeline import plot_timeline

        plot_timeline(result, args.plot, truth=truth, title=f"{Path(args.motion).name}: {' → '.join(result.sub_actions)}")
        print(f"timeline: {args.plot}", file=sys.stderr)
    for w in result.warnings:
        print(f"moground: warning: {w}", file=sys.stderr)
    return 0


def check_plot_path(path: str) -> None:
    """Fail before any work when the picture could not be written."""
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise BadRequest(f"cannot write the plot {path}: folder {folder} does not exist")
    if Path(path).suffix.lower() != ".png":
        raise BadRequest(f"the plot is a PNG: give a file name ending in .png, not {path!r}")


def format_truth(result: GroundingResult, truth: list[dict], ious: list[float] | None) -> str:
    """Predicted against human boundaries, in seconds, with IoU per sub-action."""
    if ious is None:
        return (f"truth: {len(truth)} segments, prediction {len(result.segments)}: no one-to-one IoU; "
                "human boundaries at " + ", ".join(f"{t['end_s']:.2f}" for t in truth[:-1]) + " s")
    rows = [f"{'#':>2}  {'sub-action':<24} {'predicted s':>15} {'human s':>15} {'IoU':>5}"]
    for s, t, v in zip(result.segments, truth, ious):
        rows.append(f"{s.index + 1:>2}  {s.label[:24]:<24} {s.start_s:>7.2f}-{s.end_s:<7.2f} "
                    f"{t['start_s']:>7.2f}-{t['end_s']:<7.2f} {v:>5.2f}")
    rows.append(f"mean IoU {sum(ious) / len(ious):.3f} over {len(ious)} sub-actions")
    return "\n".join(rows)


def format_table(result: GroundingResult, source: str = "") -> str:
    """Readable table of segments, in the source's frame numbers."""
    head = f"{source}  method={result.method}  encoder={result.encoder}  fps={result.fps:g}"
    rows = [head, f"{'#':>2}  {'sub-action':<32} {'frames':>17} {'seconds':>15} {'score':>6}"]
    for s in result.segments:
        rows.append(
            f"{s.index + 1:>2}  {s.label[:32]:<32} {s.start_frame:>8.1f}-{s.end_frame:<8.1f} "
            f"{s.start_s:>7.2f}-{s.end_s:<7.2f} {s.score:>6.3f}{'  ⚠ low confidence' if s.low_confidence else ''}"
        )
    total = result.timings_ms.get("total_ms")
    if total is not None:
        rows.append(f"({total:.0f} ms)")
    return "\n".join(rows)
