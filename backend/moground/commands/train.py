"""``moground train``: train the built-in encoder on shared/data and write its weights."""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from ..paths import BUILTIN_WEIGHTS
from ._argtypes import seed_arg


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the built-in motion-text encoder",
                       description="Train the built-in encoder (CPU or CUDA) and save weights + model card.")
    p.add_argument("--data", default=None, help="shared data folder (default: $MOGROUND_DATA or ../shared/data)")
    p.add_argument("--cache", default=None, help="feature/text cache folder (default ~/.cache/moground)")
    p.add_argument("--out", default=str(BUILTIN_WEIGHTS), help="weights file to write")
    p.add_argument("--minutes", type=float, default=55.0, help="training time budget")
    p.add_argument("--steps", type=int, default=None, help="fixed number of steps (exactly reproducible)")
    p.add_argument("--seed", type=seed_arg, default=0)
    p.add_argument("--cmu-only", action="store_true", help="CMU motion + its captions + describer only (no non-commercial data)")
    p.add_argument("--text-tune-layers", type=int, default=0, help="tune the top N MiniLM layers too (slower)")
    p.add_argument("--sequences", type=int, default=16, help="spliced sequences per batch")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--dropout", type=float, default=None,
                   help="dropout in the motion tower (architecture default 0.1; 0 trains ~1.4x faster on CPU)")
    p.add_argument("--segment-seconds", type=float, default=4.0, help="longest item inside a spliced sequence")
    p.add_argument("--eval-every", type=int, default=150, help="steps between validation runs")
    p.add_argument("--patience", type=int, default=8, help="validations without improvement before stopping")
    p.add_argument("--extent-weight", type=float, default=0.0,
                   help="weight of the extent term: true spans against their shifted/extended/truncated "
                        "variants (issue 11); 0 = off")
    p.add_argument("--pool-mean-mix", action="store_true",
                   help="pooling blends attention with the masked mean (learned share)")
    p.add_argument("--device", default=None, help="cpu, cuda ... (default: cuda when present)")
    p.add_argument("--test-eval", action="store_true",
                   help="after training, measure test-split retrieval into the model card (opt-in: the test split "
                        "is for reporting once, never for choosing settings)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def _command_line() -> str:
    """The command as typed, for the model card (argv after the 'train' word)."""
    argv = sys.argv[1:]
    rest = argv[argv.index("train") + 1 :] if "train" in argv else []
    return " ".join(["moground", "train", *(shlex.quote(a) for a in rest)])


def run(args: argparse.Namespace) -> int:
    from ..training.train import TrainConfig, train

    cfg = TrainConfig(
        data=args.data, cache=args.cache, out=args.out, minutes=args.minutes, max_steps=args.steps, seed=args.seed,
        cmu_only=args.cmu_only, text_tune_layers=args.text_tune_layers, device=args.device, sequences=args.sequences,
        lr=args.lr, eval_every=args.eval_every, segment_frames=int(round(args.segment_seconds * 20)),
        extent_weight=args.extent_weight,
        config={**({} if args.dropout is None else {"dropout": args.dropout}),
                **({"pool_mean_mix": True} if args.pool_mean_mix else {})}, patience=args.patience, test_eval=args.test_eval,
        progress=not args.no_progress, command=_command_line(),
    )
    path, result = train(cfg)
    print(json.dumps({"weights": str(path), **result}, indent=2))
    return 0
