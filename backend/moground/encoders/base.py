"""The motion-text encoder interface that grounding relies on, and a registry by name.

Grounding only ever calls ``encode_text``, ``frame_features`` and ``pool``; any encoder
that implements them (the built-in one, a TMR port, a user's own) can be swapped in
by name.
"""

from __future__ import annotations

import re

from typing import Any, Callable, Protocol, runtime_checkable

import torch

from ..errors import EncoderError


@runtime_checkable
class MotionTextEncoder(Protocol):
    """Frozen motion-text encoder.

    ``motion`` given to ``frame_features`` is canonical joint positions, float32
    ``[T, 22, 3]`` at ``fps``: metres, Y up, root at the origin and facing +Z at
    frame 0 (see ``moground.preprocess``). Each encoder derives its own features.
    """

    name: str
    fps: float
    dim: int

    def encode_text(self, phrases: list[str]) -> torch.Tensor:
        """[K, D] unit-norm text embeddings."""

    def frame_features(self, motion: torch.Tensor) -> torch.Tensor:
        """[T, H] per-frame features, computed once per clip."""

    def pool(self, feats: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """[K, D] unit-norm motion embeddings from [K, T] non-negative weights;
        differentiable in ``weights``."""

    def describe(self) -> dict[str, Any]:
        """What was loaded: parameter counts, paths, whether weights are trained."""


EncoderFactory = Callable[..., MotionTextEncoder]
_REGISTRY: dict[str, EncoderFactory] = {}


def load_error_message(exc: BaseException) -> str:
    """Why ``torch.load(..., weights_only=True)`` failed, in one line and without torch's
    advice to retry with ``weights_only=False`` (which would run code from the file:
    never do that for a checkpoint of unknown origin)."""
    text = str(exc)
    found = re.search(r"WeightsUnpickler error: ([^\n]*)", text)
    if found:
        why = re.sub(r"\s*Please use `torch\.serialization.*$", "", found.group(1)).strip()
        return f"the file holds pickled Python objects, not only tensors ({why[:200]}); it is not loaded"
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    if "weights_only" in first:
        first = type(exc).__name__
    return first[:300]


def register_encoder(name: str) -> Callable[[EncoderFactory], EncoderFactory]:
    """Decorator: make ``factory(path=None, device='cpu', **options)`` loadable by name."""

    def deco(factory: EncoderFactory) -> EncoderFactory:
        _REGISTRY[name] = factory
        return factory

    return deco


def available_encoders() -> list[str]:
    _import_builtin_encoders()
    return sorted(_REGISTRY)


def load_encoder(name: str, path: str | None = None, device: str = "cpu", **options: Any) -> MotionTextEncoder:
    """Build the encoder registered as ``name``, frozen and in eval mode."""
    _import_builtin_encoders()
    if name not in _REGISTRY:
        raise EncoderError(f"unknown encoder {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    enc = _REGISTRY[name](path=path, device=device, **options)
    if isinstance(enc, torch.nn.Module):
        enc.eval()
        for p in enc.parameters():
            p.requires_grad_(False)
    return enc


def _import_builtin_encoders() -> None:
    # Imported lazily so that a missing optional encoder never breaks the others.
    from . import builtin  # noqa: F401
    try:
        from . import tmr  # noqa: F401
    except ImportError:
        pass
