"""The grounding methods a request may name, and the one used when it names none.

Defined on the wire side so the client, the protocol, the backend and (through
``moground info --json``) the add-on agree on one list.
"""

from __future__ import annotations

# the fused cut DP: zomg's sub-cell refinement is no better on either real-take family
# (docs/tuning/masks_vs_fused.md)
DEFAULT_METHOD = "fused"
METHODS: tuple[str, ...] = ("fused", "zomg", "changepoint", "window", "uniform")
# what each method does, in one line (``moground info``, the wire ``info`` reply)
METHOD_SUMMARIES: dict[str, str] = {
    "fused": "K ordered segments from one cut DP on 0.5 s cells: each segment pooled whole must match its "
             "phrase, cuts where the motion changes, a duration prior (the default)",
    "zomg": "fused, then each cut moved to the frame within one cell that best separates its two phrases "
            "(contrastive objective on the frozen encoder) and the motion change; no better than fused on real takes",
    "changepoint": "text-free: cuts at motion-change peaks with a duration prior",
    "window": "sliding windows of several lengths with the same encoder (TMR temporal pyramid)",
    "uniform": "K equal parts",
}
