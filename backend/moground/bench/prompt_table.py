"""The prompt table: how often a typed prompt splits into exactly the intended sub-actions.

Two kinds of case, both scored with the same two rates per style:
* list styles, generated at run time (seeded) from the action labels in the shared data
  indexes (realchains and kinectchains takes, the actions/ clip labels) joined with every
  list separator and marker the prompt rules accept; the expected items are the labels
  themselves, verbatim. Nothing from the data is committed, only the generator.
* hand-written cases (``tests/prompt_table.json``): sentences, numbered and one-per-line
  lists, mixed case, typos, filler, repetition shorthand and pose tokens.

``exact`` is string equality of the whole list; ``count`` is equality of its length.
Labels containing a list separator or a sequence word ("then") are left out of the
generated lists: typed inside a list they mean a split, by definition.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..paths import data_root

TABLE = Path(__file__).resolve().parents[3] / "tests" / "prompt_table.json"
ACTION_PARTS = ("hdm05", "msr_action3d", "utkinect", "msrc12")
SEPARATORS: dict[str, Callable[[list[str]], str]] = {
    "list-comma": lambda items: ", ".join(items),
    "list-comma-tight": lambda items: ",".join(items),
    "list-semicolon": lambda items: "; ".join(items),
    "list-newline": lambda items: "\n".join(items),
    "list-pipe": lambda items: " | ".join(items),
    "list-arrow": lambda items: " -> ".join(items),
    "list-unicode-arrow": lambda items: " \u2192 ".join(items),
    "list-bullet-dash": lambda items: "\n".join(f"- {x}" for x in items),
    "list-bullet-dot": lambda items: "\n".join(f"\u2022 {x}" for x in items),
    "list-numbered-lines": lambda items: "\n".join(f"{i}. {x}" for i, x in enumerate(items, 1)),
    "list-numbered-paren": lambda items: "\n".join(f"{i}) {x}" for i, x in enumerate(items, 1)),
    "list-numbered-inline": lambda items: " ".join(f"{i}. {x}" for i, x in enumerate(items, 1)),
}
_UNTYPEABLE = re.compile(r"[,;|\n\u2192]|->|\b(?:then|after that|afterwards?|followed by|finally)\b|^\s*(?:\d+[.)]|[-*\u2022])\s")


@dataclass(frozen=True)
class PromptCase:
    style: str
    prompt: str
    expect: list[str]


def take_label_lists(root=None) -> dict[str, list[list[str]]]:
    """{set name: one label list per take} for the real-take sets in the data folder."""
    base = data_root(root)
    out: dict[str, list[list[str]]] = {}
    for name in ("realchains", "kinectchains"):
        index = base / name / "index.json"
        if index.is_file():
            trials = json.loads(index.read_text())["trials"]
            out[name] = [[s["label"] for s in t["segments"]] for t in trials if t.get("segments")]
    return out


def action_labels(root=None) -> list[str]:
    base = data_root(root) / "actions"
    labels: set[str] = set()
    for part in ACTION_PARTS:
        index = base / part / "index.json"
        if index.is_file():
            labels |= {c["action"] for c in json.loads(index.read_text())["clips"]}
    return sorted(labels)


def generated_cases(root=None, seed: int = 0, random_lists: int = 8) -> list[PromptCase]:
    """Every take's labels, plus ``random_lists`` seeded label draws from actions/, under every separator."""
    rng = np.random.default_rng(seed)
    lists = [labels for takes in take_label_lists(root).values() for labels in takes]
    pool = [a for a in action_labels(root) if not _UNTYPEABLE.search(a)]
    for _ in range(random_lists if pool else 0):
        size = int(rng.integers(2, 7))
        lists.append([pool[int(i)] for i in rng.choice(len(pool), size=size)])
    lists = [labels for labels in lists if not any(_UNTYPEABLE.search(x) for x in labels)]
    return [PromptCase(style, join(labels), list(labels)) for style, join in SEPARATORS.items() for labels in lists]


def written_cases(path: str | Path = TABLE) -> list[PromptCase]:
    rows = json.loads(Path(path).read_text())["cases"]
    return [PromptCase(r["style"], r["prompt"], list(r["expect"])) for r in rows]


def all_cases(root=None, seed: int = 0, path: str | Path = TABLE) -> list[PromptCase]:
    return generated_cases(root, seed) + (written_cases(path) if Path(path).is_file() else [])


def score(cases: Sequence[PromptCase], split: Callable[[str], list[str]]) -> dict[str, dict[str, float]]:
    """{style: {cases, exact, count}} with rates in [0, 1]; a prompt the splitter rejects counts as wrong."""
    tally: dict[str, list[int]] = {}
    for case in cases:
        try:
            got = list(split(case.prompt))
        except Exception:  # noqa: BLE001 - a rejected prompt is a wrong split, not a crash of the table
            got = []
        row = tally.setdefault(case.style, [0, 0, 0])
        row[0] += 1
        row[1] += got == case.expect
        row[2] += len(got) == len(case.expect)
    return {s: {"cases": n, "exact": e / n, "count": c / n} for s, (n, e, c) in sorted(tally.items())}


def failures(cases: Sequence[PromptCase], split: Callable[[str], list[str]]) -> list[tuple[PromptCase, list[str]]]:
    out = []
    for case in cases:
        try:
            got = list(split(case.prompt))
        except Exception as exc:  # noqa: BLE001
            got = [f"<{type(exc).__name__}: {exc}>"]
        if got != case.expect:
            out.append((case, got))
    return out


def format_table(rates: dict[str, dict[str, float]]) -> str:
    lines = [f"{'style':<24} {'cases':>5} {'exact list':>10} {'item count':>10}"]
    for style, r in rates.items():
        lines.append(f"{style:<24} {r['cases']:>5} {r['exact'] * 100:>9.1f}% {r['count'] * 100:>9.1f}%")
    return "\n".join(lines)
