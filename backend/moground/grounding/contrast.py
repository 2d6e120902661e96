"""Everyday actions a lone sub-action is weighed against.

With one phrase, ``segment_scores`` has no other phrase of the prompt to compare with,
and a span covering the whole clip has no "rest of the clip" either, so nothing in its
softmax could beat the label, whatever it was. Only such whole-clip spans use these
phrases: for a K=1 span inside a take the rest of the take is the alternative, and
adding the phrases there lowered the realchains single-query score AUROC (0.77 → 0.56,
see docs/tuning/segment_score.md). These phrases give
a single phrase alternatives it can lose to: a take of walking labelled "swim" loses
to "walk". Phrases that mean the same as the query (text similarity at or above
``SAME_MEANING``) are left out, so a right label does not compete with itself.
"""

from __future__ import annotations

import weakref

import torch

CONTRAST_PHRASES: tuple[str, ...] = (
    "walk", "run", "stand still", "sit down", "lie down", "jump", "wave", "kick", "punch",
    "turn around", "crouch", "clap", "dance", "throw", "climb", "bend forward", "raise the arms",
    "stretch", "jog in place", "stand up",
)
SAME_MEANING = 0.8

_CACHE: "weakref.WeakKeyDictionary[object, torch.Tensor]" = weakref.WeakKeyDictionary()


def contrast_text(encoder, own: torch.Tensor) -> torch.Tensor:
    """[C, D] contrast embeddings unlike ``own`` ([D]), on ``own``'s device."""
    try:
        bank = _CACHE[encoder]
    except (KeyError, TypeError):
        with torch.no_grad():
            bank = encoder.encode_text(list(CONTRAST_PHRASES))
        try:
            _CACHE[encoder] = bank
        except TypeError:  # an encoder that cannot be weakly referenced: encode each time
            pass
    bank = bank.to(own.device, own.dtype)
    return bank[(bank @ own) < SAME_MEANING]
