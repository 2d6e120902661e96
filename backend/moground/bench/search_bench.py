"""Library search benchmark: find known moments in a corpus of whole takes.

Queries are the distinctive realchains labels (every label but "walk", verbatim and as
the project's open-vocabulary paraphrase) and the timed HumanML3D spans of one CMU
split that do not cover their whole clip. The corpus is every CMU take of that split
plus the five realchains takes. A ranked span is correct when it lies in a take where
the query's answer is (the label's segments; the caption's own trial) and overlaps one
answer with IoU at or above the threshold.

Methods are compared on the same corpus, queries and metrics: the library search
(coarse stored windows, then refinement), its coarse stage alone, and the
sliding-window pyramid baseline, which encodes every window crop on its own with the
same encoder and ranks the windows by cosine (with the same overlap suppression).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import comb
from pathlib import Path

import numpy as np
import torch

from ..encoders.base import MotionTextEncoder
from ..grounding.metrics import iou as interval_iou  # "iou" names the thresholds below
from ..grounding.phrases import encode_phrases
from ..grounding.window import window_bank
from ..library.search import Searcher, SearchOptions, best_distinct
from ..library.threads import one_torch_thread
from ..library.sources import FoundFile, read_takes
from ..library.store import LibraryIndex
from ..paths import data_root
from ..training.sources import FPS
from .open_vocab import paraphrase
from .realchains import load_takes
from .stats import bootstrap_ci

KS: tuple[int, ...] = (1, 5, 10)
# IoU thresholds a span must reach; "any" (any overlap with an answer) says whether the
# moment was found at all, whatever its bounds
IOUS: dict[str, float] = {"0.3": 0.3, "0.5": 0.5, "any": 1e-9}
GENERIC_LABELS = frozenset({"walk"})  # in every realchains take: not a moment to search for


@dataclass(frozen=True)
class Span:
    """A moment: the take's id (trial id or shard clip id) and seconds from its first frame."""

    take: str
    start_s: float
    end_s: float


@dataclass
class Query:
    text: str
    group: str  # "realchains/verbatim", "realchains/open", "hml/test" ...
    label: str  # the realchains label, or the HumanML3D id
    answers: list[Span]


@dataclass
class MethodRun:
    """One method's ranked spans for every query, and what it cost."""

    name: str
    ranked: list[list[Span]]
    seconds_per_query: list[float]
    index_seconds: float = 0.0  # text-free preparation of the corpus (0: shared index)


# ---- queries and corpus ----------------------------------------------------------------

def realchains_queries(root=None, vocabs: Sequence[str] = ("verbatim", "open")) -> list[Query]:
    """One query per distinctive label and vocabulary; its answers are every segment
    with that label in any realchains take."""
    answers: dict[str, list[Span]] = {}
    for take in load_takes(root):
        for seg in take.segments:
            answers.setdefault(seg.label, []).append(Span(take.id, seg.start / FPS, seg.end / FPS))
    out = []
    for vocab in vocabs:
        for label in sorted(answers):
            if label in GENERIC_LABELS:
                continue
            text = label if vocab == "verbatim" else paraphrase("realchains", label)
            out.append(Query(text, f"realchains/{vocab}", label, answers[label]))
    return out


def split_trials(split: str, root=None) -> list[str]:
    return list(json.loads((data_root(root) / "splits.json").read_text())["cmu"][split])


def hml_queries(split: str, root=None) -> list[Query]:
    """The split's timed HumanML3D captions that do not cover their whole trial; the
    answer is the caption's span in its own trial (trial clock less ``t0_s``)."""
    ids = set(split_trials(split, root))
    trials = json.loads((data_root(root) / "cmu" / "index.json").read_text())["trials"]
    out = []
    for rec in trials:
        if rec["id"] not in ids:
            continue
        t0 = float(rec.get("t0_s", 0.0))
        for seg in rec.get("hml_segments") or []:
            if seg.get("whole_clip"):
                continue
            start, end = max(0.0, seg["start_s"] - t0), min(rec["duration_s"], seg["end_s"] - t0)
            out.append(Query(seg["text"], f"hml/{split}", str(seg.get("humanml_id", rec["id"])),
                             [Span(rec["id"], start, end)]))
    return out


def write_split_corpus(split: str, folder: str | Path, root=None) -> list[Path]:
    """The split's CMU trials as npz files in ``folder``, so the index holds that split only."""
    return write_trials(split_trials(split, root), folder, root)


def write_trials(trials: Sequence[str], folder: str | Path, root=None) -> list[Path]:
    """CMU trials as MoGround npz files in ``folder`` (one take each, named by trial id).
    Existing files are kept, so an incremental re-index finds them unchanged."""
    from ..io import save_npz
    from ..io.shards import load_cmu_trial

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for trial in trials:
        path = folder / f"{trial}.npz"
        if not path.is_file():
            save_npz(path, load_cmu_trial(trial, root))
        paths.append(path)
    return paths


def take_id(file: str, take: str) -> str:
    """A take's id as the queries name it: the shard clip id, else the file's stem."""
    return take or Path(file).stem


# ---- methods ---------------------------------------------------------------------------

def run_library(searcher: Searcher, queries: list[Query], top: int, refine: bool) -> MethodRun:
    opts = SearchOptions(top=top, refine=refine)
    ranked, secs = [], []
    for q in queries:
        t0 = time.perf_counter()
        hits = searcher.search(q.text, opts)
        secs.append(time.perf_counter() - t0)
        ranked.append([Span(take_id(h.file, h.take), h.start_s, h.end_s) for h in hits])
    return MethodRun("library (refined)" if refine else "library (coarse only)", ranked, secs)


@dataclass
class WindowPyramid:
    """The sliding-window baseline over an index's takes: every window of every scale
    encoded on its own (``grounding.window.window_bank``)."""

    index: LibraryIndex
    emb: torch.Tensor  # [W, D] float32
    spans: np.ndarray  # [W, 3] take number, first, end (encoder frames)
    seconds: float  # encoding time

    @classmethod
    def build(cls, index: LibraryIndex, encoder: MotionTextEncoder,
              takes: Sequence[int] | None = None) -> "WindowPyramid":
        """Encode the windows of ``takes`` (take numbers; default every take)."""
        with one_torch_thread():  # as indexing runs
            return cls._build(index, encoder, takes)

    @classmethod
    def _build(cls, index: LibraryIndex, encoder: MotionTextEncoder, takes: Sequence[int] | None) -> "WindowPyramid":
        from ..canonical import canonical_motion

        t0 = time.perf_counter()
        scales = tuple(index.manifest.scales_s)
        embs, spans = [], []
        numbers = list(range(len(index.takes))) if takes is None else list(takes)
        clips = _take_clips(index, numbers)
        for number in numbers:
            rec = index.takes[number]
            prepared = canonical_motion(clips[rec.key], None, encoder.fps, [])
            motion = torch.from_numpy(np.ascontiguousarray(prepared.positions))
            bank = window_bank(encoder, motion, encoder.fps, scales)
            for cover, emb in zip(bank.cover, bank.emb):
                first = cover.argmax(dim=1).numpy()
                length = cover.sum(dim=1).numpy().astype(np.int64)
                spans.append(np.stack([np.full_like(first, number), first, first + length], axis=1))
                embs.append(emb.float())
        return cls(index, torch.cat(embs), np.concatenate(spans).astype(np.int64), time.perf_counter() - t0)

    def rank(self, query: torch.Tensor, top: int) -> list[Span]:
        with one_torch_thread():  # as the library search runs
            sims = (self.emb @ query.float().cpu()).numpy()
        rows = best_distinct(np.arange(len(sims)), sims, self.spans, top)
        fps = self.index.fps
        out = []
        for w in rows:
            number, s, e = (int(v) for v in self.spans[w])
            rec = self.index.takes[number]
            out.append(Span(take_id(rec.file, rec.take), rec.to_seconds(s, fps), rec.to_seconds(e, fps)))
        return out


def _take_clips(index: LibraryIndex, numbers: Sequence[int]) -> dict:
    """{take key: MotionClip} read again from the index's source files."""
    clips = {}
    for path in dict.fromkeys(index.takes[n].file for n in numbers):
        for take in read_takes(FoundFile(Path(path), Path(path).name)):
            key = path if not take.name else f"{path}::{take.name}"
            clips[key] = take.clip
    return clips


def run_pyramid(pyramid: WindowPyramid, encoder: MotionTextEncoder, queries: list[Query], top: int) -> MethodRun:
    ranked, secs = [], []
    for q in queries:
        t0 = time.perf_counter()
        emb = encode_phrases(encoder, [q.text])[0]
        ranked.append(pyramid.rank(emb, top))
        secs.append(time.perf_counter() - t0)
    return MethodRun("sliding-window pyramid", ranked, secs, index_seconds=pyramid.seconds)


# ---- metrics ---------------------------------------------------------------------------

def span_iou(a: Span, b: Span) -> float:
    """Temporal IoU of two moments; 0 for moments of different takes."""
    return interval_iou((a.start_s, a.end_s), (b.start_s, b.end_s)) if a.take == b.take else 0.0


def first_correct_rank(ranked: Sequence[Span], answers: Sequence[Span], iou: float) -> int | None:
    """1-based rank of the first span that matches any answer at ``iou``; None if none does."""
    for rank, span in enumerate(ranked, start=1):
        if any(span_iou(span, a) >= iou for a in answers):
            return rank
    return None


def chance_recall(pool: int, correct: int, k: int) -> float:
    """R@k of a ranking drawn uniformly at random from ``pool`` candidates of which
    ``correct`` are right: 1 - C(pool - correct, k) / C(pool, k)."""
    if pool <= 0 or correct <= 0:
        return 0.0
    k = min(k, pool)
    return 1.0 - comb(pool - correct, k) / comb(pool, k)


def correct_windows(index: LibraryIndex, answers: Sequence[Span], iou: float) -> int:
    """How many of the index's stored windows match an answer at ``iou`` (the correct
    candidates of the chance ranking)."""
    fps = index.fps
    count = 0
    for number, rec in enumerate(index.takes):
        mine = [a for a in answers if a.take == take_id(rec.file, rec.take)]
        if not mine:
            continue
        rows = np.asarray(index.spans[rec.win_row : rec.win_row + rec.win_count])
        for _, s, e in rows.tolist():
            span = Span(mine[0].take, rec.to_seconds(s, fps), rec.to_seconds(e, fps))
            count += any(span_iou(span, a) >= iou for a in mine)
    return count


@dataclass
class Row:
    """One method on one query group."""

    method: str
    group: str
    queries: int
    recall: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # "R@5@0.3" → (est, lo, hi)
    median_rank: dict[str, float] = field(default_factory=dict)  # "0.3" → median (top + 1 = not found)
    answers_per_query: float = 0.0
    pool: int = 0
    chance: dict[str, float] = field(default_factory=dict)  # "R@5@0.3" → mean chance R@k
    ms_per_query: float = 0.0
    index_s: float = 0.0


def score_group(run: MethodRun, queries: list[Query], idx: list[int], index: LibraryIndex, top: int,
                seed: int = 0) -> Row:
    """R@k with bootstrap CIs over queries, median rank, answers per query, pool, chance."""
    pool = int(index.spans.shape[0])
    row = Row(run.name, queries[idx[0]].group, len(idx), pool=pool,
              answers_per_query=float(np.mean([len(queries[i].answers) for i in idx])),
              ms_per_query=1000.0 * float(np.mean([run.seconds_per_query[i] for i in idx])),
              index_s=run.index_seconds)
    for name, iou in IOUS.items():
        ranks = [first_correct_rank(run.ranked[i], queries[i].answers, iou) for i in idx]
        capped = np.array([r if r is not None else top + 1 for r in ranks], dtype=float)
        row.median_rank[name] = float(np.median(capped))
        correct = [correct_windows(index, queries[i].answers, iou) for i in idx]
        for k in KS:
            hits = [np.array([float(r <= k)]) for r in capped]
            row.recall[f"R@{k}@{name}"] = bootstrap_ci(hits, seed=seed)
            row.chance[f"R@{k}@{name}"] = float(np.mean([chance_recall(pool, c, k) for c in correct]))
    return row


def score_runs(runs: list[MethodRun], queries: list[Query], index: LibraryIndex, top: int) -> list[Row]:
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(queries):
        groups.setdefault(q.group, []).append(i)
    return [score_group(run, queries, idx, index, top) for idx in groups.values() for run in runs]


def format_rows(rows: list[Row], top: int) -> str:
    """The result table: one line per method and query group, R@k as est [lo, hi]."""
    lines = []
    for name in IOUS:
        level = "any overlap (IoU > 0)" if name == "any" else f"IoU >= {name}"
        lines.append(f"\n{level}   R@k in % [95% bootstrap CI over queries]; chance = random ranking of the pool")
        head = f"{'group':<20} {'method':<23} {'n':>3} " + " ".join(f"{'R@' + str(k):>17}" for k in KS)
        head += f" {'med.rank':>8} " + " ".join(f"{'chance@' + str(k):>9}" for k in KS)
        lines.append(head)
        for r in rows:
            cells = []
            for k in KS:
                est, lo, hi = r.recall[f"R@{k}@{name}"]
                cells.append(f"{100 * est:5.1f} [{100 * lo:4.1f},{100 * hi:5.1f}]")
            med = r.median_rank[name]
            med_s = f">{top}" if med > top else f"{med:g}"
            chance = " ".join(f"{100 * r.chance[f'R@{k}@{name}']:8.2f}%" for k in KS)
            lines.append(f"{r.group:<20} {r.method:<23} {r.queries:>3} " + " ".join(f"{c:>17}" for c in cells)
                         + f" {med_s:>8} {chance}")
    lines.append(f"\n{'group':<20} {'method':<23} {'answers/query':>13} {'pool':>7} {'ms/query':>9} {'prep s':>7}")
    for r in rows:
        lines.append(f"{r.group:<20} {r.method:<23} {r.answers_per_query:>13.2f} {r.pool:>7} "
                     f"{r.ms_per_query:>9.1f} {r.index_s:>7.1f}")
    return "\n".join(lines)


def take_descriptions(root=None) -> dict[str, str]:
    """{CMU trial id: CMU's own description}, to read what an "incorrect" hit shows."""
    trials = json.loads((data_root(root) / "cmu" / "index.json").read_text())["trials"]
    return {r["id"]: r.get("description") or "" for r in trials}


def format_top_hits(run: MethodRun, queries: list[Query], describe: dict[str, str], shown: int = 3) -> str:
    """Each query's first ranked spans with the take's CMU description: a hit counted
    wrong may show the action in a take nobody labelled (a "Run" trial for "run")."""
    lines = [f"\ntop {shown} of {run.name} per query (* = correct at IoU >= 0.3; realchains takes have no description)"]
    for q, ranked in zip(queries, run.ranked):
        cells = []
        for span in ranked[:shown]:
            mark = "*" if first_correct_rank([span], q.answers, IOUS["0.3"]) else " "
            cells.append(f"{mark}{span.take} {span.start_s:.1f}-{span.end_s:.1f}s {describe.get(span.take, '')[:24]}")
        lines.append(f"{q.group:<20} {q.text[:34]:<34} | " + " | ".join(cells))
    return "\n".join(lines)


def plot_rows(rows: list[Row], path: str | Path) -> None:
    """R@1/5/10 bars per method, one panel per query group (columns) and IoU level
    (rows), with their CIs and chance marks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys(r.group for r in rows))
    methods = list(dict.fromkeys(r.method for r in rows))
    fig, axes = plt.subplots(len(IOUS), len(groups), figsize=(4.2 * len(groups), 3.0 * len(IOUS)),
                             sharey=True, squeeze=False)
    width = 0.8 / len(methods)
    top = max(100 * v[2] for r in rows for v in r.recall.values())
    for axrow, level in zip(axes, IOUS):
        for ax, group in zip(axrow, groups):
            for m, method in enumerate(methods):
                r = next(x for x in rows if x.group == group and x.method == method)
                est = np.array([r.recall[f"R@{k}@{level}"] for k in KS]) * 100
                xs = np.arange(len(KS)) + (m - (len(methods) - 1) / 2) * width
                ax.bar(xs, est[:, 0], width, label=method,
                       yerr=[est[:, 0] - est[:, 1], est[:, 2] - est[:, 0]], capsize=2)
                ax.scatter(xs, [100 * r.chance[f"R@{k}@{level}"] for k in KS], marker="_", color="k", s=80,
                           label="chance" if m == 0 else None, zorder=3)
            ax.set_xticks(range(len(KS)), [f"R@{k}" for k in KS])
            ax.set_title(f"{group} (n={r.queries}), " + ("any overlap" if level == "any" else f"IoU >= {level}"),
                         fontsize=9)
            ax.set_ylim(0, min(100, 10 * np.ceil(top / 10 + 0.5)))
        axrow[0].set_ylabel("% of queries")
    axes[0][-1].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
