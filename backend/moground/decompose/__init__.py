"""Prompt → ordered sub-action phrases.

``decompose`` uses the offline rules unless an LLM is configured; a configured LLM
that fails in any way (unreachable, slow, malformed or invented answer) falls back
to the rules, and the result says so in ``source`` and ``warnings`` so that the CLI,
the server and the add-on can show the user what happened.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterator, Literal

from .llm import LLMConfig, LLMFailure, llm_split
from .rules import MAX_PROMPT_CHARS, MAX_SUB_ACTIONS, normalize_phrase, split_actions

__all__ = [
    "Decomposition",
    "LLMConfig",
    "MAX_PROMPT_CHARS",
    "MAX_SUB_ACTIONS",
    "decompose",
    "decompose_phrases",
    "normalize_phrase",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decomposition:
    """The phrases in time order, which decomposer produced them, and any warnings."""

    phrases: list[str]
    source: Literal["rules", "llm"]
    warnings: list[str] = field(default_factory=list)

    # It also reads as the sequence of its phrases, so code written against the
    # earlier "decompose(...) -> list[str]" contract keeps working.
    def __iter__(self) -> Iterator[str]:
        return iter(self.phrases)

    def __len__(self) -> int:
        return len(self.phrases)

    def __getitem__(self, index: int) -> str:
        return self.phrases[index]

    def to_dict(self) -> dict:
        return {"sub_actions": list(self.phrases), "source": self.source, "warnings": list(self.warnings)}


def decompose(prompt: str, llm: LLMConfig | None = None) -> Decomposition:
    """Split ``prompt``; raises BadPrompt for an empty, over-long or action-less prompt
    (checked by the rules first, so a bad prompt never costs an HTTP round trip)."""
    rule_phrases = split_actions(prompt)
    if llm is None:
        return Decomposition(rule_phrases, "rules")
    try:
        return Decomposition(llm_split(prompt, llm), "llm")
    except LLMFailure as exc:
        warning = f"LLM decomposition failed, used the rules instead: {exc}"
        log.warning(warning)
        return Decomposition(rule_phrases, "rules", [warning])


def decompose_phrases(prompt: str, llm: LLMConfig | None = None) -> list[str]:
    """Just the phrases, for callers that do not report the source."""
    return decompose(prompt, llm).phrases
