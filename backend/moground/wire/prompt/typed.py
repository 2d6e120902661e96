"""What the artist typed, item by item: list syntax first, clause rules for sentences.

The rule, in order (also in README "Prompts"):

1. **Strong separators** always separate sub-actions: line breaks, ";", "|", "->", "=>",
   "\u2192", a spaced dash or en/em dash, bullets ("- ", "* ", "\u2022 ") and numbers
   ("1.", "2)", "(3)", "step 4:"; inline too: "1. walk 2) jump" when they count up from 1).
2. Each piece between them is split on **commas**. The piece is a *sentence* when one of
   its comma items reads like one: it opens with a subject ("a person", "the actor",
   "he", "someone" ...), or holds a sequence word ("then", "and then", "after that",
   "afterwards", "followed by", "finally": "walk forward, then jump and wave" is
   prose), or two sentences (". ").
   A sentence piece goes through the clause rules (``rules.split_actions``: lemmatised
   house style, "and" and temporal words split). A one-item prompt with "and",
   "after", "before" or "while" in it is a sentence too ("walk and jump"); a warning
   says when the rules found fewer sub-actions than the piece has comma parts.
3. Otherwise every comma item is **one sub-action, verbatim**: trimmed of surrounding
   spaces and trailing punctuation, never merged, split, lemmatised or dropped. The one
   edit allowed is a leading "and", "next", "first" or "lastly" ("and wave"), which is
   removed and the item marked changed; an item that is only such a word ("next,") is
   no action and is left out with a note. A list (one plain item
   included) is already explicit: it never goes to an LLM.
4. **Repetition shorthand** on an item or a rule phrase, these forms only: "walk x3",
   "walk \u00d73", "3x walk", "jump twice", "jump 3 times" (2 to the sub-action limit)
   become that many copies of the item, with a note.

Every sub-action keeps the character span of the prompt it came from and whether its
text differs from that span, so the CLI, the wire reply and the add-on can show it.
Pure Python (``re`` and the rules): the add-on vendors it for its live preview.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import BadPrompt
from .rules import MAX_PROMPT_CHARS, MAX_SUB_ACTIONS, split_actions

_STRONG = re.compile(r"\r?\n|;|\||->|=>|\u2192|\s+(?:--?|\u2013|\u2014)\s+|\s*[\u2013\u2014]\s*")
_BULLET = re.compile(r"\s*[-*\u2022]\s+")
_NUMBER = r"(?:\((?P<n1>\d{1,2})\)|(?P<n2>\d{1,2})[.):]|step\s+(?P<n3>\d{1,2})\s*[:.)-]?)"
_LEAD_NUMBER = re.compile(r"\s*" + _NUMBER + r"\s*(?=[^\s\d])", re.IGNORECASE)
_LEAD_SEQUENCE = re.compile(
    r"^(?:and\s+then|and\s+after\s+that|and\s+finally|after\s+that|afterwards?|then|and|next|finally|lastly"
    r"|first(?:ly)?|followed\s+by)\b[\s,:]*",
    re.IGNORECASE,
)
_SEQUENCE_WORD = re.compile(r"\b(?:then|after\s+that|afterwards?|followed\s+by|finally)\b", re.IGNORECASE)
_SUBJECT = re.compile(
    r"^(?:(?:a|an|the|this|one)\s+(?:(?:young|old|little|small|tall|short)\s+)?"
    r"(?:person|man|woman|boy|girl|guy|lady|human|figure|character|individual|actor|actress|subject"
    r"|dancer|child|kid|performer|avatar|player|athlete)|he|she|they|someone|somebody|we|i)\s+\S",
    re.IGNORECASE,
)
_SENTENCE_WORD = re.compile(r"\s(?:and|&|\+|after|before|while)\s", re.IGNORECASE)
_TWO_SENTENCES = re.compile(r"\w[.!?]\s+\w")
_TRAIL = ".,;:!? \t\r\n"
_REPEAT = (
    re.compile(r"^(?P<a>.+?)(?:\s+x|\s*\u00d7)\s*(?P<n>\d{1,2})$", re.IGNORECASE),
    re.compile(r"^(?P<n>\d{1,2})\s*[x\u00d7]\s+(?P<a>.+)$", re.IGNORECASE),
    re.compile(r"^(?P<a>.+?)\s+(?P<n>twice)$", re.IGNORECASE),
    re.compile(r"^(?P<a>.+?)\s+(?P<n>\d{1,2})\s+times$", re.IGNORECASE),
)


@dataclass(frozen=True)
class SubAction:
    """One sub-action: its text, the prompt characters [start, end) it came from, and
    whether the text differs from them (rules rewording, a dropped "then", a repeat)."""

    text: str
    start: int
    end: int
    changed: bool


@dataclass(frozen=True)
class TypedSplit:
    items: list[SubAction]
    mode: str  # "list" | "sentence" | "mixed"
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def phrases(self) -> list[str]:
        return [item.text for item in self.items]


def split_typed(prompt: str) -> TypedSplit:
    """The prompt's sub-actions by the module's rule; raises BadPrompt like the rules."""
    if not isinstance(prompt, str):
        raise BadPrompt(f"prompt must be text, got {type(prompt).__name__}")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise BadPrompt(f"prompt is {len(prompt)} characters; at most {MAX_PROMPT_CHARS} are allowed")
    pieces = _strong_pieces(prompt)
    items: list[SubAction] = []
    notes: list[str] = []
    warnings: list[str] = []
    kinds: set[str] = set()
    implied = 0
    for start, end in pieces:
        commas = _comma_items(prompt, start, end)
        implied += sum(1 for s, e in commas if _LEAD_SEQUENCE.sub("", prompt[s:e]).strip(_TRAIL))
        texts = [prompt[s:e] for s, e in commas]
        if any(_reads_as_sentence(t) for t in texts) or (
                len(pieces) == 1 and len(commas) == 1 and _SENTENCE_WORD.search(texts[0])):
            kinds.add("sentence")
            items += _sentence_items(prompt, start, end)
            continue
        kinds.add("list")
        for s, e in commas:
            item = _list_item(prompt, s, e)
            if item is None:
                notes.append(f"left out {prompt[s:e].strip()!r}: a sequence word, no action")
            else:
                items.append(item)
    items = expand_repeats(items, notes)
    if not items:
        raise BadPrompt(f"no action found in prompt {prompt.strip()[:80]!r}: describe what the body does, e.g. 'walk forward, then jump'")
    if len(items) > MAX_SUB_ACTIONS:
        raise BadPrompt(f"prompt has {len(items)} sub-actions; at most {MAX_SUB_ACTIONS} are allowed")
    mode = kinds.pop() if len(kinds) == 1 else "mixed"
    repeats = sum(1 for n in notes if n.startswith("expanded"))
    if mode != "list" and implied > len(items) - repeats:
        warnings.append(f"the separators give {implied} parts but the sentence rules found {len(items) - repeats} "
                        "sub-actions; type one action per comma or line to set them exactly")
    return TypedSplit(items, mode, notes, warnings)


def _strong_pieces(prompt: str) -> list[tuple[int, int]]:
    """[start, end) of the pieces between strong separators and list markers."""
    pieces: list[tuple[int, int]] = []
    pos = 0
    for match in _STRONG.finditer(prompt):
        pieces.append((pos, match.start()))
        pos = match.end()
    pieces.append((pos, len(prompt)))
    out: list[tuple[int, int]] = []
    for s, e in pieces:
        bullet = _BULLET.match(prompt, s, e)
        if bullet:
            s = bullet.end()
        out += _numbered(prompt, s, e)
    return [(s, e) for s, e in out if prompt[s:e].strip(_TRAIL)]


def _numbered(prompt: str, s: int, e: int) -> list[tuple[int, int]]:
    """A piece that opens with number 1 (or any number on its own line) split at the
    markers that count up from it: "1. walk 2) jump" → walk | jump."""
    lead = _LEAD_NUMBER.match(prompt, s, e)
    if not lead:
        return [(s, e)]
    number = int(next(g for g in lead.group("n1", "n2", "n3") if g))
    out, start = [], lead.end()
    while True:
        number += 1
        nxt = re.compile(r"\s" + _NUMBER.replace(r"\d{1,2}", str(number)) + r"\s*(?=[^\s\d])",
                         re.IGNORECASE).search(prompt, start, e)
        if not nxt:
            out.append((start, e))
            return out
        out.append((start, nxt.start()))
        start = nxt.end()


def _comma_items(prompt: str, s: int, e: int) -> list[tuple[int, int]]:
    out, pos = [], s
    for i in range(s, e):
        if prompt[i] == ",":
            out.append((pos, i))
            pos = i + 1
    out.append((pos, e))
    return [(a, b) for a, b in out if prompt[a:b].strip(_TRAIL)]


def _reads_as_sentence(text: str) -> bool:
    rest = _LEAD_SEQUENCE.sub("", text.strip())
    return bool(_SUBJECT.match(rest) or _SEQUENCE_WORD.search(text) or _TWO_SENTENCES.search(rest.strip(_TRAIL)))


def _trimmed(prompt: str, s: int, e: int) -> tuple[int, int]:
    while s < e and prompt[s].isspace():
        s += 1
    while e > s and prompt[e - 1] in _TRAIL:
        e -= 1
    return s, e


def _list_item(prompt: str, s: int, e: int) -> SubAction | None:
    s, e = _trimmed(prompt, s, e)
    lead = _LEAD_SEQUENCE.match(prompt[s:e])
    if lead and lead.end() > 0:
        rest_s = s + lead.end()
        if not prompt[rest_s:e].strip(_TRAIL):
            return None
        return SubAction(prompt[rest_s:e], s, e, True)
    return SubAction(prompt[s:e], s, e, False)


def _sentence_items(prompt: str, s: int, e: int) -> list[SubAction]:
    """The clause rules on one piece, each phrase located in the prompt."""
    return locate(prompt, split_actions(prompt[s:e]), s, e)


def locate(prompt: str, phrases: list[str], s: int = 0, e: int | None = None) -> list[SubAction]:
    """Each phrase with the prompt span its words come from, in order (a word matched by
    its first letters too, so "walk" finds "walks"); the whole piece when none match."""
    e = len(prompt) if e is None else e
    words = [(m.start(), m.end(), m.group(0).lower()) for m in re.finditer(r"[\w'-]+", prompt[s:e])]
    out, cursor = [], 0
    for phrase in phrases:
        hits = []
        for token in re.findall(r"[\w'-]+", phrase.lower()):
            for j in range(cursor, len(words)):
                w = words[j][2]
                if w == token or (len(token) >= 3 and w.startswith(token[: max(3, len(token) - 2)])):
                    hits.append(j)
                    cursor = j + 1
                    break
        if hits:
            a, b = s + words[hits[0]][0], s + words[hits[-1]][1]
        else:
            a, b = _trimmed(prompt, s, e)
        out.append(SubAction(phrase, a, b, prompt[a:b] != phrase))
    return out


def expand_repeats(items: list[SubAction], notes: list[str]) -> list[SubAction]:
    """Items with the repetition shorthand replaced by their copies; a note for each."""
    out: list[SubAction] = []
    for item in items:
        for pattern in _REPEAT:
            match = pattern.match(item.text)
            if match:
                n = 2 if match.group("n").lower() == "twice" else int(match.group("n"))
                if 2 <= n <= MAX_SUB_ACTIONS:
                    text = match.group("a").strip(_TRAIL)
                    out += [SubAction(text, item.start, item.end, True)] * n
                    notes.append(f"expanded {item.text!r} into {n} \u00d7 {text!r}")
                    break
        else:
            out.append(item)
    return out
