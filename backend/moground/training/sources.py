"""Enumerate the clips of shared/data with their split and every caption they carry.

One record per clip; loading the motion is deferred (``load_canonical``) so that the
feature cache can be built in one pass and reused. Splits come from ``splits.json``
(CMU and Bandai) and, for ``actions/``, from a fixed subject split made here: the
four action sets ship no split, and splitting by subject keeps one person's
repetitions out of validation and test.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..wire.errors import MoGroundError
from ..paths import data_root

log = logging.getLogger(__name__)

FPS = 20.0
ACTION_PARTS = ("hdm05", "msr_action3d", "utkinect", "msrc12")
SPLITS = ("train", "val", "test")


@dataclass
class Caption:
    """A caption and, when it covers only part of the clip, its span in seconds of the clip."""

    text: str
    kind: str  # hml | kit | desc | bandai | action
    start_s: float | None = None
    end_s: float | None = None


@dataclass
class ClipRecord:
    source: str  # cmu | bandai | hdm05 | msr_action3d | utkinect | msrc12
    id: str
    split: str
    fps: float
    frames: int
    npz: Path
    key: str
    captions: list[Caption] = field(default_factory=list)
    label: str | None = None  # action label: same label = not a negative
    subject: str = ""
    quality: float = 1.0  # sampling weight inside its source (Kinect noise lowers it)
    meta: dict = field(default_factory=dict)

    @property
    def uid(self) -> str:
        return f"{self.source}/{self.id}"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise MoGroundError(f"cannot read {path}: {exc}") from exc


def cmu_records(root: Path, splits: dict) -> list[ClipRecord]:
    split_of = {tid: s for s in SPLITS for tid in splits["cmu"][s]}
    out = []
    for t in _read_json(root / "cmu" / "index.json")["trials"]:
        split = split_of.get(t["id"])
        if split is None:
            continue
        t0 = float(t.get("t0_s") or 0.0)
        caps = []
        if t.get("description"):
            caps.append(Caption(t["description"], "desc"))
        caps += [Caption(c, "kit") for c in t.get("kit_captions") or []]
        for seg in t.get("hml_segments") or []:
            caps.append(Caption(seg["text"], "hml", max(0.0, seg["start_s"] - t0), max(0.0, seg["end_s"] - t0)))
        out.append(ClipRecord("cmu", t["id"], split, float(t["fps"]), int(t["frames"]), root / "cmu" / t["shard"],
                              t["id"], caps, subject=str(t["subject"])))
    return out


def bandai_records(root: Path, splits: dict) -> list[ClipRecord]:
    split_of = {cid: s for s in SPLITS for cid in splits["bandai"][s]}
    out = []
    for c in _read_json(root / "bandai" / "index.json")["clips"]:
        split = split_of.get(c["id"])
        if split is None:
            continue
        out.append(ClipRecord("bandai", c["id"], split, float(c["fps"]), int(c["frames"]), root / "bandai" / c["shard"],
                              c["id"], [], label=f"bandai:{c['content']}",
                              meta={"content": c["content"], "style": c["style"]}))
    return out


def action_quality(part: str, qc: dict) -> float:
    """Sampling weight from the index's QC numbers; 0 drops the clip.

    Kinect skeletons jump between frames and lose the feet; clips whose joints fly
    (> 6 m/s in many frames), whose head dips below the hips, or whose bones stretch
    are dropped, milder noise is down-weighted.
    """
    if part == "hdm05":
        return 1.0
    if qc.get("head_above_hip_frac", 1.0) < 0.9:
        return 0.0
    if qc.get("frac_frames_joint_speed_gt_6mps", 0.0) > 0.1 or qc.get("max_joint_speed_mps", 0.0) > 15.0:
        return 0.0
    cv = qc.get("bone_length_cv", 0.0)
    if cv > 0.15:
        return 0.0
    w = 1.0
    if qc.get("max_joint_speed_mps", 0.0) > 8.0:
        w *= 0.5
    if cv > 0.08:
        w *= 0.5
    if qc.get("foot_forward_cos", 1.0) < 0.5:
        w *= 0.5
    return w


def subject_split(subjects: list[str], seed: int = 0) -> dict[str, str]:
    """Fixed split of a part's subjects: about 10 % validation, 10 % test (at least one each)."""
    subs = sorted(set(subjects), key=lambda s: (len(s), s))
    order = np.random.RandomState(seed).permutation(len(subs))
    n_hold = max(1, round(0.1 * len(subs)))
    out = {}
    for rank, i in enumerate(order):
        out[subs[i]] = "test" if rank < n_hold else "val" if rank < 2 * n_hold else "train"
    return out


def action_records(root: Path) -> list[ClipRecord]:
    out = []
    for part in ACTION_PARTS:
        folder = root / "actions" / part
        if not (folder / "index.json").is_file():
            continue
        clips = _read_json(folder / "index.json")["clips"]
        split_of = subject_split([str(c["subject"]) for c in clips])
        for c in clips:
            q = action_quality(part, c.get("qc") or {})
            if q <= 0.0:
                continue
            out.append(ClipRecord(part, c["id"], split_of[str(c["subject"])], float(c["fps"]), int(c["frames"]),
                                  folder / "positions.npz", c["id"], [Caption(c["action"], "action")],
                                  label=f"action:{c['action']}", subject=str(c["subject"]), quality=q))
    return out


@lru_cache(maxsize=4)
def _all_records(root: str) -> tuple[ClipRecord, ...]:
    path = Path(root)
    splits = _read_json(path / "splits.json")
    return tuple(cmu_records(path, splits) + bandai_records(path, splits) + action_records(path))


def load_records(root: str | Path | None = None, splits: tuple[str, ...] = SPLITS,
                 sources: tuple[str, ...] | None = None) -> list[ClipRecord]:
    """Every clip of the chosen splits (and sources), in a fixed order."""
    base = data_root(root)
    recs = [r for r in _all_records(str(base)) if r.split in splits]
    if sources is not None:
        recs = [r for r in recs if r.source in sources]
    return recs
