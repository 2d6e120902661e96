"""The per-segment ``low_confidence`` flag: one definition for the JSON, the wire reply,
the CLI table and the add-on.

A segment is flagged when its score (``zomg.segment_scores``: how much better its pooled
motion matches its own phrase than the prompt's other phrases and the rest of the take)
is below ``LOW_CONFIDENCE_SCORE``. The threshold was chosen on development data
(realchains takes and the val split's spliced sequences; ``scripts/tune_confidence.py``)
as the score that best separates segments with IoU ≥ 0.5 from the rest (Youden's J),
for the default weights: there, 87 % of the kept segments and 41 % of the flagged ones
reach IoU 0.5 (docs/tuning/confidence.md). Other weights score on another scale: retune
with the script when the default weights change.
"""

from __future__ import annotations

LOW_CONFIDENCE_SCORE = 0.030


def confidence_flag(score: float, threshold: float = LOW_CONFIDENCE_SCORE) -> tuple[bool, str | None]:
    """(low_confidence, reason) for one segment score in [0, 1]."""
    if score < threshold:
        return True, f"weak text match: score {score:.3f} < {threshold:.3f} (the motion fits this phrase little better than the prompt's others)"
    return False, None
