"""Arguments that say how to read a motion file, shared by every command that takes
one (``ground`` today; ``index`` when it exists), and the one call that reads it."""

from __future__ import annotations

import argparse
import sys

from ..io import FORMATS


def add_motion_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("motion file")
    g.add_argument("--asf", help="ASF skeleton for an AMC motion file")
    g.add_argument("--units", choices=["m", "cm", "mm", "in", "ft"], help="length unit of a BVH/ASF file (guessed if omitted)")
    g.add_argument("--format", dest="motion_format", choices=FORMATS, default=None,
                   help="what a .npz/.npy holds: moground (positions), smpl (AMASS/SMPL-X "
                        "parameters), h3d-joints (HumanML3D [T,22,3]), motionx (Motion-X [T,322]); "
                        "guessed from the content if omitted")
    g.add_argument("--fps", type=float, default=None,
                   help="frame rate of an AMC or .npy file, or overriding an SMPL file's")
    g.add_argument("--body-model", default=None, metavar="DIR",
                   help="folder with the SMPL/SMPL-H/SMPL-X body models (smpl/, smplh/, smplx/); "
                        "default $MOGROUND_BODY_MODELS")
    g.add_argument("--armature", default=None, help="armature to read when an FBX holds several")


def load_motion_from_args(args: argparse.Namespace, path: str | None = None, *, echo: bool = True):
    """The clip named by ``--motion`` (or ``path``); its reader's warnings (in
    ``clip.meta["warnings"]``) go to stderr unless ``echo`` is False."""
    from ..io import load_motion

    if args.fps is not None and args.fps <= 0:
        from ..wire.errors import BadRequest

        raise BadRequest(f"--fps must be positive, got {args.fps}")
    clip = load_motion(
        path or args.motion, asf=args.asf, units=args.units, fps=args.fps,
        fmt=args.motion_format, body_model=args.body_model, armature=args.armature,
        device=getattr(args, "device", "cpu") or "cpu",
    )
    for w in clip.meta.get("warnings", []) if echo else []:
        print(f"moground: warning: {w}", file=sys.stderr)
    return clip
