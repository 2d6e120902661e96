"""Cost of masked pooling per encoder: the step ZOMG repeats at every iteration.

Times ``frame_features`` once and ``pool`` forward + backward (gradient to the mask
logits) for one clip of ``--seconds`` at the encoder's fps with ``--k`` soft masks, for
the builtin encoder and a TMR-shaped encoder (random weights: same layers and maths as a
real checkpoint, so the same cost). Usage::

    python scripts/bench_encoder_pool.py --seconds 60 --k 4 --reps 3
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from moground.encoders import load_encoder
from moground.encoders.tmr.encoder import random_tmr


def _motion(frames: int) -> torch.Tensor:
    """A smooth synthetic walk-in-place [T, 22, 3]: cost does not depend on content."""
    from moground.encoders.tmr.guoh3dfeats import REST_DIRECTIONS
    from moground.skeleton import CANONICAL_PARENTS

    t = torch.arange(frames, dtype=torch.float32)[:, None] / 20.0
    rest = torch.zeros(22, 3)
    for j in range(1, 22):
        rest[j] = rest[CANONICAL_PARENTS[j]] + torch.tensor(REST_DIRECTIONS[j], dtype=torch.float32) * 0.2
    wobble = 0.05 * torch.sin(2 * torch.pi * t + torch.arange(22)[None, :])
    pos = rest[None].repeat(frames, 1, 1) + torch.tensor([0.0, 1.0, 0.0])
    pos[..., 0] += wobble
    pos[..., 2] += 0.8 * t  # walking forward
    return pos


def bench(enc, motion: torch.Tensor, k: int, reps: int) -> dict[str, float]:
    t0 = time.perf_counter()
    with torch.no_grad():
        feats = enc.frame_features(motion)
    feat_ms = (time.perf_counter() - t0) * 1000
    text = torch.nn.functional.normalize(torch.randn(k, enc.dim), dim=-1)
    times = []
    for _ in range(reps + 1):  # first run warms up
        logits = torch.randn(k, feats.shape[0], requires_grad=True)
        t0 = time.perf_counter()
        loss = -(enc.pool(feats, torch.sigmoid(logits)) * text).sum()
        loss.backward()
        times.append((time.perf_counter() - t0) * 1000)
    return {"frame_features_ms": feat_ms, "pool_fwd_bwd_ms": statistics.median(times[1:])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    encoders = {"builtin": load_encoder("builtin"), "tmr (random weights)": random_tmr()}
    print(f"clip {args.seconds:g} s, K={args.k}, torch threads {torch.get_num_threads()}, median of {args.reps}")
    print(f"{'encoder':<22} {'frames':>6} {'frame_features ms':>18} {'pool fwd+bwd ms':>16}")
    for name, enc in encoders.items():
        motion = _motion(int(round(args.seconds * enc.fps)))
        r = bench(enc, motion, args.k, args.reps)
        print(f"{name:<22} {len(motion):>6} {r['frame_features_ms']:>18.1f} {r['pool_fwd_bwd_ms']:>16.1f}")


if __name__ == "__main__":
    main()
