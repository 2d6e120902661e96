"""Speed of grounding on this machine: a 60 s clip with 4 sub-actions and a 10-minute take
with 30, in one run so the ratios compare like with like.

Per case (ms, median of --reps runs, after the encoder unless said): the encoder forward
(frame features), the fused start alone (evidence curves, novelty, span table, cut DP),
the ``fused`` and ``zomg`` methods (start + refinement + scores), the default method end
to end, and the sliding-window baseline (60 s case only: it takes minutes on the long
take). Ratios: default / fused (goal <= 1.3) and fused start / encoder (goal <= 2).

    python scripts/bench_speed.py [--reps 3] [--encoder builtin] [--cases 60:4 600:30]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from moground.encoders import load_encoder
from moground.grounding.methods import run_method
from moground.grounding.fused import fused_method
from moground.wire.methods import DEFAULT_METHOD
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


def one_case(enc, seconds: float, k: int, reps: int, tmr_random: bool, window: bool) -> None:
    if tmr_random:
        text = torch.nn.functional.normalize(torch.randn(k, enc.dim), dim=-1)
    else:
        text = enc.encode_text((PHRASES * 8)[:k])
    motion = clip_of(seconds, enc.fps)
    min_len = int(0.5 * enc.fps)
    with torch.no_grad():
        enc_ms, feats = timed(lambda: enc.frame_features(motion), reps)
    start_ms, _ = timed(lambda: fused_method(enc, feats, text, min_len), reps)
    fused_ms, fused_out = timed(lambda: run_method("fused", enc, motion, text, min_len, feats=feats), reps)
    zomg_ms, zomg_out = timed(lambda: run_method("zomg", enc, motion, text, min_len, feats=feats), reps)
    default_ms = {"fused": fused_ms, "zomg": zomg_ms}.get(DEFAULT_METHOD)
    rows = [
        ("encoder forward (frame features)", enc_ms),
        ("fused start (evidence, novelty, spans, cut DP)", start_ms),
        ("fused method (start + scores)", fused_ms),
        ("zomg method (fused + sub-cell refinement)", zomg_ms),
        (f"default ({DEFAULT_METHOD}) end to end, with encoder", enc_ms + default_ms),
    ]
    if window:
        win_ms, _ = timed(lambda: run_method("window", enc, motion, text, min_len), max(1, reps // 2))
        rows.append(("sliding-window baseline (end to end)", win_ms))
    moved = sum(a != b for a, b in zip(zomg_out.segments, fused_out.segments))
    print(f"\n{seconds:g} s clip ({motion.shape[0]} frames at {enc.fps:g} fps), K={k}, "
          f"torch threads={torch.get_num_threads()}; zomg moved {moved}/{k} segments")
    print(f"{'stage':<52}{'ms':>10}")
    for name, ms in rows:
        print(f"{name:<52}{ms:>10.1f}")
    print(f"{'default / fused':<52}{default_ms / fused_ms:>10.2f}   (goal <= 1.3)")
    print(f"{'zomg / fused':<52}{zomg_ms / fused_ms:>10.2f}")
    print(f"{'fused start / encoder forward':<52}{start_ms / enc_ms:>10.2f}   (goal <= 2)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="+", default=["60:4", "600:30"], metavar="SECONDS:K")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--encoder", default="builtin")
    ap.add_argument("--encoder-path", default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--tmr-random", action="store_true",
                    help="a TMR-shaped encoder with random weights (cost only; random unit phrase vectors)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.tmr_random:
        from moground.encoders.tmr.encoder import random_tmr

        enc, args.encoder = random_tmr(), "tmr (random weights)"
    else:
        enc = load_encoder(args.encoder, args.encoder_path)
    print(f"encoder={args.encoder}; default method {DEFAULT_METHOD}")
    for case in args.cases:
        seconds, k = case.split(":")
        one_case(enc, float(seconds), int(k), args.reps, args.tmr_random, window=float(seconds) <= 120)


if __name__ == "__main__":
    main()
