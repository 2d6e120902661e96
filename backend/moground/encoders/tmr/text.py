"""DistilBERT token embeddings, TMR's text input, from a local folder only.

TMR feeds the last hidden states of ``distilbert-base-uncased`` (768-dim, one per
WordPiece token including [CLS] and [SEP]) with their attention mask to its text
encoder. The source is a folder (``--distilbert DIR``) or, as TMR itself does, the hub
name, read from the user's local Hugging Face cache only; nothing is ever downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ...wire.errors import EncoderError


class DistilBertTokens(torch.nn.Module):
    """Frozen DistilBERT: phrases → (hidden [N, L, H], mask [N, L] bool)."""

    def __init__(self, source: str | Path) -> None:
        """``source``: a folder (Path), or a hub name (str) looked up in the local cache."""
        super().__init__()
        if isinstance(source, Path) and not (source / "config.json").is_file():
            raise EncoderError(
                f"DistilBERT not found in {source} (no config.json): point --distilbert to a local "
                "distilbert-base-uncased folder (config.json, weights, vocab.txt); nothing is downloaded"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import transformers
        from transformers import AutoModel, AutoTokenizer

        transformers.logging.set_verbosity_error()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True)
            self.model = AutoModel.from_pretrained(str(source), local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            if isinstance(source, Path):
                raise EncoderError(f"cannot load DistilBERT from {source}: {exc}") from exc
            raise EncoderError(
                f"DistilBERT {source!r} is not in the local Hugging Face cache and no folder was "
                "given: point --distilbert to a local distilbert-base-uncased folder; nothing is "
                "downloaded") from None
        self.folder = source
        self.hidden_size = int(self.model.config.hidden_size)
        self.model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    def train(self, mode: bool = True) -> "DistilBertTokens":
        # Always frozen and deterministic, whatever the parent module's mode.
        return super().train(False)

    @torch.no_grad()
    def forward(self, phrases: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        device = next(self.model.parameters()).device
        enc = self.tokenizer(list(phrases), return_tensors="pt", padding=True)
        out = self.model(input_ids=enc["input_ids"].to(device), attention_mask=enc["attention_mask"].to(device))
        return out.last_hidden_state, enc["attention_mask"].to(device).bool()
