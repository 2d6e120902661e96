"""A small English lexicon for prompts about body motion.

Both decomposers need the same two facts about a word: "is this a verb of action?"
(the rules split "walks and turns" but not "left and right") and "what is its base
form?" (phrases are labelled "walk forward", and an LLM's "walking" is grounded by the
prompt's "walks"). A closed list of motion verbs with generated inflections answers
both offline, deterministically and without a tagger model.
"""

from __future__ import annotations

import re

# Base forms of verbs that describe what a body does. Kept to words that are rarely
# nouns right after "and" in a prompt; the ambiguous ones are listed separately.
MOTION_VERBS: frozenset[str] = frozenset(
    """
    approach arch argue bend beckon begin block bob bounce bow brace brush
    carry cartwheel catch celebrate charge chase cheer chop circle clap clean climb
    close collapse comb come continue cook crawl creep cross crouch crunch cry curl
    cut dance dash decelerate descend dig dip dive dodge drag draw dribble drink drive
    drop drum duck eat enter exit fall fight flail flap flex flinch flip float fly
    fold gallop gesture get give go grab grasp greet grip hang hide hit hold hop
    hug hurry hunch jab jog juggle jump kick kneel knock land laugh lean leap leave
    lie lift limp look lower lunge march meditate mop move nod open pace paddle paint
    pat pause perform pet pick pivot place play point pose pour pray press pull punch
    push put raise reach relax rest retreat return ride rise rock roll rotate row rub
    run rush salute scoop scratch scrub search set shake shiver shoot shout shove shrug
    shuffle sidestep sign sip sit skate skip slam slap slide slip slouch sneak sneeze
    spin spread sprint squat stab stagger stamp stand start step stir stomp stoop stop
    straighten strafe stretch stride stroll strike strut stumble swat sway sweep swim
    swing swipe take talk tap throw tiptoe tilt toss touch trip trot try tug turn twirl
    twist type unfold uncross walk wander warm wash wave wiggle wipe wobble wrap write
    yawn yell zigzag bring use wait watch check kiss wrestle tumble somersault backflip
    vault hurdle tackle parry hurl fling fetch gather collect load unload stack offer
    receive embrace tremble recoil spar shovel rake plant mix knit dress undress sniff
    lick chew swallow spit cough sleep wake lounge recline slump glide skid nudge poke
    lay hammer saw sew scan bump shoot tumble idle
    """.split()
)

# Verbs that are as often nouns in a motion prompt ("arms and head", "washes hands and
# face", "the cup and box"): only their -ing form marks an action after "and" or ",".
AMBIGUOUS_VERBS: frozenset[str] = frozenset({"back", "box", "head", "face", "hand", "arm", "foot"})

# Final consonant doubles before -ing/-ed (English spelling is not predictable here).
_DOUBLING: frozenset[str] = frozenset(
    """
    bob chop clap cut dig dip drag drop drum flap flip get grab hit hop hug jab jog
    nod pat pet put rub run scan scrub set shrug sip sit skip slam slap slip spin stab step
    stir stop strut swat swim tap trip trot tug wrap
    """.split()
)

# Irregular forms → base. "left" (past of leave) is omitted: in prompts it is a side.
_IRREGULAR: dict[str, str] = {
    "ran": "run", "sat": "sit", "stood": "stand", "fell": "fall", "fallen": "fall",
    "threw": "throw", "thrown": "throw", "caught": "catch", "held": "hold",
    "took": "take", "taken": "take", "got": "get", "gotten": "get", "went": "go",
    "gone": "go", "goes": "go", "came": "come", "rose": "rise", "risen": "rise",
    "knelt": "kneel", "swam": "swim", "flew": "fly", "spun": "spin", "swung": "swing",
    "struck": "strike", "began": "begin", "begun": "begin", "leapt": "leap",
    "lying": "lie", "dove": "dive", "did": "do", "does": "do", "done": "do",
    "bent": "bend", "shook": "shake", "shaken": "shake", "slid": "slide", "hid": "hide",
    "drew": "draw", "drawn": "draw", "ate": "eat", "drank": "drink", "wrote": "write",
    "gave": "give", "given": "give", "rode": "ride", "drove": "drive", "hung": "hang",
    "crept": "creep", "swept": "sweep", "brought": "bring", "laid": "lay", "strode": "stride", "tried": "try",
}


def _third_person(base: str) -> str:
    if re.search(r"(s|sh|ch|x|z|o)$", base):
        return base + "es"
    if re.search(r"[^aeiou]y$", base):
        return base[:-1] + "ies"
    return base + "s"


def _gerund(base: str) -> str:
    if base.endswith("ie"):
        return base[:-2] + "ying"
    if base.endswith("e") and not base.endswith(("ee", "oe", "ye")):
        return base[:-1] + "ing"
    if base in _DOUBLING:
        return base + base[-1] + "ing"
    return base + "ing"


def _past(base: str) -> str:
    if base.endswith("e"):
        return base + "d"
    if re.search(r"[^aeiou]y$", base):
        return base[:-1] + "ied"
    if base in _DOUBLING:
        return base + base[-1] + "ed"
    return base + "ed"


def _build_forms() -> dict[str, str]:
    forms: dict[str, str] = {}
    for base in MOTION_VERBS | AMBIGUOUS_VERBS | {"do"}:
        for form in (base, _third_person(base), _gerund(base), _past(base)):
            forms.setdefault(form, base)
    forms.update(_IRREGULAR)
    return forms


VERB_FORMS: dict[str, str] = _build_forms()
"""Every known inflection of a motion verb, mapped to its base form."""

SUBJECT_PRONOUNS: frozenset[str] = frozenset({"he", "she", "they", "someone", "somebody", "i", "we", "you"})

STOPWORDS: frozenset[str] = frozenset(
    """
    a an the this that these those his her their its my your our him them it he she
    they someone somebody i we you and or but then so as while whilst of to in on at
    by for with from into onto up down over under out off about around through
    across toward towards is are was were be been being will would can could should
    does did do has have had again also just very times time person man woman
    """.split()
)
"""Words that carry no action of their own (used to decide that a piece is empty and
which words of an LLM phrase must be grounded in the prompt)."""

NUMBER_WORDS: dict[str, str] = {
    "once": "1", "one": "1", "twice": "2", "two": "2", "thrice": "3", "three": "3",
    "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}


def is_verb(word: str) -> bool:
    """True for any inflection of a known motion verb, excluding the bare, -s and -ed
    forms of words that are usually nouns ("head", "box")."""
    base = VERB_FORMS.get(word)
    if base is None:
        return False
    if base in AMBIGUOUS_VERBS:
        return word.endswith("ing")
    return True


def is_gerund(word: str) -> bool:
    return word.endswith("ing") and word in VERB_FORMS


def base_form(word: str) -> str:
    """The base form of a known verb form; unknown words come back unchanged."""
    return VERB_FORMS.get(word, word)


def is_adverb(word: str) -> bool:
    """Manner adverbs ("slowly", "carefully"), which may precede the verb of a clause."""
    return (len(word) > 4 and word.endswith("ly") and word not in VERB_FORMS) or word in {
        "fast", "quickly", "then", "also", "again", "just", "still", "now", "soon",
    }


def stem(word: str) -> str:
    """A crude stem for matching inflections ("walking" ~ "walks" ~ "walked").
    Known verbs use the lexicon; other words lose one regular suffix."""
    word = word.lower()
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    if word in VERB_FORMS:
        return VERB_FORMS[word]
    if len(word) > 4 and word.endswith(("ies", "ied")):
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word
