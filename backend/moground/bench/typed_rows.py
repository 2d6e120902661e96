"""The "typed" row: real takes grounded through the prompt, as an artist would type them.

Every other row passes the labels as an explicit ``actions=`` list and so skips the
prompt → sub-actions stage. For every real-take case (``kind == "take"``, the data's own
words), this adds the same case with its labels joined by ", " and split by
``decompose``, as the Segment button does; it must score exactly what the list scores.
Generic over sets: any set with whole-take cases gets its typed row.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ..decompose import decompose_phrases
from ..wire.errors import MoGroundError
from .sets import Case

TYPED_SEPARATOR = ", "


def with_typed_cases(cases: list[Case], split: Callable[[str], list[str]] = decompose_phrases) -> list[Case]:
    """``cases`` with a typed twin right after each verbatim whole-take case (same
    motion, so the runner's per-take window bank is reused)."""
    out: list[Case] = []
    for case in cases:
        out.append(case)
        if case.kind != "take" or case.vocab != "verbatim":
            continue
        phrases = split(TYPED_SEPARATOR.join(case.phrases))
        control = split(TYPED_SEPARATOR.join(case.control_phrases))
        if len(phrases) != len(case.spans) or len(control) != len(case.spans):
            raise MoGroundError(f"{case.set_name}/{case.clip_id}: typing the {len(case.spans)} labels as one prompt "
                                f"gave {len(phrases)} sub-actions ({phrases}); the typed row cannot be scored")
        out.append(replace(case, vocab="typed", phrases=phrases, control_phrases=control))
    return out
