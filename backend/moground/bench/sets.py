"""Benchmark cases: what the grounding methods are scored on.

* ``realchains``: five real continuous CMU takes with human boundaries (the headline
  set): full takes (every sub-action, in order) and single queries (K=1, each label that
  occurs once in its take, searched in the whole take).
* ``spliced-cmu`` / ``spliced-bandai``: held-out clips of ONE source joined into
  sequences (one skeleton and capture system per sequence; CMU is one retargeted
  figure, Bandai one actor rig), cut where their poses and velocities match and
  cross-faded over 0.6 s, so that the joins are not easier to find than real action
  changes (checked by tests/test_bench_sets.py with ``motion_change``).

Every case is built twice: with the data's own words (``verbatim``: realchains labels,
Bandai caption templates, or held-out HumanML3D captions for CMU, marked ``caption``)
and, where the project wrote paraphrases, with open-vocabulary phrases (``open``). Each
case also carries a text control: the same phrases deranged so that no segment keeps
its own label, scored against the unchanged truth.

Everything is canonical 22-joint positions at 20 fps; spans are half-open frame intervals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..preprocess import canonicalize, facing_yaw, heading_yaws, rotate_y, to_heading_frame
from ..skeleton import JOINT_INDEX
from ..training.captions import bandai_captions
from ..training.motion_io import load_canonical
from ..training.sources import FPS, ClipRecord, load_records
from .open_vocab import paraphrase
from .realchains import load_takes, unique_labels

BLEND_S = 0.6  # cross-fade at a join (≥ 0.5 s: real transitions take 0.25–2 s, median 0.9 s)
MATCH_SEARCH_S = 1.0  # where to look for matching poses at the end/start of two pieces
PIECE_S = (2.0, 8.0)
BANDAI_TRIM = 0.2


@dataclass
class Case:
    set_name: str
    kind: str  # take | single | spliced
    vocab: str  # verbatim | open | caption
    clip_id: str  # unit of the bootstrap
    motion: np.ndarray  # [T, 22, 3] canonical at 20 fps
    phrases: list[str]
    spans: list[tuple[int, int]]  # ground truth per phrase, half-open frames
    labels: list[str]  # identity of each true segment's action (repeats allowed)
    control_phrases: list[str]  # phrases deranged: no segment keeps its own label
    ignore: np.ndarray | None = None  # [T] frames excluded from the "transitions excluded" IoU


LOTO_SETTINGS = Path(__file__).with_name("loto_settings.json")


def load_loto_settings(mode: str = "held_out") -> dict[str, dict]:
    """{realchains take id or kinectchains subject: decoder settings} (scripts/tune_fused.py).
    ``held_out``: tuned without that take (realchains) or subject (kinectchains);
    ``transfer``: tuned on the OTHER family and val spliced only."""
    if not LOTO_SETTINGS.is_file():
        return {}
    table = json.loads(LOTO_SETTINGS.read_text())
    if mode == "transfer":
        return table.get("transfer", {})
    return {**table.get("takes", {}), **table.get("subjects", {})}


def derange(labels: list[str], rng: np.random.Generator, tries: int = 10_000) -> list[int]:
    """A permutation p with labels[p[i]] != labels[i] for every i (labels may repeat)."""
    k = len(labels)
    for _ in range(tries):
        perm = [int(i) for i in rng.permutation(k)]
        if all(labels[p] != labels[i] for i, p in enumerate(perm)):
            return perm
    raise ValueError(f"no derangement exists for labels {labels}")


def realchain_cases(root=None, vocabs: tuple[str, ...] = ("verbatim", "open"), seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for take in load_takes(root):
        labels = [s.label for s in take.segments]
        spans = [(s.start, s.end) for s in take.segments]
        ignore = take.transition_mask()
        perm = derange(labels, rng)
        singles = [(i, sorted(set(labels) - {labels[i]})) for i in unique_labels(take)]
        single_ctrl = [others[int(rng.integers(len(others)))] for _, others in singles]
        for vocab in vocabs:
            say = (lambda lab: lab) if vocab == "verbatim" else (lambda lab: paraphrase("realchains", lab))
            cases.append(Case("realchains", "take", vocab, take.id, take.motion, [say(lab) for lab in labels], spans,
                              labels, [say(labels[p]) for p in perm], ignore))
            for (i, _), ctrl in zip(singles, single_ctrl):
                cases.append(Case("realchains", "single", vocab, take.id, take.motion, [say(labels[i])], [spans[i]],
                                  [labels[i]], [say(ctrl)], ignore))
    return cases


# ---- spliced sequences ---------------------------------------------------------------

def _body_pose(motion: np.ndarray) -> np.ndarray:
    """[T, 22, 3] joints relative to the pelvis (x/z) in each frame's heading frame."""
    rel = motion - motion[:, JOINT_INDEX["pelvis"] : JOINT_INDEX["pelvis"] + 1] * np.array([1.0, 0.0, 1.0])
    return to_heading_frame(rel, heading_yaws(motion))


def match_cut(prev: np.ndarray, nxt: np.ndarray, search: int) -> tuple[int, int]:
    """(end of ``prev``, start of ``nxt``): the pair of frames within ``search`` frames of
    the join whose body poses and joint velocities are closest."""
    pa, pb = _body_pose(prev), _body_pose(nxt)
    va, vb = np.gradient(pa, axis=0), np.gradient(pb, axis=0)
    ends = np.arange(max(1, len(prev) - search), len(prev))
    starts = np.arange(0, min(search, len(nxt) - 1))
    d_pose = np.linalg.norm(pa[ends][:, None] - pb[starts][None], axis=-1).mean(-1)
    d_vel = np.linalg.norm(va[ends][:, None] - vb[starts][None], axis=-1).mean(-1) * FPS
    cost = d_pose + 0.1 * d_vel
    a, b = np.unravel_index(int(cost.argmin()), cost.shape)
    return int(ends[a]) + 1, int(starts[b])


def _align_to(piece: np.ndarray, end_root_xz: np.ndarray, end_yaw: float) -> np.ndarray:
    """Place a canonical piece so that it starts where and facing the way the last ended."""
    out = rotate_y(piece, end_yaw) if end_yaw else piece.copy()
    out[..., 0] += end_root_xz[0] - out[0, 0, 0]
    out[..., 2] += end_root_xz[1] - out[0, 0, 2]
    return out


def splice(pieces: list[np.ndarray], blend: int, search: int = 0) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Join canonical pieces: cut each join where poses match best (within ``search``
    frames), place the next piece where the last one ends, and cross-fade over
    ``blend`` frames. Each true boundary is the middle of its cross-fade."""
    seq = canonicalize(pieces[0])
    spans = [(0, len(seq))]
    for piece in pieces[1:]:
        piece = canonicalize(piece)
        if search:
            end, start = match_cut(seq[spans[-1][0]:], piece, search)
            seq, piece = seq[: spans[-1][0] + end], piece[start:]
        nxt = _align_to(canonicalize(piece), seq[-1, 0, [0, 2]], facing_yaw(seq, frame=len(seq) - 1))
        b = min(blend, len(seq) // 2, len(nxt) // 2)
        w = np.linspace(0.0, 1.0, b + 2)[1:-1, None, None]
        start = len(seq) - b
        seq = np.concatenate([seq[:start], (1 - w) * seq[start:] + w * nxt[:b], nxt[b:]])
        mid = start + b // 2
        spans[-1] = (spans[-1][0], mid)
        spans.append((mid, len(seq)))
    return seq.astype(np.float32), spans


@dataclass
class Piece:
    record: ClipRecord
    span: tuple[int, int] | None  # 20 fps frames, None = whole clip
    label: str  # action identity (for the derangement)
    phrases: dict[str, str]  # vocab → phrase
    group: str  # pieces of one sequence share a group (same skeleton and capture system)


def _cmu_pieces(split: str, root) -> list[Piece]:
    from .caption_spans import distinct_spans

    out = []
    for rec in load_records(root, splits=(split,), sources=("cmu",)):
        for s, e, texts in distinct_spans(rec):
            text = texts[0]
            out.append(Piece(rec, (s, e), text.lower(), {"caption": text}, "cmu"))
    return out


def _bandai_pieces(split: str, root) -> list[Piece]:
    out = []
    for rec in load_records(root, splits=(split,), sources=("bandai",)):
        content = rec.meta["content"]
        phrases = {"verbatim": bandai_captions(content, rec.meta["style"])[0],
                   "open": paraphrase("bandai", content)}
        # Bandai clips start and end standing still: keep their middle, or every join is
        # a stop-and-start that no real take has
        t20 = int(rec.frames * FPS / rec.fps)
        span = (int(BANDAI_TRIM * t20), int((1 - BANDAI_TRIM) * t20)) if t20 >= 3 * FPS else None
        out.append(Piece(rec, span, content, phrases, f"bandai-{rec.id.split('_')[0]}"))
    return out


SPLICED_SOURCES = {"cmu": _cmu_pieces, "bandai": _bandai_pieces}


def spliced_cases(split: str = "test", root=None, count: int = 40, seed: int = 0,
                  sources: tuple[str, ...] = ("cmu", "bandai"), k_range: tuple[int, int] = (3, 5)) -> list[Case]:
    """``count`` sequences per source, each of K pieces with distinct labels from one
    skeleton/capture group, joined by ``splice`` with pose-matched cuts."""
    rng = np.random.default_rng(seed)
    cases = []
    for source in sources:
        pool = SPLICED_SOURCES[source](split, root)
        groups: dict[str, list[Piece]] = {}
        for p in pool:
            groups.setdefault(p.group, []).append(p)
        names = sorted(g for g, ps in groups.items() if len({p.label for p in ps}) >= k_range[1])
        for n in range(count):
            group = groups[names[n % len(names)]]
            k = int(rng.integers(k_range[0], k_range[1] + 1))
            chosen: list[Piece] = []
            for i in rng.permutation(len(group)):
                if group[i].label not in {c.label for c in chosen}:
                    chosen.append(group[i])
                if len(chosen) == k:
                    break
            motions = []
            for piece in chosen:
                m = load_canonical(piece.record)
                if piece.span is not None:
                    m = m[piece.span[0] : piece.span[1]]
                length = int(rng.integers(int(PIECE_S[0] * FPS), int(PIECE_S[1] * FPS) + 1))
                if len(m) > length:
                    off = int(rng.integers(0, len(m) - length + 1))
                    m = m[off : off + length]
                motions.append(m)
            seq, spans = splice(motions, int(round(BLEND_S * FPS)), int(round(MATCH_SEARCH_S * FPS)))
            labels = [c.label for c in chosen]
            perm = derange(labels, rng)
            for vocab in chosen[0].phrases:
                phrases = [c.phrases[vocab] for c in chosen]
                cases.append(Case(f"spliced-{source}", "spliced", vocab, f"spliced-{source}-{n:03d}", seq, phrases, spans,
                                  labels, [phrases[p] for p in perm]))
    return cases
