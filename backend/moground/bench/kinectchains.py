"""The second real-take family: 19 whole UTKinect recordings with the data set's boundaries.

``shared/data/kinectchains`` holds continuous Kinect v1 takes (10 people, 15 fps), each
with 10 labelled actions and the unlabelled walking and waiting between them. They are
loaded as the same :class:`RealTake` objects as realchains (canonical 22 joints, 20 fps,
frame spans), through the ``kinect`` rig preset (no mapping file), so any code that
scores realchains scores these.

Scoring (the set's README): a method that tiles the take cannot know where the gaps
are, so the headline is IoU over LABELLED frames only (a cut anywhere inside a gap is
right) and frame accuracy over labelled frames; IoU with the gaps counted is reported
beside it. :meth:`KinectTake.ignore_mask` is what the bench passes as a case's
``ignore``; the helpers below score one prediction the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..grounding.metrics import frame_accuracy, iou, iou_excluding
from .open_vocab import paraphrase
from .realchains import HumanSegment, RealTake, _frame, canonical_records
from .sets import Case, derange

# Actions that also happen, unlabelled, in the gaps (people walk between actions and
# carry the object they picked up): as a single query their truth is ambiguous.
GAP_ACTIONS: frozenset[str] = frozenset({"walk", "carry something"})


@dataclass
class KinectTake(RealTake):
    """A realchains-style take plus who performed it and where the unlabelled gaps are.
    Each segment's ``transition`` is the gap that follows it (None when the next
    action starts at once)."""

    subject: str = ""  # "s01": the unit of leave-one-subject-out and of the bootstrap
    gaps: list[tuple[int, int]] = field(default_factory=list)  # 20 fps frames, half-open

    def labelled_mask(self) -> np.ndarray:
        """[T] bool: frames inside some labelled action."""
        mask = np.zeros(len(self.motion), dtype=bool)
        for seg in self.segments:
            mask[seg.start : seg.end] = True
        return mask

    def ignore_mask(self) -> np.ndarray:
        """[T] bool: frames no action claims (gaps, and any lead-in or tail): left out
        of the labelled-frame scores."""
        return ~self.labelled_mask()


def load_takes(root: str | Path | None = None) -> list[KinectTake]:
    """Every kinectchains take as canonical 20 fps motion with its labelled segments."""
    takes = []
    for rec, motion in canonical_records("kinectchains", root):
        t = len(motion)
        gaps = [(_frame(a, t), _frame(b, t)) for a, b in rec["gaps_s"]]
        gap_after = {g[0]: g for g in gaps}
        segs = []
        for s in rec["segments"]:
            start, end = _frame(s["start_s"], t), _frame(s["end_s"], t)
            segs.append(HumanSegment(s["label"], start, end, gap_after.get(end)))
        takes.append(KinectTake(rec["id"], motion, segs, subject=f"s{int(rec['subject']):02d}", gaps=gaps))
    return takes


def single_queries(take: KinectTake, exclude: frozenset[str] = GAP_ACTIONS) -> list[int]:
    """Indices of the segments used as single (K=1) queries: labels that occur once in
    the take and are not done in the gaps too."""
    labels = [s.label for s in take.segments]
    return [i for i, lab in enumerate(labels) if labels.count(lab) == 1 and lab not in exclude]


def labelled_iou(pred: tuple[int, int], truth: tuple[int, int], take: KinectTake) -> float:
    """IoU of one predicted span with one true span, counted over labelled frames only."""
    return iou_excluding(pred, truth, take.ignore_mask())


@dataclass
class TakeScore:
    labelled_miou: float  # mean per-action IoU over labelled frames (the headline)
    gap_miou: float  # mean per-action IoU with the gap frames counted
    frame_acc: float  # share of labelled frames given the right action


def score_take(pred: Sequence[tuple[int, int]], take: KinectTake) -> TakeScore:
    """Score a full-take prediction (one span per segment, in the take's order)."""
    truth = [(s.start, s.end) for s in take.segments]
    if len(pred) != len(truth):
        raise ValueError(f"{take.id}: {len(pred)} predicted spans for {len(truth)} actions")
    ignore = take.ignore_mask()
    return TakeScore(
        float(np.mean([iou_excluding(p, t, ignore) for p, t in zip(pred, truth)])),
        float(np.mean([iou(p, t) for p, t in zip(pred, truth)])),
        frame_accuracy(list(pred), truth, len(take.motion), ignore),
    )


def kinectchain_cases(root=None, vocabs: tuple[str, ...] = ("verbatim", "open"), seed: int = 0) -> list[Case]:
    """Bench cases: each take in full (its 10 labels in order) and each single query
    (``single_queries``), with the labels or the project's paraphrases, the deranged
    control, and the unlabelled frames as ``ignore``. ``clip_id`` is the SUBJECT: the
    two takes of one person are not independent, so CIs resample people."""
    rng = np.random.default_rng(seed)
    cases = []
    for take in load_takes(root):
        labels = [s.label for s in take.segments]
        spans = [(s.start, s.end) for s in take.segments]
        ignore = take.ignore_mask()
        perm = derange(labels, rng)
        singles = single_queries(take)
        single_ctrl = [sorted(set(labels) - {labels[i]}) for i in singles]
        single_ctrl = [others[int(rng.integers(len(others)))] for others in single_ctrl]
        for vocab in vocabs:
            say = (lambda lab: lab) if vocab == "verbatim" else (lambda lab: paraphrase("kinectchains", lab))
            cases.append(Case("kinectchains", "take", vocab, take.subject, take.motion, [say(lab) for lab in labels],
                              spans, labels, [say(labels[p]) for p in perm], ignore))
            for i, ctrl in zip(singles, single_ctrl):
                cases.append(Case("kinectchains", "single", vocab, take.subject, take.motion, [say(labels[i])], [spans[i]],
                                  [labels[i]], [say(ctrl)], ignore))
    return cases
