"""Phrase scores of decoded segments: how much better each segment matches its own phrase.

Every method's segments are scored with ``segment_scores`` (``methods.scored`` adds
the cut sharpness), so scores compare across methods.
"""

from __future__ import annotations

import torch

from ..encoders.base import MotionTextEncoder
from .contrast import contrast_text


def segment_scores(
    encoder: MotionTextEncoder,
    feats: torch.Tensor,
    text: torch.Tensor,
    segments: list[tuple[int, int]],
    masks: torch.Tensor | None,
    tau: float = 0.07,
) -> list[float]:
    """Score in [0, 1] per segment.

    The probability that the segment's pooled motion matches its own phrase rather
    than the prompt's other phrases or the rest of the clip (softmax at ``tau``),
    times the mean soft-mask membership of its frames when masks are given. A lone
    phrase whose span covers the whole clip also competes with everyday actions
    (``contrast``): with no other phrase and no rest of the clip it had nothing to lose to.
    """
    k, t_count = text.shape[0], feats.shape[0]
    hard = torch.zeros(k, t_count, device=feats.device)
    for i, (s, e) in enumerate(segments):
        hard[i, s:e] = 1.0
    with torch.no_grad():
        pooled = encoder.pool(feats, hard)
        rest = encoder.pool(feats, 1.0 - hard)
        sims = pooled @ text.T  # [K, K]
        rest_own = (rest * text).sum(-1)
        scores = []
        # only where nothing else is left to lose to: inside a take, the rest of the take
        # is the alternative (contrast phrases there lowered the single-query AUROC)
        whole = k == 1 and segments[0][0] <= 0 and segments[0][1] >= t_count
        others = contrast_text(encoder, text[0]) if whole else text[:0]
        for i, (s, e) in enumerate(segments):
            logits = torch.cat([sims[i], pooled[i] @ others.T, rest_own[i : i + 1]]) / tau
            p = float(torch.softmax(logits, 0)[i])
            if masks is not None and e > s:
                p *= float(masks[i, s:e].mean())
            scores.append(min(1.0, max(0.0, p)))
    return scores
