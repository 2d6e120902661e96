"""Text↔motion retrieval metrics on held-out clips.

Three sets, reported separately because they measure different things: CMU HumanML3D
segments (free-form captions of a span of a real trial; the honest one), CMU whole-trial
captions (CMU descriptions and KIT captions) and Bandai clips (templated captions).
Motions are encoded the way grounding sees them: the motion tower runs once over the
whole clip and each segment is pooled with its own mask. A text counts as matching
every motion that carries exactly that caption, so duplicate captions do not count as
misses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from .cache import FeatureCache
from .captions import bandai_captions
from .sources import FPS, ClipRecord

SET_NAMES = ("cmu_hml", "cmu_trial", "bandai")


@dataclass
class EvalSet:
    name: str
    motions: list[tuple[str, int, int]] = field(default_factory=list)  # (uid, start, end) frames
    texts: list[str] = field(default_factory=list)
    relevant: list[set[int]] = field(default_factory=list)  # per text: matching motion indices


def build_eval_sets(records: list[ClipRecord], cache: FeatureCache, names: tuple[str, ...] = SET_NAMES,
                    max_trial_frames: int = 1200) -> dict[str, EvalSet]:
    sets = {n: EvalSet(n) for n in names}
    text_index: dict[str, dict[str, int]] = {n: {} for n in names}

    def add(name: str, motion: tuple[str, int, int], caps: list[str]) -> None:
        es = sets[name]
        m = len(es.motions)
        es.motions.append(motion)
        for c in dict.fromkeys(caps):
            i = text_index[name].get(c)
            if i is None:
                i = text_index[name][c] = len(es.texts)
                es.texts.append(c)
                es.relevant.append(set())
            es.relevant[i].add(m)

    for rec in records:
        if rec.uid not in cache:
            continue
        n = cache.length(rec.uid)
        if rec.source == "cmu":
            spans: dict[tuple[int, int], list[str]] = {}
            for c in rec.captions:
                if c.kind == "hml":
                    a = int(np.clip(round((c.start_s or 0) * FPS), 0, n))
                    b = int(np.clip(round((c.end_s or n / FPS) * FPS), 0, n))
                    if b - a >= 10:
                        spans.setdefault((a, b), []).append(c.text)
            if "cmu_hml" in sets:
                for (a, b), caps in spans.items():
                    add("cmu_hml", (rec.uid, a, b), caps)
            whole = [c.text for c in rec.captions if c.kind in ("desc", "kit")]
            if "cmu_trial" in sets and whole and n <= max_trial_frames:
                add("cmu_trial", (rec.uid, 0, n), whole)
        elif rec.source == "bandai" and "bandai" in sets:
            add("bandai", (rec.uid, 0, n), bandai_captions(rec.meta["content"], rec.meta["style"])[:1])
    return {k: v for k, v in sets.items() if v.motions}


@torch.no_grad()
def embed_motions(encoder, cache: FeatureCache, motions: list[tuple[str, int, int]]) -> torch.Tensor:
    """[M, D]: one tower pass per clip, one masked pool per (start, end)."""
    by_uid: dict[str, list[int]] = {}
    for i, (uid, _, _) in enumerate(motions):
        by_uid.setdefault(uid, []).append(i)
    out = torch.zeros(len(motions), encoder.dim)
    dev = encoder.device
    for uid, idx in by_uid.items():
        feats = torch.from_numpy(cache.features(uid)).to(dev)
        frame = encoder.motion(feats[None])[0]
        w = torch.zeros(len(idx), len(feats), device=dev)
        for r, i in enumerate(idx):
            _, a, b = motions[i]
            w[r, a:b] = 1.0
        out[idx] = encoder.pool(frame, w).float().cpu()
    return out


def retrieval_metrics(sim: np.ndarray, relevant: list[set[int]]) -> dict[str, float]:
    """``sim`` [texts, motions]. Rank = 1 + irrelevant items scored above the best relevant one."""
    n_t, n_m = sim.shape
    rel = np.zeros((n_t, n_m), dtype=bool)
    for t, ms in enumerate(relevant):
        rel[t, list(ms)] = True

    def ranks(s: np.ndarray, r: np.ndarray) -> np.ndarray:
        best = np.where(r, s, -np.inf).max(axis=1, keepdims=True)
        return 1 + ((s > best) & ~r).sum(axis=1)

    t2m = ranks(sim, rel)
    keep = rel.any(axis=0)
    m2t = ranks(sim.T[keep], rel.T[keep])
    out: dict[str, float] = {"texts": float(n_t), "motions": float(n_m)}
    for name, r, counts, pool in (("t2m", t2m, rel.sum(1), n_m), ("m2t", m2t, rel.T[keep].sum(1), n_t)):
        for k in (1, 5, 10):
            out[f"{name}_r{k}"] = float((r <= k).mean())
            out[f"{name}_r{k}_chance"] = chance_recall(counts, pool, k)
        out[f"{name}_medr"] = float(np.median(r))
    return out


def chance_recall(relevant_counts: np.ndarray, pool: int, k: int) -> float:
    """Expected R@k of a random ranking: P(at least one of r relevant items among the
    top k of ``pool``) = 1 − C(pool − r, k) / C(pool, k), averaged over queries."""
    out = []
    for r in np.asarray(relevant_counts, dtype=int):
        miss = 1.0
        for i in range(min(k, pool)):
            miss *= max(0.0, (pool - r - i) / (pool - i))
        out.append(1.0 - miss)
    return float(np.mean(out)) if out else 0.0


def restrict_queries(es: EvalSet, keep_motion) -> EvalSet:
    """The same candidate pool, but only the texts whose matching motions all pass
    ``keep_motion`` (large-pool protocol: queries from one split, candidates from more)."""
    out = EvalSet(es.name, list(es.motions))
    for text, rel in zip(es.texts, es.relevant):
        if all(keep_motion(es.motions[m]) for m in rel):
            out.texts.append(text)
            out.relevant.append(set(rel))
    return out


def evaluate_set(encoder, cache: FeatureCache, es: EvalSet,
                 text_embed: Callable[[list[str]], torch.Tensor] | None = None) -> dict[str, float]:
    was_training = encoder.training
    encoder.eval()
    try:
        m = embed_motions(encoder, cache, es.motions)
        with torch.no_grad():
            t = (text_embed or encoder.encode_text)(es.texts).float().cpu()
    finally:
        encoder.train(was_training)
    return retrieval_metrics((t @ m.T).numpy(), es.relevant)
