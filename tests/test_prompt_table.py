"""The prompt table (moground.bench.prompt_table) graded against the decomposer.

List styles are generated from the shared data's labels at test time; the hand-written
styles live in tests/prompt_table.json. List styles must be exact every time; every
other style must be an exact list on at least 95 % of its cases.
"""

from __future__ import annotations

import pytest

from moground.bench import prompt_table
from moground.decompose import decompose_phrases
from moground.paths import data_root


def _has_data() -> bool:
    return (data_root(None) / "realchains" / "index.json").is_file()


@pytest.fixture(scope="module")
def cases():
    if not _has_data():
        pytest.skip("shared data not found")
    return prompt_table.all_cases()


def test_table_is_big_enough_and_covers_every_separator(cases):
    assert len(cases) >= 200
    styles = {c.style for c in cases}
    assert set(prompt_table.SEPARATORS) <= styles
    assert {"sentence", "numbered", "one-per-line", "mixed-case", "typo", "filler", "repetition", "tokens"} <= styles


def test_list_styles_are_exact(cases):
    lists = [c for c in cases if c.style.startswith("list-")]
    bad = prompt_table.failures(lists, decompose_phrases)
    assert not bad, "\n".join(f"{c.style}: {c.prompt!r} -> {got} (want {c.expect})" for c, got in bad[:10])


def test_other_styles_are_at_least_95_percent_exact(cases):
    rates = prompt_table.score([c for c in cases if not c.style.startswith("list-")], decompose_phrases)
    low = {s: r for s, r in rates.items() if r["exact"] < 0.95}
    assert not low, prompt_table.format_table(rates)


@pytest.mark.parametrize("set_name", ["realchains", "kinectchains"])
@pytest.mark.parametrize("sep", [", ", ",", "; ", "\n", " | ", " -> ", " \u2192 "])
def test_every_real_take_round_trips_through_every_separator(set_name, sep):
    if not _has_data():
        pytest.skip("shared data not found")
    takes = prompt_table.take_label_lists().get(set_name)
    if not takes:
        pytest.skip(f"{set_name} not in the shared data")
    for labels in takes:
        assert decompose_phrases(sep.join(labels)) == labels, (sep, labels)
