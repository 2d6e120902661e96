"""How much of the action vocabulary (shared/data/vocab) the training text covers.

A vocabulary phrase counts as covered when every content word of it occurs in the
training text (after light stemming). "After" adds the describer's captions and the
lexicon: a word is also covered when it belongs to a lexicon entry matched in the
phrase whose expansion is itself covered by the training text — that is the path an
unseen action name takes at grounding time.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..text.actions import LEXICON, match_entries
from ..wire.prompt.words import stem

STOP = set("""a an the and or of to in on at with by for from up down into onto out over off as is are be
it its his her their them him he she they this that while then one two both some something someone person
back""".split()) - {"up", "down", "back", "over", "off", "out"}
_WORD = re.compile(r"[a-z]+")


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text.lower()) if w not in STOP and len(w) > 1}


def vocabulary(texts: list[str], min_count: int = 1) -> set[str]:
    """Content stems occurring in at least ``min_count`` distinct training captions
    (one mention in one terse description teaches the encoder little)."""
    counts: dict[str, int] = {}
    for t in set(texts):
        for w in content_stems(t):
            counts[w] = counts.get(w, 0) + 1
    return {w for w, c in counts.items() if c >= min_count}


def read_vocab(root: Path) -> list[str]:
    path = root / "vocab" / "babel_action_labels.txt"
    return [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]


def phrase_covered(phrase: str, vocab: set[str], use_lexicon: bool) -> bool:
    words = content_stems(phrase)
    if not words:
        return True
    missing = words - vocab
    if not missing or not use_lexicon:
        return not missing
    for key in match_entries(phrase):
        if any(content_stems(d) <= vocab for d in LEXICON[key]):
            missing -= content_stems(key)
    return not missing


def coverage(phrases: list[str], vocab: set[str], use_lexicon: bool) -> dict[str, float]:
    """Share of phrases fully covered and share of their content words covered."""
    covered = sum(phrase_covered(p, vocab, use_lexicon) for p in phrases)
    words = [w for p in phrases for w in content_stems(p)]
    lex_words: set[str] = set()
    if use_lexicon:
        for p in phrases:
            for key in match_entries(p):
                if any(content_stems(d) <= vocab for d in LEXICON[key]):
                    lex_words |= content_stems(key)
    w_cov = sum(w in vocab or w in lex_words for w in words)
    return {"phrases": len(phrases), "phrase_coverage": covered / max(len(phrases), 1),
            "word_coverage": w_cov / max(len(words), 1)}



def measure(root: Path, cache_dir: Path | None = None, cmu_only: bool = False, progress: bool = True,
            min_counts: tuple[int, ...] = (1, 5)) -> dict:
    """Coverage of vocab/ before (dataset captions) and after (+ describer + lexicon)."""
    from .cache import build_cache
    from .captions import action_captions, bandai_captions
    from .dataset import all_describer_windows
    from .sources import load_records

    recs = [r for r in load_records(root, splits=("train",)) if not cmu_only or r.source == "cmu"]
    base: list[str] = []
    for r in recs:
        base += [c.text for c in r.captions]
        if r.source == "bandai":
            base += bandai_captions(r.meta["content"], r.meta["style"])
    cache = build_cache(load_records(root), cache_dir, progress=progress)
    wins = all_describer_windows([r.uid for r in recs if r.uid in cache], cache, progress=progress)
    described = [c for ws in wins.values() for _, _, caps in ws for c in caps]
    extra = [t for r in recs if r.source not in ("cmu", "bandai") for t in action_captions(r.captions[0].text)]
    phrases = read_vocab(root)
    out: dict = {"describer_captions": len(set(described)), "dataset_captions": len(set(base))}
    for k in min_counts:
        out[f"min_count_{k}"] = {
            "before": coverage(phrases, vocabulary(base, k), use_lexicon=False),
            "after": coverage(phrases, vocabulary(base + described + extra, k), use_lexicon=True),
        }
    return out
