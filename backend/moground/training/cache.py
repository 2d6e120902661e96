"""On-disk cache of canonical positions and encoder input features for every clip.

Mapping, resampling and feature extraction of 13 h of motion take minutes; training
reads slices of two memory-mapped arrays instead. The cache lives outside the
repository (``~/.cache/moground`` or ``--cache DIR``) and is keyed by the clip list
and a version number, so a changed data folder or feature definition rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from tqdm import tqdm

from ..wire.errors import MoGroundError
from ..features import FEATURE_DIM, motion_features
from .sources import FPS, ClipRecord

log = logging.getLogger(__name__)

CACHE_VERSION = 1
MIN_FRAMES = 8


def default_cache_dir() -> Path:
    base = os.environ.get("MOGROUND_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")), "moground")
    return Path(base)


@dataclass
class FeatureCache:
    """Concatenated per-clip arrays; ``index[uid] = (offset, length)`` in frames at 20 fps."""

    folder: Path
    index: dict[str, tuple[int, int]]
    feats: np.ndarray  # [N, FEATURE_DIM] float16 (memmap)
    pos: np.ndarray  # [N, 22, 3] float16 (memmap)

    def features(self, uid: str, start: int = 0, end: int | None = None) -> np.ndarray:
        off, n = self.index[uid]
        end = n if end is None else min(end, n)
        return np.asarray(self.feats[off + start : off + end], dtype=np.float32)

    def positions(self, uid: str, start: int = 0, end: int | None = None) -> np.ndarray:
        off, n = self.index[uid]
        end = n if end is None else min(end, n)
        return np.asarray(self.pos[off + start : off + end], dtype=np.float32)

    def length(self, uid: str) -> int:
        return self.index[uid][1]

    def __contains__(self, uid: str) -> bool:
        return uid in self.index


def _key(records: list[ClipRecord]) -> str:
    h = hashlib.sha1(f"v{CACHE_VERSION}:{FEATURE_DIM}:{FPS}".encode())
    for r in records:
        h.update(f"{r.uid}:{r.frames}:{r.fps}\n".encode())
    return h.hexdigest()[:16]


def open_cache(folder: Path) -> FeatureCache | None:
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return None
    meta = json.loads(manifest.read_text())
    n = int(meta["frames"])
    feats = np.memmap(folder / "feats.f16", dtype=np.float16, mode="r", shape=(n, FEATURE_DIM))
    pos = np.memmap(folder / "pos.f16", dtype=np.float16, mode="r", shape=(n, 22, 3))
    return FeatureCache(folder, {k: (int(v[0]), int(v[1])) for k, v in meta["index"].items()}, feats, pos)


def build_cache(records: list[ClipRecord], cache_dir: str | Path | None = None,
                loader: Callable[[ClipRecord], np.ndarray] | None = None, progress: bool = True) -> FeatureCache:
    """Open the cache for ``records`` or build it (one pass over the data)."""
    if loader is None:
        from .motion_io import load_canonical as loader
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    folder = root / f"features-{_key(records)}"
    cached = open_cache(folder)
    if cached is not None:
        return cached
    folder.mkdir(parents=True, exist_ok=True)
    tmp_f, tmp_p = folder / "feats.f16.part", folder / "pos.f16.part"
    index: dict[str, tuple[int, int]] = {}
    skipped: dict[str, str] = {}
    offset = 0
    with open(tmp_f, "wb") as ff, open(tmp_p, "wb") as fp:
        for rec in tqdm(records, desc="feature cache", disable=not progress, unit="clip"):
            try:
                pos = loader(rec)
            except Exception as exc:  # one unmappable clip must not stop the build
                skipped[rec.uid] = str(exc)[:200]
                continue
            if len(pos) < MIN_FRAMES or not np.isfinite(pos).all():
                skipped[rec.uid] = "too short or not finite"
                continue
            with torch.no_grad():
                feats = motion_features(torch.from_numpy(pos), FPS).numpy()
            ff.write(feats.astype(np.float16).tobytes())
            fp.write(pos.astype(np.float16).tobytes())
            index[rec.uid] = (offset, len(pos))
            offset += len(pos)
    if not index:
        raise MoGroundError(f"no clip could be cached ({len(skipped)} skipped, e.g. {next(iter(skipped.items()), None)})")
    if skipped:
        log.warning("feature cache: %d clips skipped (first: %s)", len(skipped), next(iter(skipped.items())))
    tmp_f.rename(folder / "feats.f16")
    tmp_p.rename(folder / "pos.f16")
    (folder / "manifest.json").write_text(json.dumps({"version": CACHE_VERSION, "frames": offset, "index": index, "skipped": skipped}))
    out = open_cache(folder)
    assert out is not None
    return out
