"""The motion-text encoder interface that grounding relies on, and a registry by name.

Grounding only ever calls ``encode_text``, ``frame_features`` and ``pool``; any encoder
that implements them (the built-in one, a TMR port, a user's own) can be swapped in
by name.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, Callable, Protocol, runtime_checkable

import torch

from ..wire.errors import EncoderError


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
ENTRY_POINT_GROUP = "moground.encoders"  # third-party encoders: name = "module:factory"
_REGISTRY: dict[str, EncoderFactory | str] = {}  # a factory, or "module:factory" not yet imported


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


def register_encoder(name: str, factory: EncoderFactory | str | None = None):
    """Make ``factory(path=None, device='cpu', **options)`` loadable by ``name``.

    ``factory`` may be a ``"module:function"`` string, imported only when that encoder
    is loaded (so one encoder's dependencies never affect another). Without ``factory``
    this is a decorator."""
    if factory is not None:
        _REGISTRY[name] = factory
        return factory

    def deco(fn: EncoderFactory) -> EncoderFactory:
        _REGISTRY[name] = fn
        return fn

    return deco


def _entry_points() -> None:
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _REGISTRY.setdefault(ep.name, ep.value)


def available_encoders() -> list[str]:
    """Registered names (nothing is imported to list them)."""
    _entry_points()
    return sorted(_REGISTRY)


def _factory(name: str) -> EncoderFactory:
    _entry_points()
    entry = _REGISTRY.get(name)
    if entry is None:
        raise EncoderError(f"unknown encoder {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    if isinstance(entry, str):
        module_name, _, attr = entry.partition(":")
        try:  # a failing import is reported as what it is, never as "unknown encoder"
            entry = getattr(importlib.import_module(module_name), attr)
        except ImportError as exc:
            raise EncoderError(f"encoder {name!r} ({entry}) cannot be imported: {exc}") from exc
        _REGISTRY[name] = entry
    return entry


def load_encoder(name: str, path: str | None = None, device: str = "cpu", **options: Any) -> MotionTextEncoder:
    """Build the encoder registered as ``name``, frozen and in eval mode."""
    enc = _factory(name)(path=path, device=device, **options)
    if isinstance(enc, torch.nn.Module):
        enc.eval()
        for p in enc.parameters():
            p.requires_grad_(False)
    return enc
