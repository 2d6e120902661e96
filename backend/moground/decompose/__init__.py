"""Prompt → ordered sub-actions.

``decompose`` reads the prompt with ``typed.split_typed``: a list (commas, lines,
";", "|", arrows, bullets, numbers) gives its items verbatim and never goes to an
LLM; a sentence goes through the offline clause rules, or a configured LLM. An LLM
that fails in any way (unreachable, slow, malformed or invented answer) falls back to
the rules, and the result says so in ``source`` and ``warnings`` so that the CLI,
the server and the add-on can show the user what happened. Every sub-action carries
the prompt span it came from and whether its text was changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterator, Literal

from .llm import LLMConfig, LLMFailure, llm_split
from ..wire.prompt.rules import MAX_PROMPT_CHARS, MAX_SUB_ACTIONS, normalize_phrase, split_actions
from ..wire.prompt.typed import SubAction, expand_repeats, locate, split_typed

__all__ = [
    "Decomposition",
    "LLMConfig",
    "MAX_PROMPT_CHARS",
    "MAX_SUB_ACTIONS",
    "SubAction",
    "decompose",
    "decompose_phrases",
    "normalize_phrase",
    "split_actions",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decomposition:
    """The sub-actions in time order (text, prompt span, changed), which decomposer
    produced them, notes on what was rewritten, and warnings."""

    items: list[SubAction]
    source: Literal["list", "rules", "llm"]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def phrases(self) -> list[str]:
        return [item.text for item in self.items]

    # It also reads as the sequence of its phrases, so code written against the
    # earlier "decompose(...) -> list[str]" contract keeps working.
    def __iter__(self) -> Iterator[str]:
        return iter(self.phrases)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> str:
        return self.items[index].text

    def to_dict(self) -> dict:
        return {
            "sub_actions": self.phrases,
            "spans": [[item.start, item.end] for item in self.items],
            "changed": [item.changed for item in self.items],
            "source": self.source,
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }


def decompose(prompt: str, llm: LLMConfig | None = None) -> Decomposition:
    """Split ``prompt``; raises BadPrompt for an empty, over-long or action-less prompt
    (checked by the rules first, so a bad prompt never costs an HTTP round trip)."""
    typed = split_typed(prompt)
    source = "list" if typed.mode == "list" else "rules"
    if llm is None or typed.mode == "list":
        return Decomposition(typed.items, source, list(typed.warnings), list(typed.notes))
    try:
        phrases = llm_split(prompt, llm)
    except LLMFailure as exc:
        warning = f"LLM decomposition failed, used the rules instead: {exc}"
        log.warning(warning)
        return Decomposition(typed.items, source, [warning, *typed.warnings], list(typed.notes))
    notes: list[str] = []
    items = expand_repeats(locate(prompt, phrases), notes)
    warnings = []
    if len(items) != len(typed.items):
        warnings.append(f"the LLM gave {len(items)} sub-actions where the rules found {len(typed.items)} "
                        f"({', '.join(typed.phrases)}): it may have merged, dropped or added some")
    return Decomposition(items, "llm", warnings, notes)


def decompose_phrases(prompt: str, llm: LLMConfig | None = None) -> list[str]:
    """Just the phrases, for callers that do not report the source."""
    return decompose(prompt, llm).phrases
