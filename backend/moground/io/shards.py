"""Reading clips from the npz shards of the shared data folder (see its README).

The shards hold float16 world positions in metres, Y up; names, parents and fps come
from each part's skeleton.json and index.json. Open npz files are cached because one
shard holds hundreds of clips and opening it re-reads its zip directory.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..wire.errors import BadRequest, UnreadableFile
from ..motion import MotionClip
from ..paths import data_root


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UnreadableFile(f"cannot read {path}: {exc}") from None


@lru_cache(maxsize=16)
def skeleton(part_dir: str) -> tuple[list[str], list[int]]:
    """(joint names, parent indices) from a data part's skeleton.json."""
    skel = _read_json(Path(part_dir) / "skeleton.json")
    return list(skel["joints"]), list(skel["parents"])


@lru_cache(maxsize=8)
def _index(root: str, part: str) -> dict[str, dict]:
    """{clip id: index record} of the 'cmu' or 'bandai' part."""
    index = _read_json(Path(root) / part / "index.json")
    records = index["trials"] if part == "cmu" else index["clips"]
    return {r["id"]: r for r in records}


@lru_cache(maxsize=16)
def open_shard(path: str) -> np.lib.npyio.NpzFile:
    """A shard's npz, opened once per process (reading a clip from it is then cheap)."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise UnreadableFile(f"cannot open shard {path}: {exc}") from None


def clip_ids(part: str, root: str | Path | None = None) -> list[str]:
    """All clip ids of ``part`` ('cmu' or 'bandai')."""
    return list(_index(str(data_root(root)), part))


def _load(part: str, clip_id: str, root: str | Path | None) -> MotionClip:
    base = str(data_root(root))
    rec = _index(base, part).get(clip_id)
    if rec is None:
        raise BadRequest(f"no {part} clip with id {clip_id!r} in {base}/{part}/index.json")
    shard_path = str(Path(base) / part / rec["shard"])
    try:
        arr = open_shard(shard_path)[clip_id].astype(np.float32)
    except KeyError:
        raise UnreadableFile(f"clip {clip_id!r} is listed but absent from {shard_path}") from None
    names, parents = skeleton(str(Path(base) / part))
    meta = {k: rec[k] for k in ("t0_s", "description", "content", "style", "dataset") if k in rec}
    return MotionClip(
        positions=arr,
        joint_names=list(names),
        parents=list(parents),
        fps=float(rec["fps"]),
        frame_start=0.0,
        units_to_m=1.0,
        up_axis="Y",
        source=f"{part}:{clip_id}",
        meta={"format": "shard", "part": part, "id": clip_id, **meta},
    )


def load_cmu_trial(trial_id: str, root: str | Path | None = None) -> MotionClip:
    """One CMU trial ("01_01") as metres, Y up, at its true frame rate (24 or 12 fps)."""
    return _load("cmu", trial_id, root)


def load_bandai_clip(clip_id: str, root: str | Path | None = None) -> MotionClip:
    """One Bandai Namco clip (file stem, e.g. "dataset-2_walk_normal_001"), 30 fps."""
    return _load("bandai", clip_id, root)
