"""The grounding methods a request may name, and the one used when it names none.

Defined on the wire side so the client, the protocol, the backend and (through
``moground info --json``) the add-on agree on one list.
"""

from __future__ import annotations

DEFAULT_METHOD = "zomg"
METHODS: tuple[str, ...] = ("zomg", "fused", "changepoint", "window", "uniform")
