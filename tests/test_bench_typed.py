"""The bench's typed rows: real takes typed as one prompt give the very sub-actions
the actions= rows pass, so the two rows score the same (bench/typed_rows.py)."""

from __future__ import annotations

import pytest

from moground.bench.sets import realchain_cases
from moground.bench.typed_rows import with_typed_cases
from moground.wire.errors import MoGroundError


def test_every_verbatim_take_gets_an_identical_typed_twin(data_dir):
    cases = realchain_cases(data_dir, vocabs=("verbatim",))
    out = with_typed_cases(cases)
    typed = [c for c in out if c.vocab == "typed"]
    takes = [c for c in cases if c.kind == "take"]
    assert len(typed) == len(takes) == 5
    for case, twin in zip(takes, typed):
        assert twin.phrases == case.phrases and twin.control_phrases == case.control_phrases
        assert twin.spans == case.spans and twin.motion is case.motion
        assert out[out.index(twin) - 1] is case  # right after it: the window bank is reused


def test_a_split_that_loses_a_sub_action_stops_the_bench(data_dir):
    cases = [c for c in realchain_cases(data_dir, vocabs=("verbatim",)) if c.kind == "take"][:1]
    with pytest.raises(MoGroundError, match="typed row cannot be scored"):
        with_typed_cases(cases, split=lambda prompt: [prompt])  # the old one-item answer
