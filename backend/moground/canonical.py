"""From any clip to encoder input: rig mapping, a unit check, resampling and
canonicalisation. Grounding and library indexing share this one path, so a take
indexed in a library and grounded on its own reach the encoder identically."""

from __future__ import annotations

import numpy as np

from .io.units import guess_units_to_m
from .motion import MotionClip
from .preprocess import PreparedMotion, prepare
from .rigmap import CanonicalMotion, map_to_canonical
from .skeleton import CANONICAL_PARENTS


def canonical_motion(clip: MotionClip, rig_override: dict | None, fps: float,
                     warnings: list[str]) -> PreparedMotion:
    """Rig mapping, unit check, resampling to ``fps`` and canonicalisation: the one
    path from any clip to encoder input (grounding and library indexing share it)."""
    clip.validate()
    canon = map_to_canonical(clip, rig_override)
    warnings += _fix_implausible_scale(canon)
    if canon.filled:
        warnings.append(f"joints missing from the rig were filled from neighbours: {', '.join(canon.filled)}")
    return prepare(canon, fps)


def _fix_implausible_scale(canon: CanonicalMotion) -> list[str]:
    """A rig whose declared units make a person 170 m (or 1.7 cm) tall is almost always
    a unit mistake (a centimetre BVH imported at scale 1.0); rescale it and say so."""
    factor = guess_units_to_m(canon.positions, list(CANONICAL_PARENTS))
    if factor == 1.0:
        return []
    canon.positions = (canon.positions * factor).astype(np.float32)
    return [f"the skeleton's size is implausible in the units given; rescaled by {factor:g} (check the unit scale)"]
