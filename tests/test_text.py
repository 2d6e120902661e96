"""One stemmer for prompts, the LLM check, the action lexicon and training coverage."""

from __future__ import annotations

from moground.text import actions
from moground.wire.prompt import words


def test_one_stemmer_for_every_text_matcher():
    assert not hasattr(actions, "_stem") and actions.stem is words.stem
    assert {words.stem(w) for w in ("walks", "walking", "walked")} == {"walk"}
    assert "cross" in actions.match_entries("crosses the arms in front of the chest")
