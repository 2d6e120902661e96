"""``moground bench --correction``: how much one fixed boundary helps the rest.

The artist's loop is: ground, find the worst boundary, drag it to where it belongs,
re-ground the rest. Here the worst boundary is the one farthest from its truth (the
distance to the realchains transition window or to the kinectchains gap between the two
actions, 0 inside); it is pinned at the truth's middle and the take is grounded again
under that pin (``grounding.constraints``: only the free stretches are decoded again).
Scored on the segments NOT adjacent to any pin — the ones the pin did not set by hand:
mean IoU (transition windows / unlabelled gaps excluded, as the bench scores them) and
frame accuracy, before and after. Then the loop twice more (3 pins), and a control: a
random boundary pinned at its truth, which shows how much of the gain is the choice of
boundary rather than any pin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder
from ..grounding.constraints import ground_constrained
from ..grounding.fused import FusedConfig
from ..grounding.metrics import frame_accuracy, iou_excluding
from ..grounding.methods import run_method
from ..grounding.phrases import encode_phrases
from ..wire.options import GroundConstraints
from ..preprocess import PreparedMotion
from ..training.sources import FPS


@dataclass
class CorrectionTake:
    """One real take as the correction bench needs it (20 fps frames, half-open)."""

    family: str
    id: str
    motion: np.ndarray  # [T, 22, 3] canonical
    labels: list[str]
    truth: list[tuple[int, int]]
    cut_truth: list[tuple[int, int]]  # per boundary (after sub-action i): where a cut is right
    ignore: np.ndarray  # [T] frames no score counts


def realchains_takes(root=None) -> list[CorrectionTake]:
    from .realchains import load_takes

    out = []
    for take in load_takes(root):
        cuts = [s.transition if s.transition is not None else (s.end, s.end) for s in take.segments[:-1]]
        out.append(CorrectionTake("realchains", take.id, take.motion, [s.label for s in take.segments],
                                  [(s.start, s.end) for s in take.segments], cuts, take.transition_mask()))
    return out


def kinectchains_takes(root=None) -> list[CorrectionTake]:
    from .kinectchains import load_takes

    out = []
    for take in load_takes(root):
        segs = take.segments
        cuts = [(a.end, b.start) for a, b in zip(segs, segs[1:])]  # the gap between them, often empty
        out.append(CorrectionTake("kinectchains", take.id, take.motion, [s.label for s in segs],
                                  [(s.start, s.end) for s in segs], cuts, take.ignore_mask()))
    return out


def cut_error(cut: int, window: tuple[int, int]) -> int:
    """Frames from a predicted cut to the window where a cut is right (0 inside)."""
    lo, hi = window
    return max(0, lo - cut, cut - hi)


@dataclass
class Scores:
    """Sums over the scored segments, so takes pool by segment."""

    iou_before: list[float] = field(default_factory=list)
    iou_after: list[float] = field(default_factory=list)
    acc_before: list[float] = field(default_factory=list)  # per take: frame accuracy on the scored segments
    acc_after: list[float] = field(default_factory=list)
    acc_take_after: list[float] = field(default_factory=list)  # per take: whole-take frame accuracy

    def row(self) -> dict[str, float]:
        m = lambda xs: float(np.mean(xs)) if xs else float("nan")  # noqa: E731
        return {"segments": len(self.iou_before), "miou_before": m(self.iou_before), "miou_after": m(self.iou_after),
                "gain": m(self.iou_after) - m(self.iou_before), "acc_before": m(self.acc_before),
                "acc_after": m(self.acc_after), "take_acc_after": m(self.acc_take_after)}


class TakeGrounder:
    """One take's features and phrases, computed once, grounded with or without pins."""

    def __init__(self, encoder: MotionTextEncoder, take: CorrectionTake, method: str, fused: FusedConfig,
                 min_len: int) -> None:
        self.encoder, self.take, self.method, self.fused, self.min_len = encoder, take, method, fused, min_len
        self.motion = torch.from_numpy(np.ascontiguousarray(take.motion))
        with torch.no_grad():
            self.feats = encoder.frame_features(self.motion)
            self.text = encode_phrases(encoder, take.labels)
        t_count = len(take.motion)
        self.prepared = PreparedMotion(take.motion, float(FPS), np.arange(t_count) / FPS, float(FPS), 0.0, t_count)

    def ground(self, pins: dict[int, int]) -> list[tuple[int, int]]:
        """Segments with the cuts after sub-actions ``pins`` (0-based boundary → frame) fixed."""
        if not pins:
            return run_method(self.method, self.encoder, self.motion, self.text, self.min_len, feats=self.feats,
                              fused=self.fused).segments
        fixed = GroundConstraints.from_mapping({"pins": [{"after": i + 1, "frame": f} for i, f in pins.items()]})
        edges = fixed.fixed_edges(len(self.take.labels), 0, len(self.take.motion))
        edges = [tuple(None if v is None else int(v) for v in pair) for pair in edges]
        _, source = ground_constrained(self.method, self.encoder, self.motion, self.text, self.min_len,
                                       self.prepared, edges, feats=self.feats, fused=self.fused)
        return source

    def worst(self, segs: list[tuple[int, int]], pinned: set[int]) -> int:
        errors = [(cut_error(segs[i][1], w), i) for i, w in enumerate(self.take.cut_truth) if i not in pinned]
        return max(errors)[1]

    def truth_frame(self, boundary: int) -> int:
        lo, hi = self.take.cut_truth[boundary]
        return (lo + hi) // 2


def score_into(scores: Scores, take: CorrectionTake, before, after, pins: set[int]) -> None:
    """Add the segments not adjacent to any pin (pin after i touches segments i and i+1)."""
    adjacent = {j for i in pins for j in (i, i + 1)}
    free = [j for j in range(len(take.truth)) if j not in adjacent]
    if not free:
        return
    t_count = len(take.motion)
    for j in free:
        scores.iou_before.append(iou_excluding(before[j], take.truth[j], take.ignore))
        scores.iou_after.append(iou_excluding(after[j], take.truth[j], take.ignore))
    only_free = take.ignore.copy()
    for j in adjacent:
        only_free[take.truth[j][0] : take.truth[j][1]] = True
    scores.acc_before.append(frame_accuracy(before, take.truth, t_count, only_free))
    scores.acc_after.append(frame_accuracy(after, take.truth, t_count, only_free))
    scores.acc_take_after.append(frame_accuracy(after, take.truth, t_count, take.ignore))


def run_correction(encoder: MotionTextEncoder, takes: list[CorrectionTake], method: str = "fused",
                   fused: FusedConfig | None = None, min_len: int = 10, controls: int = 3, seed: int = 0,
                   progress=None) -> dict[str, dict[str, dict[str, float]]]:
    """{family: {"none" | "1 pin" | "3 pins" | "random pin": row}} (see ``Scores.row``);
    "none" scores the unpinned run on every segment. ``controls`` random pins per take."""
    fused = fused or FusedConfig()
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, Scores]] = {}
    for take in takes:
        fam = out.setdefault(take.family, {k: Scores() for k in ("none", "1 pin", "3 pins", "random pin")})
        g = TakeGrounder(encoder, take, method, fused, min_len)
        before = g.ground({})
        score_into(fam["none"], take, before, before, set())
        pins: dict[int, int] = {}
        segs = before
        for n in range(1, min(3, len(take.labels) - 1) + 1):
            worst = g.worst(segs, set(pins))
            pins[worst] = g.truth_frame(worst)
            segs = g.ground(pins)
            if n == 1:
                score_into(fam["1 pin"], take, before, segs, set(pins))
        score_into(fam["3 pins"], take, before, segs, set(pins))
        for _ in range(controls):
            b = int(rng.integers(len(take.cut_truth)))
            score_into(fam["random pin"], take, before, g.ground({b: g.truth_frame(b)}), {b})
        if progress:
            progress(take)
    return {fam: {k: s.row() for k, s in rows.items()} for fam, rows in out.items()}


def format_correction(results: dict[str, dict[str, dict[str, float]]], method: str) -> str:
    lines = [f"correction loop ({method}): mean IoU / frame accuracy of the segments not adjacent to any pin, "
             "before and after; take acc = whole-take frame accuracy after"]
    lines.append(f"{'family':<13} {'pins':<11} {'segs':>5} {'mIoU before':>11} {'after':>6} {'gain':>7} "
                 f"{'acc before':>10} {'after':>6} {'take acc':>8}")
    for fam, rows in results.items():
        for name, r in rows.items():
            lines.append(f"{fam:<13} {name:<11} {r['segments']:>5} {r['miou_before']:>11.3f} {r['miou_after']:>6.3f} "
                         f"{r['gain']:>+7.3f} {r['acc_before']:>10.3f} {r['acc_after']:>6.3f} {r['take_acc_after']:>8.3f}")
    return "\n".join(lines)
