"""The list layer of the decomposer (moground.wire.prompt.typed): verbatim items, spans,
changed flags, repetition notes and the count warning."""

from __future__ import annotations

import pytest

from moground.decompose import decompose
from moground.wire.prompt.typed import split_typed
from moground.wire.errors import BadPrompt


def test_list_items_are_verbatim_with_their_spans() -> None:
    prompt = "  Jumping Jacks, squats ;idle_01 -> t-pose."
    result = decompose(prompt)
    assert result.source == "list"
    assert result.phrases == ["Jumping Jacks", "squats", "idle_01", "t-pose"]
    assert [prompt[i.start:i.end] for i in result.items] == result.phrases
    assert not any(i.changed for i in result.items)


def test_idle_walk_idle_is_three_sub_actions() -> None:
    assert decompose("idle, walk, idle").phrases == ["idle", "walk", "idle"]


def test_leading_sequence_word_is_dropped_and_marked_changed() -> None:
    prompt = "walk, and wave, next,"
    result = decompose(prompt)
    assert result.source == "list" and result.phrases == ["walk", "wave"]
    assert [i.changed for i in result.items] == [False, True]
    assert prompt[result.items[1].start:result.items[1].end] == "and wave"
    assert any("next" in n for n in result.notes)


def test_then_makes_a_comma_piece_prose() -> None:
    result = decompose("walk forward, then jump and wave")
    assert result.source == "rules" and result.phrases == ["walk forward", "jump", "wave"]


@pytest.mark.parametrize("prompt", ["walk x3", "walk \u00d73", "3x walk", "walk X 3"])
def test_repetition_shorthand_expands_with_a_note(prompt: str) -> None:
    result = decompose(prompt)
    assert result.phrases == ["walk"] * 3 and all(i.changed for i in result.items)
    assert len(result.notes) == 1 and "expanded" in result.notes[0]


@pytest.mark.parametrize("prompt", ["jump x1", "jump x99", "max3", "walk 3 steps", "hop once"])
def test_other_counts_are_not_expanded(prompt: str) -> None:
    assert decompose(prompt).phrases == [prompt]


def test_sentence_spans_point_at_the_words() -> None:
    prompt = "A person walks in, picks up the box and then sits down"
    result = decompose(prompt)
    assert result.source == "rules" and result.phrases == ["walk in", "pick up the box", "sit down"]
    assert [prompt[i.start:i.end] for i in result.items] == ["walks in", "picks up the box", "sits down"]
    assert all(i.changed for i in result.items)


def test_mixed_prompt_lists_lines_and_splits_a_sentence_line() -> None:
    result = split_typed("idle\nthe actor walks in and then sits down\nwave")
    assert result.mode == "mixed" and result.phrases == ["idle", "walk in", "sit down", "wave"]


def test_fewer_sentence_sub_actions_than_comma_parts_is_a_warning() -> None:
    # the rules join a participle to the clause before it: 2 comma parts, 1 phrase
    result = split_typed("a person waves, smiling")
    assert len(result.items) < 2 and result.warnings and "2 parts" in result.warnings[0]


@pytest.mark.parametrize("prompt", ["", "  ", ", ;", "then", "x" * 5000])
def test_bad_prompts_are_clean_errors(prompt: str) -> None:
    with pytest.raises(BadPrompt):
        decompose(prompt)


@pytest.mark.parametrize("prompt, expect", [
    ("1. walk 2) jump (3) wave", ["walk", "jump", "wave"]),
    ("1.5 m walk, jump", ["1.5 m walk", "jump"]),  # a decimal is not a list number
])
def test_inline_numbers_count_up(prompt: str, expect: list[str]) -> None:
    assert decompose(prompt).phrases == expect
