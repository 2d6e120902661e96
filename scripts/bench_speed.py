"""Speed of grounding on this machine: one 60 s clip, 4 sub-actions.

Prints encoder forward, ZOMG (its fused start and the optimisation), change-point and sliding-window times (ms,
median of --reps runs) and the ratios the design asks for:
ZOMG optimisation / encoder forward (goal ≤ 2) and window / ZOMG end-to-end (goal ≥ 20).

    python scripts/bench_speed.py [--seconds 60] [--k 4] [--reps 3] [--encoder builtin]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from moground.encoders import load_encoder
from moground.grounding.methods import run_method
from moground.grounding.masks import ZomgConfig
from moground.preprocess import canonicalize, resample
from moground.samples.procedural import joint_positions_cm, walk_jump_wave

PHRASES = ["walk forward", "jump", "wave the right hand", "turn left"]


def clip_of(seconds: float, fps: float) -> torch.Tensor:
    """The procedural sample (10 s at 30 fps) tiled to ``seconds``, at the encoder's fps."""
    base = joint_positions_cm(walk_jump_wave()).astype(np.float32) * 0.01
    base = resample(base, 30.0, fps)
    reps = int(np.ceil(seconds * fps / len(base)))
    tiles = [base + np.array([0.0, 0.0, base[-1, 0, 2] * i], np.float32) for i in range(reps)]
    return torch.from_numpy(canonicalize(np.concatenate(tiles)[: int(seconds * fps)]))


def timed(fn, reps: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--encoder", default="builtin")
    ap.add_argument("--encoder-path", default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--tmr-random", action="store_true",
                    help="a TMR-shaped encoder with random weights (cost only; random unit phrase vectors)")
    ap.add_argument("--steps", type=int, default=None, help="ZOMG steps (default: the engine's)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.tmr_random:
        from moground.encoders.tmr.encoder import random_tmr

        enc, args.encoder = random_tmr(), "tmr (random weights)"
        text = torch.nn.functional.normalize(torch.randn(args.k, enc.dim), dim=-1)
    else:
        enc = load_encoder(args.encoder, args.encoder_path)
        text = enc.encode_text((PHRASES * 4)[: args.k])
    motion = clip_of(args.seconds, enc.fps)
    zcfg = ZomgConfig(**({"steps": args.steps} if args.steps else {}))
    min_len = int(0.5 * enc.fps)
    with torch.no_grad():
        enc_ms, feats = timed(lambda: enc.frame_features(motion), args.reps)
    opt_ms, out = timed(lambda: run_method("zomg", enc, motion, text, min_len, feats=feats, zomg=zcfg), args.reps)
    cp_ms, _ = timed(lambda: run_method("changepoint", enc, motion, text, min_len, feats=feats), args.reps)
    fused_ms, _ = timed(lambda: run_method("fused", enc, motion, text, min_len, feats=feats), args.reps)
    win_ms, _ = timed(lambda: run_method("window", enc, motion, text, min_len), max(1, args.reps // 2))
    zomg_total = enc_ms + opt_ms
    rows = [
        ("encoder forward (frame features)", enc_ms),
        ("ZOMG: fused start + optimisation + decode", opt_ms),
        ("  of which the fused start (text + motion change)", fused_ms),
        ("ZOMG end to end (encoder + optimisation)", zomg_total),
        ("change-point baseline (after encoder)", cp_ms),
        ("sliding-window baseline (end to end)", win_ms),
    ]
    print(f"{args.seconds:g} s clip ({motion.shape[0]} frames at {enc.fps:g} fps), K={args.k}, "
          f"encoder={args.encoder}, torch threads={torch.get_num_threads()}, ZOMG steps run={out.info.get('steps')}")
    print(f"{'stage':<44}{'ms':>10}")
    for name, ms in rows:
        print(f"{name:<44}{ms:>10.1f}")
    print(f"{'ZOMG optimisation / encoder forward':<44}{opt_ms / enc_ms:>10.2f}   (goal <= 2)")
    print(f"{'window / ZOMG end to end':<44}{win_ms / zomg_total:>10.1f}   (goal >= 20)")


if __name__ == "__main__":
    main()
