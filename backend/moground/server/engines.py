"""How a worker gets its grounding engine: a ``module:callable`` factory spec.

The spec is a string so that it crosses process boundaries unchanged (workers are
separate processes) and so that tests can swap in a light engine without touching
the serving code.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from ..wire.errors import MoGroundError

DEFAULT_FACTORY = "moground.server.engines:default_engine_factory"


def default_engine_factory(encoder: str = "builtin", encoder_path: str | None = None,
                           device: str = "cpu", seed: int = 0, encoder_options: dict | None = None,
                           llm: dict | None = None, indexes: dict | None = None) -> Any:
    """The real engine with library search, imported here so the front end never loads
    torch; ``indexes`` (name → folder) are opened by each worker once."""
    from ..decompose import LLMConfig
    from .search_engine import SearchingEngine

    return SearchingEngine(encoder=encoder, encoder_path=encoder_path, device=device, seed=seed,
                           llm=LLMConfig(**llm) if llm else None, indexes=indexes, **(encoder_options or {}))


def resolve_factory(spec: str) -> Callable[..., Any]:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise MoGroundError(f"engine factory must look like 'package.module:function', got {spec!r}")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise MoGroundError(f"cannot load engine factory {spec!r}: {exc}") from None
