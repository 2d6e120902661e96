"""The per-segment ``low_confidence`` flag: one definition for the JSON, the wire reply,
the CLI table and the add-on.

A segment's score (``grounding.methods.scored``) is its text score (how much better its
pooled motion matches its own phrase than the prompt's other phrases and the rest of
the take) times, for prompts of several sub-actions, the sharpness of the motion change
at its weaker cut. It is flagged when the score is below ``LOW_CONFIDENCE_SCORE``,
chosen on development data (realchains takes and the val split's spliced sequences;
``scripts/tune_confidence.py``) as the score that best separates segments with
IoU ≥ 0.5 from the rest (Youden's J), for the default weights (docs/tuning/confidence.md).
Other weights score on another scale: retune with the script when the default weights
change.
"""

from __future__ import annotations

LOW_CONFIDENCE_SCORE = 0.142
SOFT_CUT = 0.5  # a cut whose novelty is below half the take's sharpest change is named as the reason


def confidence_flag(score: float, threshold: float = LOW_CONFIDENCE_SCORE,
                    cut_sharpness: float = 1.0) -> tuple[bool, str | None]:
    """(low_confidence, reason) for one segment score in [0, 1]; the reason names the
    weaker part: a cut where the motion hardly changes, or a weak text match."""
    if score >= threshold:
        return False, None
    if cut_sharpness < SOFT_CUT:
        return True, (f"score {score:.3f} < {threshold:.3f}: a cut falls where the motion hardly changes "
                      f"({cut_sharpness:.2f} of the take's sharpest change)")
    return True, f"weak text match: score {score:.3f} < {threshold:.3f} (the motion fits this phrase little better than the prompt's others)"
