"""The real-transition set: continuous CMU subject-86 takes with human boundaries.

``shared/data/realchains`` holds five unedited takes (walk in, a series of actions,
walk out) whose action boundaries were marked by people, with a transition window
around each boundary. It is the only real multi-action material here, so it is the
headline set: full takes (every sub-action in order) and single queries (each label
that occurs once in its take, searched in the whole take).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..wire.errors import MoGroundError
from ..io.shards import open_shard, skeleton
from ..motion import MotionClip
from ..paths import data_root
from ..preprocess import canonicalize, resample
from ..rigmap import map_to_canonical
from ..training.sources import FPS


@dataclass
class HumanSegment:
    label: str
    start: int  # 20 fps frames, half-open
    end: int
    transition: tuple[int, int] | None  # frames where this segment turns into the next


@dataclass
class RealTake:
    id: str
    motion: np.ndarray  # [T, 22, 3] canonical, 20 fps
    segments: list[HumanSegment]

    def transition_mask(self) -> np.ndarray:
        """[T] bool: frames inside a human transition window (belong to neither side)."""
        mask = np.zeros(len(self.motion), dtype=bool)
        for seg in self.segments:
            if seg.transition is not None:
                mask[seg.transition[0] : seg.transition[1]] = True
        return mask


def _frame(seconds: float, t_count: int) -> int:
    return int(min(t_count, max(0, round(seconds * FPS))))


def canonical_records(set_name: str, root: str | Path | None = None) -> list[tuple[dict, np.ndarray]]:
    """(index record, canonical 20 fps motion [T, 22, 3]) per take of a whole-take set in
    the shared data (realchains, kinectchains: one npz of takes beside index.json and
    skeleton.json); the joints are mapped by the rig presets."""
    folder = data_root(root) / set_name
    try:
        index = json.loads((folder / "index.json").read_text())
    except (OSError, ValueError) as exc:
        raise MoGroundError(f"cannot read the {set_name} set in {folder}: {exc}") from None
    names, parents = skeleton(str(folder))
    shard = open_shard(str(folder / "positions.npz"))
    out = []
    for rec in index["trials"]:
        clip = MotionClip(positions=shard[rec["id"]].astype(np.float32), joint_names=names, parents=parents,
                          fps=float(rec["fps"]), source=f"{set_name}/{rec['id']}")
        canon = map_to_canonical(clip)
        out.append((rec, canonicalize(resample(canon.positions, canon.fps, FPS)).astype(np.float32)))
    return out


def load_takes(root: str | Path | None = None) -> list[RealTake]:
    """Every realchains take as canonical 20 fps motion with its human segments."""
    takes = []
    for rec, motion in canonical_records("realchains", root):
        t = len(motion)
        segs = []
        for s in rec["segments"]:
            window = s.get("end_transition_s")
            segs.append(HumanSegment(s["label"], _frame(s["start_s"], t), _frame(s["end_s"], t),
                                     (_frame(window[0], t), _frame(window[1], t)) if window else None))
        segs[-1].end = t
        takes.append(RealTake(rec["id"], motion, segs))
    return takes


def unique_labels(take: RealTake) -> list[int]:
    """Indices of the segments whose label occurs once in the take (K=1 queries)."""
    labels = [s.label for s in take.segments]
    return [i for i, lab in enumerate(labels) if labels.count(lab) == 1]
