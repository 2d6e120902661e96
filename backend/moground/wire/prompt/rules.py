"""Offline, rule-based splitting of a prompt into ordered sub-action phrases.

Why rules: grounding must work with no network and no model server, and the result
must be deterministic so that a prompt always yields the same NLA strips.

Which prompts come here (``typed.split_typed`` decides, and its docstring is the full
rule): only pieces that read as a sentence. A list (commas, lines, ";", "|", arrows,
bullets, numbers) whose items have no subject and no inner "then"/"after that"/
"followed by" is taken item by item, verbatim, and never reaches these rules; line
breaks and the other strong separators split a mixed prompt first, so each piece is
a list or a sentence on its own.

Output convention (the LLM decomposer's phrases are passed through the same
``normalize_phrase`` so that both sources look alike):
  * lower case, single spaces, no surrounding punctuation;
  * no subject ("a person", "the man", "he", ...) and no auxiliaries ("is", "starts to");
  * the clause's first verb in its base (imperative) form: "walks forward" →
    "walk forward", "waving with the left hand" → "wave with the left hand";
    every other word, qualifiers included ("twice", "slowly", "with the left leg",
    "while walking"), stays as written.

Splitting, in order: lines and list markers, sentence ends, semicolons and arrows,
sequence connectives ("then", "after that", "followed by", "finally", ...), leading
temporal clauses ("before X, Y" → [Y, X]; "after X, Y" → [X, Y]; "while X, Y" →
one phrase), commas and "and" when both sides are actions, and "X after Y" /
"X before Y" inside a clause. Simultaneous actions ("while", "as", "at the same
time") stay in one phrase.
"""

from __future__ import annotations

import re

from ..errors import BadPrompt
from ..limits import MAX_PROMPT_CHARS, MAX_SUB_ACTIONS  # one limit for prompts and actions
from .words import STOPWORDS, SUBJECT_PRONOUNS, base_form, is_adverb, is_gerund, is_verb

# Multi-word names whose words would otherwise look like separate actions.
_PROTECTED = (
    "jumping jacks", "jumping jack", "push ups", "sit ups", "pull ups", "star jumps",
    "rock and roll", "hide and seek", "stop and go", "pick and place", "hit and run",
)

_LIST_MARKER = re.compile(r"^\s*(?:\(?\d{1,2}[.):]|[-*\u2022]|step\s+\d+\s*[:.)-]?)\s+")
_STRONG_BREAK = re.compile(r"[.!?]+(?=\s|$)|;|\s*(?:->|=>|>)\s*|\s+-{1,2}\s+|\s*[\u2013\u2014]\s*")
_CONNECTIVE = re.compile(
    r"(?:,\s*)?\b(?:and\s+then|and\s+after\s+that|and\s+afterwards?|and\s+finally|and\s+lastly"
    r"|after\s+that|after\s+this|after\s+which|afterwards?|followed\s+by|then"
    r"|(?<!\bthe\s)(?<!\ba\s)next(?!\s+to\b)|finally|lastly|subsequently|thereafter)\b,?"
)
_SIMULTANEOUS_LEAD = re.compile(
    r"^(?:at\s+the\s+same\s+time|simultaneously|meanwhile|in\s+the\s+meantime"
    r"|while\s+doing\s+(?:so|this|that))\b[\s,]*"
)
_SIMULTANEOUS_TAIL = re.compile(r"\b(?:at\s+the\s+same\s+time|simultaneously|in\s+unison)\b")
_LEAD_TEMPORAL = re.compile(
    r"^(?:(?:right|just|shortly|immediately|soon)\s+)?"
    r"(before|after|once|when|as\s+soon\s+as|upon|while|whilst|as)\s+(.+?)\s*,\s*(.+)$"
)
# "when he reaches the wall he turns around": no comma, the second subject splits.
_LEAD_TEMPORAL_NO_COMMA = re.compile(
    r"^(before|after|once|when|as\s+soon\s+as|while|whilst|as)\s+(.+?)\s+"
    r"((?:he|she|they|someone|the\s+(?:person|man|woman))\s+.+)$"
)
_INNER_TEMPORAL = re.compile(r"\s*,?\s+(?:(?:right|just|shortly|immediately|soon)\s+)?(before|after)\s+")
_COORDINATION = re.compile(r"(\s*,\s*(?:and\s+)?|\s+and\s+)")

_LEAD_FILLER = re.compile(
    r"^(?:and|or|but|so|then|also|first(?:ly)?|at\s+first|to\s+(?:begin|start)(?:\s+with)?"
    r"|initially|second(?:ly)?|third(?:ly)?|next|finally|lastly|afterwards?|now)\b[\s,:]*"
)
_SUBJECT = re.compile(
    r"^(?:(?:a|an|the|this|that|one)\s+)?(?:(?:young|old|little|small|tall|short)\s+)?"
    r"(?:person|man|woman|boy|girl|guy|lady|human|figure|character|individual|actor|actress"
    r"|subject|dancer|child|kid|people|performer|avatar|player|athlete)\b\s*"
)
_PRONOUN = re.compile(r"^(?:" + "|".join(sorted(SUBJECT_PRONOUNS)) + r")\b\s*")
_AUX = re.compile(
    r"^(?:is|are|was|were|will|would|can|(?:appears?|seems?|starts?|begins?|proceeds?"
    r"|goes\s+on|continues?|tries|try|attempts?|wants?|decides?)\s+to"
    r"|(?:starts?|begins?|keeps?)(?=\s+\w+ing\b))\b\s*"
)
_ARTICLE = re.compile(r"^(?:a|an|the)\s+")
# Words that, leading a phrase after "then", mean "the previous verb again":
# "kick with the left leg, then with the right leg" → "kick with the right leg".
_ELLIPSIS_LEAD = frozenset(
    "with to on using towards toward into onto back backward backwards forward forwards"
    " left right up down around again".split()
)
_OBJECT_VERBS = frozenset(
    "raise lower lift open close bend straighten fold unfold cross uncross swing shake"
    " rotate twist flex stretch push pull move tilt pick spread clench".split()
)
_DETERMINERS = frozenset("the a an his her their its both my your it them him".split())
_WORD = re.compile(r"[a-z0-9_'-]+")


def split_actions(prompt: str) -> list[str]:
    """Ordered sub-action phrases of ``prompt``; raises BadPrompt when there are none,
    or when the prompt or its split exceeds the exported limits."""
    text = _clean(prompt)
    phrases: list[str] = []
    for chunk in _sequence_chunks(text):
        lead = _SIMULTANEOUS_LEAD.match(chunk)
        if lead and phrases:
            rest = normalize_phrase(chunk[lead.end():])
            if rest:
                phrases[-1] = f"{phrases[-1]} and {rest} at the same time"
            continue
        for raw in _split_clause(chunk):
            phrase = normalize_phrase(raw)
            if phrase and phrases and phrase.split()[0] in _ELLIPSIS_LEAD:
                phrase = f"{phrases[-1].split()[0]} {phrase}"
            if phrase:
                phrases.append(phrase)
    if not phrases:
        raise BadPrompt(f"no action found in prompt {prompt.strip()[:80]!r}: describe what the body does, e.g. 'walk forward, then jump'")
    if len(phrases) > MAX_SUB_ACTIONS:
        raise BadPrompt(f"prompt has {len(phrases)} sub-actions; at most {MAX_SUB_ACTIONS} are allowed")
    return phrases


def normalize_phrase(text: str) -> str:
    """One phrase in the house style (module docstring); "" when nothing is left
    that describes an action."""
    text = re.sub(r"\s+", " ", text.lower()).strip(" ,.;:!?\"'()")
    text, _ = _strip_lead(text)
    text = _ARTICLE.sub("", text)
    text = re.sub(r"[\s,]*\b(?:afterwards?|thereafter)$", "", text)
    words = text.split(" ")
    for i, word in enumerate(words):
        core = word.rstrip(",")
        if is_verb(core) or (i == 0 and base_form(core) != core):
            words[i] = base_form(core) + word[len(core):]
            if i + 2 < len(words) and words[i + 1] == "and" and is_verb(words[i + 2]):
                words[i + 2] = base_form(words[i + 2])  # "raise and lower his arms"
            break
        if not (is_adverb(core) or core == "and"):
            break
    phrase = " ".join(words).replace("_", " ").strip(" ,")
    if not any(w not in STOPWORDS and re.search(r"[a-z]", w) for w in _WORD.findall(phrase)):
        return ""
    return phrase


def _clean(prompt: object) -> str:
    if not isinstance(prompt, str):
        raise BadPrompt(f"prompt must be text, got {type(prompt).__name__}")
    if not prompt.strip():
        raise BadPrompt("prompt is empty: describe the motion, e.g. 'walk forward, then jump'")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise BadPrompt(f"prompt is {len(prompt)} characters; at most {MAX_PROMPT_CHARS} are allowed")
    text = prompt.lower().replace("\u2192", " -> ").replace("\u2019", "'")
    text = re.sub(r"[\"\u201c\u201d`]", " ", text)
    text = re.sub(r"\s+[&+]\s+", " and ", text)
    for name in _PROTECTED:
        pattern = r"\b" + name.replace(" ", r"[\s-]+") + r"\b"
        text = re.sub(pattern, lambda m: re.sub(r"\s+", "_", m.group(0)), text)
    return text


def _sequence_chunks(text: str) -> list[str]:
    """Pieces separated by lines, sentence ends, semicolons, arrows and sequence words."""
    chunks: list[str] = []
    for line in text.splitlines():
        line = _LIST_MARKER.sub("", line)
        for sentence in _STRONG_BREAK.split(line):
            for piece in _CONNECTIVE.split(sentence):
                piece = re.sub(r"\s+", " ", piece).strip(" ,:")
                if piece:
                    chunks.append(piece)
    return chunks


def _split_clause(chunk: str) -> list[str]:
    """Raw phrases of one chunk, in the order they happen."""
    chunk = chunk.strip(" ,")
    stripped, _ = _strip_lead(chunk)
    match = _LEAD_TEMPORAL.match(stripped) or _LEAD_TEMPORAL_NO_COMMA.match(stripped)
    if match:
        word, first, second = match.group(1), match.group(2), match.group(3)
        if _has_action(first) and _lead_action(second):
            if word in ("while", "whilst", "as"):
                return [f"{second} {word} {first}"]
            earlier, later = (second, first) if word == "before" else (first, second)
            return _split_clause(earlier) + _split_clause(later)
    phrases: list[str] = []
    for piece in _coordinate(chunk):
        phrases.extend(_reorder_inner(piece))
    return phrases


def _coordinate(chunk: str) -> list[str]:
    """Split on commas and "and" only where a new action starts ("walks and turns"),
    not inside noun or adverb pairs ("up and down", "slowly and carefully"). A chunk
    that says its actions are simultaneous stays one phrase."""
    parts = _COORDINATION.split(chunk)
    out: list[str] = []
    current = parts[0]
    for sep, piece in zip(parts[1::2], parts[2::2]):
        if _starts_new_action(current, piece):
            out.append(current)
            current = piece
        else:
            joiner = (", and " if "and" in sep else ", ") if "," in sep else " and "
            current = f"{current}{joiner}{piece}"
    out.append(current)
    if len(out) > 1 and _SIMULTANEOUS_TAIL.search(out[-1]):
        actions = [normalize_phrase(p) for p in out]
        return [", ".join(actions[:-1]) + " and " + actions[-1]]
    return out


def _starts_new_action(current: str, piece: str) -> bool:
    if not _has_action(current) or _shares_object(current, piece):
        return False
    lead = _lead_action(piece)
    if lead is None:
        return False
    verb, had_subject = lead
    if is_gerund(verb) and not had_subject:
        # "waves while walking and talking": a participle joins the one before it,
        # unless the whole clause is told in participles ("walking and turning").
        current_lead = _lead_action(current)
        return current_lead is not None and is_gerund(current_lead[0])
    return True


def _shares_object(current: str, piece: str) -> bool:
    """"raises and lowers his arms": a bare verb before "and" takes the object of the
    next verb, so the two stay one phrase instead of leaving "raise" alone."""
    words = _WORD.findall(_strip_lead(current)[0])
    if len(words) != 1 or base_form(words[0]) not in _OBJECT_VERBS:
        return False
    following = _WORD.findall(_strip_lead(piece)[0])
    return len(following) > 1 and is_verb(following[0]) and following[1] in _DETERMINERS


def _reorder_inner(piece: str) -> list[str]:
    """"X after Y" → [Y, X]; "X before Y" → [X, Y]; only when both sides are actions
    ("runs after the ball" stays whole)."""
    for match in _INNER_TEMPORAL.finditer(piece):
        left, right = piece[: match.start()], piece[match.end():]
        if _has_action(left) and _lead_action(right):
            later = _split_clause(right)
            return later + [left] if match.group(1) == "after" else [left] + later
    return [piece]


def _strip_lead(text: str) -> tuple[str, bool]:
    """Remove leading sequence words, a subject and auxiliaries; report whether a
    subject was there (a subject makes the next word a verb even if unknown)."""
    had_subject = False
    while True:
        before = text
        text = _LEAD_FILLER.sub("", text)
        for pattern in (_SUBJECT, _PRONOUN):
            stripped = pattern.sub("", text)
            if stripped != text:
                had_subject, text = True, stripped
        text = _AUX.sub("", text)
        if text == before:
            return text, had_subject


def _lead_action(text: str) -> tuple[str, bool] | None:
    """(verb, had_subject) when ``text`` begins with an action, else None."""
    rest, had_subject = _strip_lead(text.strip(" ,"))
    words = _WORD.findall(rest)
    i = 0
    while i < len(words) and is_adverb(words[i]):
        i += 1
    if i == len(words):
        return None
    word = words[i]
    if is_verb(word) or (had_subject and word not in STOPWORDS):
        return word, had_subject
    return None


def _has_action(text: str) -> bool:
    return _lead_action(text) is not None or any(is_verb(w) for w in _WORD.findall(text))
