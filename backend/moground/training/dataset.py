"""Training pairs (motion window, caption) from every text source, and spliced batches.

Sources, weighted so that none dominates (the describer alone has tens of thousands of
windows, HumanML3D only hundreds of segments):
  hml        timed HumanML3D captions of CMU trials, for their spans
  cmu_text   CMU descriptions and KIT captions (whole trial, cropped when long)
  bandai     Bandai clips, captions from content + style templates
  actions    the action sets, their action words plus lexicon expansions
  describer  motion-derived captions for windows of every training clip
A batch is a set of sequences, each 1–5 items spliced with short cross-fades; every
item is pooled with its own mask from ONE pass of the motion tower over its sequence.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from ..features import FEATURE_DIM
from ..skeleton import mirror_permutation
from .cache import FeatureCache
from ..text.actions import expand_phrase
from .captions import action_captions, bandai_captions, mirror_text
from .describer import DESCRIBER_VERSION, describe
from .sources import FPS, ClipRecord

DEFAULT_WEIGHTS = {"hml": 0.3, "cmu_text": 0.15, "bandai": 0.12, "actions": 0.18, "describer": 0.25}
CMU_ONLY_SOURCES = ("hml", "cmu_text", "describer")


@dataclass
class Item:
    uid: str
    start: int
    end: int  # frames at 20 fps, end exclusive
    texts: list[int]
    group: str
    label: str | None = None
    weight: float = 1.0


class TextTable:
    """Unique caption strings; every caption has a mirrored twin (itself if no side words)."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.ids: dict[str, int] = {}
        self.mirror: list[int] = []

    def _add(self, text: str) -> int:
        i = self.ids.get(text)
        if i is None:
            i = self.ids[text] = len(self.texts)
            self.texts.append(text)
            self.mirror.append(i)
        return i

    def add(self, text: str) -> int:
        text = " ".join(text.strip().split())
        i = self._add(text)
        m = self._add(mirror_text(text))
        self.mirror[i], self.mirror[m] = m, i
        return i

    def __len__(self) -> int:
        return len(self.texts)


def feature_mirror() -> tuple[np.ndarray, np.ndarray]:
    """(index, sign) such that ``feats[..., index] * sign`` are the features of the
    left/right mirrored motion (x → −x and left/right joints swapped); see features.py."""
    perm = mirror_permutation()
    idx = list(range(5))
    sign = [1.0, -1.0, 1.0, 1.0, -1.0]  # height, root velocity (x flips), yaw rate flips
    for base in (5, 5 + 66):
        for j in range(22):
            idx += [base + 3 * perm[j] + k for k in range(3)]
            sign += [-1.0, 1.0, 1.0]
    idx += [137 + i for i in (1, 0, 3, 2)]
    sign += [1.0] * 4
    assert len(idx) == FEATURE_DIM
    return np.array(idx), np.array(sign, dtype=np.float32)


def mirror_positions(pos: np.ndarray) -> np.ndarray:
    return pos[:, mirror_permutation()] * np.array([-1.0, 1.0, 1.0], dtype=pos.dtype)


def _with_expansion(table: TextTable, text: str) -> list[int]:
    """The caption and, when it names a lexicon action, one body-part expansion of it:
    this ties action names to the primitives that grounding-time expansion produces."""
    ids = [table.add(text)]
    extra = expand_phrase(text, max_items=2)[1:]
    return ids + [table.add(e) for e in extra]


def _frames(s: float | None, n: int, default: int) -> int:
    return default if s is None else int(np.clip(round(s * FPS), 0, n))


def build_items(records: list[ClipRecord], cache: FeatureCache, table: TextTable, *, cmu_only: bool = False,
                describer: bool = True, describer_stride: int = 50, seed: int = 0,
                progress: bool = False) -> dict[str, list[Item]]:
    """Items of every source for the given (training) records."""
    groups: dict[str, list[Item]] = {g: [] for g in DEFAULT_WEIGHTS}
    for rec in records:
        if rec.uid not in cache or (cmu_only and rec.source != "cmu"):
            continue
        n = cache.length(rec.uid)
        if rec.source == "cmu":
            spans: dict[tuple[int, int], list[int]] = {}
            whole = []
            for c in rec.captions:
                if c.kind == "hml":
                    a, b = _frames(c.start_s, n, 0), _frames(c.end_s, n, n)
                    if b - a >= 10:
                        spans.setdefault((a, b), []).extend(_with_expansion(table, c.text))
                else:
                    whole.extend(_with_expansion(table, c.text))
            for (a, b), ids in spans.items():
                groups["hml"].append(Item(rec.uid, a, b, ids, "hml"))
            if whole:
                groups["cmu_text"].append(Item(rec.uid, 0, n, whole, "cmu_text"))
        elif rec.source == "bandai":
            ids = [table.add(t) for t in bandai_captions(rec.meta["content"], rec.meta["style"])]
            groups["bandai"].append(Item(rec.uid, 0, n, ids, "bandai", rec.label))
        else:
            ids = [table.add(t) for t in action_captions(rec.captions[0].text)]
            groups["actions"].append(Item(rec.uid, 0, n, ids, "actions", rec.label, rec.quality))
    if describer:
        uids = [r.uid for r in records if r.uid in cache and (not cmu_only or r.source == "cmu")]
        for uid, wins in all_describer_windows(uids, cache, describer_stride, seed, progress).items():
            groups["describer"] += [Item(uid, a, b, [table.add(c) for c in caps], "describer") for a, b, caps in wins]
    return {g: v for g, v in groups.items() if v}


def describer_windows(uid: str, cache: FeatureCache, stride: int = 50, seed: int = 0) -> list[tuple[int, int, list[str]]]:
    """Windows of 2–5 s over a clip, each with the describer's captions (seeded per clip,
    so a clip's captions do not depend on which other clips are loaded)."""
    rng = np.random.default_rng([seed, zlib.crc32(uid.encode())])
    n = cache.length(uid)
    out = []
    starts = range(0, max(n - 30, 1), stride) if n > 40 else [0]
    for a in starts:
        b = min(n, a + int(rng.choice([40, 60, 80, 100])))
        if b - a < 20:
            continue
        caps = describe(cache.positions(uid, a, b), FPS).captions(rng, n=2)
        if caps:
            out.append((a, b, caps))
    return out


def all_describer_windows(uids: list[str], cache: FeatureCache, stride: int = 50, seed: int = 0,
                          progress: bool = False) -> dict[str, list[tuple[int, int, list[str]]]]:
    """Describer windows of many clips, kept beside the feature cache (a minute to compute)."""
    path = cache.folder / f"describer-v{DESCRIBER_VERSION}-s{stride}-r{seed}.json"
    known: dict[str, list] = json.loads(path.read_text()) if path.is_file() else {}
    missing = [u for u in uids if u not in known]
    for u in tqdm(missing, desc="describer", disable=not progress, unit="clip"):
        known[u] = describer_windows(u, cache, stride, seed)
    if missing:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(known))
        tmp.replace(path)
    return {u: [tuple(w) for w in known[u]] for u in uids}


@dataclass
class Batch:
    feats: np.ndarray  # [S, T, F]
    pad: np.ndarray  # [S, T] True = padding
    weights: np.ndarray  # [S, K, T] segment masks
    valid: np.ndarray  # [S, K]
    text_ids: np.ndarray  # [S, K] caption id per segment (-1 where not valid)
    labels: list[str | None] = field(default_factory=list)  # per valid segment, row-major
    spans: list[tuple[str, int, int]] = field(default_factory=list)  # per valid segment


class BatchSampler:
    """Draws spliced sequences of items with source weights; deterministic given its rng."""

    def __init__(self, groups: dict[str, list[Item]], cache: FeatureCache, weights: dict[str, float] | None = None,
                 *, max_segments: int = 4, seg_frames: tuple[int, int] = (30, 80), single_frames: int = 160,
                 blend: int = 4, mirror_p: float = 0.5, single_p: float = 0.25, seed: int = 0) -> None:
        w = {g: (weights or DEFAULT_WEIGHTS).get(g, 0.0) for g in groups}
        w = {g: v for g, v in w.items() if v > 0 and groups[g]}
        if not w:
            raise ValueError("no training items")
        total = sum(w.values())
        self.names = list(w)
        self.p = np.array([w[g] / total for g in self.names])
        self.groups = groups
        self.item_p = {g: _norm([it.weight for it in groups[g]]) for g in self.names}
        self.cache = cache
        self.max_segments, self.seg_frames, self.single_frames = max_segments, seg_frames, single_frames
        self.blend, self.mirror_p, self.single_p = blend, mirror_p, single_p
        self.rng = np.random.default_rng(seed)
        self.mirror_idx, self.mirror_sign = feature_mirror()

    def _pick(self) -> Item:
        g = self.names[int(self.rng.choice(len(self.names), p=self.p))]
        items = self.groups[g]
        return items[int(self.rng.choice(len(items), p=self.item_p[g]))]

    def _crop(self, it: Item, max_len: int) -> tuple[int, int]:
        n = it.end - it.start
        lo = self.seg_frames[0]
        if n <= max_len:
            return it.start, it.end
        length = int(self.rng.integers(min(lo, max_len), max_len + 1)) if it.group in ("describer", "cmu_text") else max_len
        a = it.start + int(self.rng.integers(0, n - length + 1))
        return a, a + length

    def sequence(self) -> tuple[np.ndarray, list[tuple[int, int]], list[Item], list[tuple[int, int]]]:
        k = 1 if self.rng.random() < self.single_p else int(self.rng.integers(2, self.max_segments + 1))
        max_len = self.single_frames if k == 1 else self.seg_frames[1]
        parts, bounds, items, spans, t = [], [], [], [], 0
        for i in range(k):
            it = self._pick()
            a, b = self._crop(it, max_len)
            f = self.cache.features(it.uid, a, b)
            if parts and self.blend and len(f) > 2 * self.blend and len(parts[-1]) > 2 * self.blend:
                bl = self.blend
                w = np.linspace(0, 1, bl + 2, dtype=np.float32)[1:-1, None]
                prev = parts[-1]
                mixed = prev[-bl:] * (1 - w) + f[:bl] * w
                parts[-1] = prev[:-bl]
                t -= bl
                bounds[-1] = (bounds[-1][0], t + bl // 2)
                parts.append(mixed)
                f = f[bl:]
                start = t + bl // 2
                t += bl
                parts.append(f)
                bounds.append((start, t + len(f)))
            else:
                parts.append(f)
                bounds.append((t, t + len(f)))
            t += len(f)
            items.append(it)
            spans.append((a, b))
        return np.concatenate(parts), bounds, items, spans

    def batch(self, n_sequences: int, table: TextTable) -> Batch:
        seqs = [self.sequence() for _ in range(n_sequences)]
        T = max(len(s[0]) for s in seqs)
        K = max(len(s[1]) for s in seqs)
        feats = np.zeros((n_sequences, T, FEATURE_DIM), np.float32)
        pad = np.ones((n_sequences, T), bool)
        weights = np.zeros((n_sequences, K, T), np.float32)
        weights[:, :, 0] = 1.0  # rows of absent segments stay finite; they are masked by `valid`
        valid = np.zeros((n_sequences, K), bool)
        text_ids = np.full((n_sequences, K), -1, np.int64)
        labels, spans = [], []
        for s, (f, bounds, items, sp) in enumerate(seqs):
            mirror = self.rng.random() < self.mirror_p
            if mirror:
                f = f[:, self.mirror_idx] * self.mirror_sign
            feats[s, : len(f)] = f
            pad[s, : len(f)] = False
            for k, ((a, b), it, (sa, sb)) in enumerate(zip(bounds, items, sp)):
                weights[s, k] = 0.0
                weights[s, k, a:b] = 1.0
                valid[s, k] = True
                tid = it.texts[int(self.rng.integers(len(it.texts)))]
                text_ids[s, k] = table.mirror[tid] if mirror else tid
                labels.append(it.label)
                spans.append((it.uid, sa, sb))
        return Batch(feats, pad, weights, valid, text_ids, labels, spans)


def _norm(w: list[float]) -> np.ndarray:
    a = np.asarray(w, dtype=np.float64)
    return a / a.sum()

