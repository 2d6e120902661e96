"""Phrase embeddings for grounding, optionally expanded through the action lexicon.

An action name the encoder never saw in training ("jumping jacks") can still land on
learned primitives if it is embedded together with body-part descriptions of it
("jumps the feet apart and together while raising both arms"). The user's own words
weigh as much as all expansions together, so a poor lexicon match cannot take over.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..encoders.base import MotionTextEncoder
from ..text.actions import expand_phrase


def encode_phrases(encoder: MotionTextEncoder, phrases: list[str], expand: bool = False) -> torch.Tensor:
    """[K, D] unit-norm phrase embeddings."""
    if not expand:
        return encoder.encode_text(phrases)
    rows = []
    for phrase in phrases:
        variants = expand_phrase(phrase)
        emb = encoder.encode_text(variants)
        if len(variants) > 1:
            own, rest = emb[0], emb[1:].mean(0)
            rows.append(F.normalize(own + rest, dim=0))
        else:
            rows.append(emb[0])
    return torch.stack(rows)
