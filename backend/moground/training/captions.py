"""Caption text for clips that carry labels instead of sentences, and left/right mirroring.

Bandai clips have a content and a style label, the action sets a short action text;
templates turn them into several sentences each so that the text side does not learn
one fixed string per class. Mirroring swaps the words as the joints are swapped.
"""

from __future__ import annotations

import re

from ..text.actions import expand_phrase

BANDAI_CONTENT: dict[str, list[str]] = {
    "raise-up-left-hand": ["raises the left hand", "lifts the left arm up", "puts the left hand up"],
    "raise-up-right-hand": ["raises the right hand", "lifts the right arm up", "puts the right hand up"],
    "raise-up-both-hands": ["raises both hands", "lifts both arms up", "puts both hands up in the air"],
    "run": ["runs", "runs forward", "jogs ahead"],
    "walk": ["walks", "walks forward", "walks straight ahead"],
    "walk-turn-left": ["walks and turns left", "walks forward then turns to the left", "walks in a curve to the left"],
    "walk-turn-right": ["walks and turns right", "walks forward then turns to the right", "walks in a curve to the right"],
    "wave-left-hand": ["waves the left hand", "waves with the left arm", "waves hello with the left hand"],
    "wave-right-hand": ["waves the right hand", "waves with the right arm", "waves hello with the right hand"],
    "wave-both-hands": ["waves both hands", "waves with both arms", "waves both hands above the head"],
    "bow": ["bows", "takes a bow", "bends forward in a bow"],
    "bye": ["waves goodbye", "says bye with a wave of the hand"],
    "byebye": ["waves goodbye with both hands", "waves bye bye"],
    "dash": ["dashes forward", "sprints forward", "runs fast"],
    "guide": ["points the way with a hand", "gestures to guide someone"],
    "walk-back": ["walks backwards", "steps backward"],
    "walk-left": ["walks to the left", "steps sideways to the left"],
    "walk-right": ["walks to the right", "steps sideways to the right"],
    "call": ["calls someone with a hand gesture", "beckons with a hand"],
    "punch": ["punches", "throws punches"],
    "slash": ["slashes with an arm", "swings an arm as if slashing with a sword"],
    "dance-short": ["dances", "does a short dance"],
    "kick": ["kicks", "kicks with a leg"],
    "respond": ["responds with a gesture", "nods and gestures in response"],
}
BANDAI_STYLE: dict[str, list[str]] = {
    "normal": ["", "normally"], "active": ["energetically", "in an active way"],
    "feminine": ["in a feminine way", "femininely"], "masculine": ["in a masculine way", "manly"],
    "masculinity": ["in a masculine way"], "youthful": ["in a youthful way", "like a young person"],
    "exhausted": ["in an exhausted way", "wearily"], "elderly": ["like an elderly person", "like an old person"],
    "old": ["like an old person"], "angry": ["angrily"], "childish": ["like a child", "childishly"],
    "chimpira": ["like a thug", "swaggering"], "giant": ["like a giant", "heavily"], "happy": ["happily"],
    "musical": ["like in a musical", "theatrically"], "not-confident": ["without confidence", "timidly"],
    "proud": ["proudly"], "sad": ["sadly"], "tired": ["tiredly", "in a tired way"],
}


def bandai_captions(content: str, style: str) -> list[str]:
    verbs = BANDAI_CONTENT.get(content, [content.replace("-", " ")])
    styles = BANDAI_STYLE.get(style, [style.replace("-", " ")])
    out = []
    for i, v in enumerate(verbs):
        st = styles[i % len(styles)]
        out.append(f"a person {v} {st}".strip())
    out.append(f"someone {verbs[0]}")
    return list(dict.fromkeys(out))


def action_captions(action: str) -> list[str]:
    """The data set's action words, as a sentence, and their lexicon expansions."""
    out = [action, f"a person {action}" if not action.startswith("a ") else action]
    out += expand_phrase(action, max_items=3)[1:]
    return list(dict.fromkeys(out))


_SWAP = {"left": "right", "right": "left", "clockwise": "counterclockwise", "counterclockwise": "clockwise",
         "anticlockwise": "clockwise"}
_SWAP_RE = re.compile(r"\b(" + "|".join(_SWAP) + r")\b", re.IGNORECASE)


def mirror_text(text: str) -> str:
    """Swap left/right (and turning sense) words, keeping capitalisation."""
    def sub(m: re.Match) -> str:
        w = m.group(0)
        r = _SWAP[w.lower()]
        return r.capitalize() if w[0].isupper() else r
    return _SWAP_RE.sub(sub, text)
