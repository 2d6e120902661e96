"""argparse ``type=`` functions for the numbers and names every subcommand shares: a
bad value is a usage error (exit 2, one line) before anything loads, never a traceback
from deep inside torch or the server loop."""

from __future__ import annotations

import argparse
import math
import re
from typing import Callable

SEED_MAX = 2**32 - 1  # numpy's seed range; torch accepts it too
_DEVICE_RE = re.compile(r"^(cpu|cuda(:\d{1,3})?|mps)$")


def seed_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not an integer") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"the seed must be an integer in [0, {SEED_MAX}], got {text[:40]}")
    return value


def device_arg(text: str) -> str:
    """cpu, cuda, cuda:N or mps, and only a device this PyTorch build can use."""
    if not _DEVICE_RE.match(text):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a device: use cpu, cuda, cuda:N or mps")
    if text == "cpu":
        return text  # no torch import for the default
    import torch

    if text.startswith("cuda"):
        if not torch.cuda.is_available():
            raise argparse.ArgumentTypeError(
                f"{text}: this PyTorch build has no usable CUDA device ({torch.__version__}); use --device cpu")
        index = int(text.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise argparse.ArgumentTypeError(f"{text}: only {torch.cuda.device_count()} CUDA device(s) here")
    elif not torch.backends.mps.is_available():
        raise argparse.ArgumentTypeError("mps: this PyTorch build or machine has no MPS device; use --device cpu")
    return text


def number_arg(kind: type, low: float, *, low_open: bool = False, high: float = math.inf) -> Callable[[str], float]:
    """A finite int or float in [low, high] (``low_open``: low itself is refused)."""
    what = f"{'an integer' if kind is int else 'a number'} {'>' if low_open else '>='} {low:g}"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not {what}") from None
        if not (math.isfinite(value) and value <= high and (value > low if low_open else value >= low)):
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not {what}" + (f" and <= {high:g}" if high < math.inf else ""))
        return value

    parse.__name__ = kind.__name__
    return parse


FPS_ARG = number_arg(float, 0, low_open=True, high=10_000.0)  # the wire's motion.fps range
