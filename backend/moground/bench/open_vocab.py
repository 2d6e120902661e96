"""Open-vocabulary phrases for the bench, and the check that they were never training text.

A grounding method that only works with the captions it was trained on is not open
vocabulary. The bench therefore runs every set twice: with the data set's own words
(verbatim labels or captions) and with paraphrases the project wrote
(``open_vocab.json``). ``vocab_report`` compares each paraphrase with every caption
the encoder saw in training (train split of every source, their templated and
mirrored forms, lexicon expansions and the describer's phrase fragments): it must
not occur verbatim, and its nearest training caption by MiniLM cosine is reported.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

OPEN_VOCAB_FILE = Path(__file__).with_name("open_vocab.json")


@lru_cache(maxsize=1)
def open_vocab() -> dict:
    return json.loads(OPEN_VOCAB_FILE.read_text())


def paraphrase(set_name: str, label: str) -> str:
    """The project's open-vocabulary phrase for ``label`` of ``set_name``."""
    table = open_vocab()[set_name]
    if label not in table:
        raise KeyError(f"no open-vocabulary phrase for {label!r} in {OPEN_VOCAB_FILE.name} [{set_name}]")
    return table[label]


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]+", "", re.sub(r"\s+", " ", text.lower())).strip()


def _describer_fragments() -> set[str]:
    """Every string literal of the describer's source of two words or more, as a
    caption: a superset of the single-event captions it writes for training."""
    from ..training import describer

    tree = ast.parse(Path(describer.__file__).read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip(" ,")
            if len(text.split()) >= 2 and "\n" not in text:
                out.add(f"a person {text}")
    return out


def training_texts(root=None) -> list[str]:
    """Every caption string the builtin encoder is trained on (train split), deduplicated."""
    from ..text.actions import expand_phrase
    from ..training.captions import action_captions, bandai_captions, mirror_text
    from ..training.sources import load_records

    texts: set[str] = set()
    for rec in load_records(root, splits=("train",)):
        if rec.source == "bandai":
            texts.update(bandai_captions(rec.meta["content"], rec.meta["style"]))
        for cap in rec.captions:
            texts.update(action_captions(cap.text) if cap.kind == "action" else [cap.text])
    texts |= _describer_fragments()
    texts |= {e for t in list(texts) for e in expand_phrase(t, max_items=2)[1:]}
    texts |= {mirror_text(t) for t in list(texts)}
    return sorted(texts)


@lru_cache(maxsize=1)
def _training_embeddings(root: str | None) -> tuple[list[str], torch.Tensor]:
    from ..training.text_cache import minilm_embeddings

    train = training_texts(root)
    return train, minilm_embeddings(train, None, progress=False)


@dataclass
class PhraseCheck:
    phrase: str
    verbatim: bool
    max_cosine: float
    nearest: str


def vocab_report(phrases: list[str], root=None) -> list[PhraseCheck]:
    """For each phrase: verbatim in training text?, highest MiniLM cosine and that caption."""
    from ..training.text_cache import minilm_embeddings

    train, emb_train = _training_embeddings(str(root) if root else None)
    seen = {normalise(t) for t in train}
    # "a person ..." is how training captions start; compare the phrase in that form too
    queries = [f"a person {p}" for p in phrases]
    emb_q = minilm_embeddings(queries + list(phrases), None, progress=False)
    sims = torch.maximum(emb_q[: len(phrases)] @ emb_train.T, emb_q[len(phrases) :] @ emb_train.T)
    best, arg = sims.max(dim=1)
    return [
        PhraseCheck(p, normalise(p) in seen or normalise(q) in seen, float(b), train[int(a)])
        for p, q, b, a in zip(phrases, queries, best, arg)
    ]
