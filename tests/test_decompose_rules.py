"""Rule-based decomposition on real-world prompts: animator-style instructions and
HumanML3D-style captions. Expected phrases follow the house style of
moground.wire.prompt.rules (lower case, no subject, leading verb in base form)."""

from __future__ import annotations

import pytest

from moground.decompose import MAX_PROMPT_CHARS, MAX_SUB_ACTIONS, decompose, decompose_phrases
from moground.wire.prompt.rules import normalize_phrase, split_actions
from moground.wire.errors import BadPrompt

CASES: list[tuple[str, list[str]]] = [
    # sequence connectives
    ("a person walks forward, then picks up a box and turns left", ["walk forward", "pick up a box", "turn left"]),
    ("walks in, picks up the box, turns left, sits down", ["walk in", "pick up the box", "turn left", "sit down"]),
    ("walk, then jump, then wave", ["walk", "jump", "wave"]),
    ("a man walks forward and then sits down on a chair", ["walk forward", "sit down on a chair"]),
    ("the person runs in place. after that, they jump twice.", ["run in place", "jump twice"]),
    ("someone jogs forward, afterwards stops and stretches", ["jog forward", "stop", "stretch"]),
    ("walk forward followed by a jump", ["walk forward", "jump"]),
    ("first walk to the table, next pick up the cup, finally drink", ["walk to the table", "pick up the cup", "drink"]),
    ("he crouches down; then he stands up; lastly he waves", ["crouch down", "stand up", "wave"]),
    ("walk to the door -> open it -> walk through", ["walk to the door", "open it", "walk through"]),
    ("1. walk forward\n2. turn around\n3. walk back", ["walk forward", "turn around", "walk back"]),
    ("- squat\n- jump\n- land", ["squat", "jump", "land"]),
    ("a person walks forward, turns around, and walks back", ["walk forward", "turn around", "walk back"]),
    ("she kneels down and then gets back up", ["kneel down", "get back up"]),
    ("the man steps forward with his right foot then steps back", ["step forward with his right foot", "step back"]),
    ("a person stands still, then starts running", ["stand still", "run"]),
    ("the figure climbs up the stairs and then turns right", ["climb up the stairs", "turn right"]),
    ("person jogs in a circle then stops", ["jog in a circle", "stop"]),
    ("a person bends down to pick something up and then stands back up", ["bend down to pick something up", "stand back up"]),
    ("a person crawls forward on hands and knees then stands up", ["crawl forward on hands and knees", "stand up"]),
    # "and" / commas between actions
    ("a person jumps and lands", ["jump", "land"]),
    ("walks forward and waves", ["walk forward", "wave"]),
    ("the person raises both arms and claps", ["raise both arms", "clap"]),
    ("a person walking forward and turning left", ["walk forward", "turn left"]),
    ("he throws a ball, catches it, and throws it again", ["throw a ball", "catch it", "throw it again"]),
    ("a man picks up a box, carries it to the left and puts it down", ["pick up a box", "carry it to the left", "put it down"]),
    ("someone punches with the right hand and kicks with the left leg", ["punch with the right hand", "kick with the left leg"]),
    ("the person sits down and he crosses his legs", ["sit down", "cross his legs"]),
    ("a person reaches out with their right hand, grabs something, and brings it to their mouth",
     ["reach out with their right hand", "grab something", "bring it to their mouth"]),
    ("a person stumbles and falls to the ground", ["stumble", "fall to the ground"]),
    # "and" inside a noun or adverb pair, or verbs sharing one object, stays
    ("a person raises and lowers his arms", ["raise and lower his arms"]),
    ("opens and closes the door, then leaves", ["open and close the door", "leave"]),
    ("a person jumps up and down", ["jump up and down"]),
    ("a man sways left and right", ["sway left and right"]),
    ("walks back and forth", ["walk back and forth"]),
    ("a person moves his arms up and down and then sits", ["move his arms up and down", "sit"]),
    ("slowly and carefully walks forward", ["slowly and carefully walk forward"]),
    ("picks up a cup, a plate and a fork", ["pick up a cup, a plate and a fork"]),
    ("a person shakes his head and arms", ["shake his head and arms"]),
    ("a person washes his hands and face", ["wash his hands and face"]),
    ("a person runs after the ball", ["run after the ball"]),
    ("stands before the mirror and bows", ["stand before the mirror", "bow"]),
    ("walks to the next room and sits", ["walk to the next room", "sit"]),
    ("a person does jumping jacks then squats", ["do jumping jacks", "squat"]),
    ("she does push-ups, then sit ups", ["do push-ups", "sit ups"]),
    # before / after reordering
    ("jump twice after waving with the left hand", ["wave with the left hand", "jump twice"]),
    ("before jumping, he waves", ["wave", "jump"]),
    ("after waving, he jumps", ["wave", "jump"]),
    ("sit down after walking to the chair", ["walk to the chair", "sit down"]),
    ("he turns around before walking away", ["turn around", "walk away"]),
    ("before sitting down, the man walks in and turns", ["walk in", "turn", "sit down"]),
    ("walk forward, then jump right after spinning", ["walk forward", "spin", "jump"]),
    ("once he reaches the wall, he turns around", ["reach the wall", "turn around"]),
    ("when he reaches the wall he turns around", ["reach the wall", "turn around"]),
    ("after walking in, picking up the box, he turns", ["walk in", "pick up the box", "turn"]),
    ("walks forward before turning around and sitting down", ["walk forward", "turn around", "sit down"]),
    # simultaneous actions stay together
    ("he waves while walking", ["wave while walking"]),
    ("while walking, she waves", ["wave while walking"]),
    ("a person claps as he walks forward", ["clap as he walks forward"]),
    ("walks forward and waves at the same time", ["walk forward and wave at the same time"]),
    ("walk forward; at the same time he waves", ["walk forward and wave at the same time"]),
    ("the person waves while walking and talking, then sits", ["wave while walking and talking", "sit"]),
    ("a person walks, waving his arms", ["walk, waving his arms"]),
    ("walk, wave, and clap simultaneously", ["walk, wave and clap simultaneously"]),
    ("he hops on one leg whilst holding his foot", ["hop on one leg whilst holding his foot"]),
    # qualifiers and ellipsis
    ("kick with the left leg, then with the right leg", ["kick with the left leg", "kick with the right leg"]),
    ("a person jumps three times then slowly walks to the left", ["jump three times", "slowly walk to the left"]),
    ("walk, then walk back", ["walk", "walk back"]),
    ("walk forward then back", ["walk forward", "walk back"]),
    ("the person walked forward quickly and then stopped", ["walk forward quickly", "stop"]),
    ("a person is dancing, then is bowing", ["dance", "bow"]),
    ("spin around twice, then fall down", ["spin around twice", "fall down"]),
    ("Walk Forward. Jump! Wave?", ["walk forward", "jump", "wave"]),
    ("a person leans to the left then to the right", ["lean to the left", "lean to the right"]),
    ("run forward, then stop, then run backwards", ["run forward", "stop", "run backwards"]),
]


@pytest.mark.parametrize(("prompt", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_prompt_table(prompt: str, expected: list[str]) -> None:
    assert split_actions(prompt) == expected


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 60


def test_decompose_uses_rules_without_llm() -> None:
    # a sentence goes through the clause rules; "walk, then jump" is now a list (issue 21)
    result = decompose("he walks, then jumps")
    assert (result.phrases, result.source, result.warnings) == (["walk", "jump"], "rules", [])
    assert result.to_dict() == {"sub_actions": ["walk", "jump"], "spans": [[3, 8], [15, 20]],
                                "changed": [True, True], "source": "rules", "notes": [], "warnings": []}
    assert decompose_phrases("walk, then jump") == ["walk", "jump"]
    assert decompose("walk, then jump").source == "rules"  # "then" makes a comma piece prose
    assert list(result) == ["walk", "jump"] and len(result) == 2 and result[1] == "jump"


@pytest.mark.parametrize("prompt", ["", "   \n\t ", "a person", "he", "the man. someone.", "and then", "1. 2. 3.", "?!"])
def test_no_action_is_bad_prompt(prompt: str) -> None:
    with pytest.raises(BadPrompt) as info:
        split_actions(prompt)
    assert info.value.code == "bad_prompt"
    assert "prompt" in info.value.message


def test_non_text_is_bad_prompt() -> None:
    with pytest.raises(BadPrompt, match="must be text"):
        split_actions(None)  # type: ignore[arg-type]


def test_prompt_length_limit() -> None:
    at_limit = ("walk " * MAX_PROMPT_CHARS)[:MAX_PROMPT_CHARS]
    assert split_actions(at_limit)  # exactly at the limit is fine
    with pytest.raises(BadPrompt, match=str(MAX_PROMPT_CHARS)):
        split_actions(at_limit + "x")


def test_sub_action_count_limit() -> None:
    assert len(split_actions(", then ".join(["jump"] * MAX_SUB_ACTIONS))) == MAX_SUB_ACTIONS
    with pytest.raises(BadPrompt, match=str(MAX_SUB_ACTIONS)):
        split_actions(", then ".join(["jump"] * (MAX_SUB_ACTIONS + 1)))


def test_normalize_phrase_is_idempotent() -> None:
    for _, expected in CASES:
        for phrase in expected:
            assert normalize_phrase(phrase) == phrase
