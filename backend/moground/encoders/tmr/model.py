"""TMR's ACTOR-style VAE transformer encoder, rebuilt with the checkpoint's parameter names.

One module serves both towers (motion: 263 features in, text: 768-dim DistilBERT
tokens in). Parameter names follow the published ``last_weights/*.pt`` files:
``projection.{weight,bias}``, ``tokens`` ([2, latent]: the mu and logvar queries) and
``seqTransEncoder.layers.N.{self_attn.in_proj_weight, self_attn.in_proj_bias,
self_attn.out_proj.*, linear1.*, linear2.*, norm1.*, norm2.*}`` - the names of
PyTorch's post-norm ``nn.TransformerEncoderLayer``, whose arithmetic the layer below
repeats. The sinusoidal positional encoding has no parameters; it is added to the
whole sequence, learned tokens first (positions 0 and 1), then the inputs.

What differs from a plain port: ``forward`` takes a per-element additive key bias and
(possibly fractional) positions, so that grounding can give each soft mask its own
batched pass in which masked-out frames are invisible as attention keys in every layer
and the kept frames are numbered as if the segment had been cut out (see ``pool`` in
``encoder.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class ActorConfig:
    nfeats: int
    latent_dim: int = 256
    ff_size: int = 1024
    num_layers: int = 6
    num_heads: int = 4
    dropout: float = 0.1
    activation: str = "gelu"
    vae: bool = True


def sinusoidal_encoding(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """[..., L] (possibly fractional) positions → [..., L, dim]; sin on even, cos on odd channels."""
    freqs = torch.exp(torch.arange(0, dim, 2, device=positions.device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    angles = positions.to(torch.float32)[..., None] * freqs
    out = torch.stack((torch.sin(angles), torch.cos(angles)), dim=-1)
    return out.flatten(-2)


class PostNormLayer(nn.Module):
    """Self-attention + feed-forward, each followed by residual and LayerNorm."""

    def __init__(self, cfg: ActorConfig) -> None:
        super().__init__()
        d = cfg.latent_dim
        self.self_attn = nn.MultiheadAttention(d, cfg.num_heads, dropout=cfg.dropout, batch_first=True)
        self.linear1 = nn.Linear(d, cfg.ff_size)
        self.linear2 = nn.Linear(cfg.ff_size, d)
        self.norm1 = nn.LayerNorm(d)
        self.norm2 = nn.LayerNorm(d)
        self.dropout = nn.Dropout(cfg.dropout)
        self.dropout1 = nn.Dropout(cfg.dropout)
        self.dropout2 = nn.Dropout(cfg.dropout)
        self.activation = F.gelu if cfg.activation == "gelu" else F.relu

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor | None, n_queries: int | None = None) -> torch.Tensor:
        """x [B, L, D]; key_bias [B, L] added to attention logits; only the first
        ``n_queries`` positions are updated and returned when given (keys stay all of x)."""
        q = x if n_queries is None else x[:, :n_queries]
        attn = self.self_attn(q, x, x, key_padding_mask=key_bias, need_weights=False)[0]
        h = self.norm1(q + self.dropout1(attn))
        return self.norm2(h + self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(h))))))


class LayerStack(nn.Module):
    """Holds the layers under the checkpoint's ``seqTransEncoder.layers`` name."""

    def __init__(self, cfg: ActorConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(PostNormLayer(cfg) for _ in range(cfg.num_layers))


class ActorStyleEncoder(nn.Module):
    """Inputs [B, L, nfeats] → the learned tokens' outputs [B, 2, latent] (mu, logvar)."""

    def __init__(self, cfg: ActorConfig) -> None:
        super().__init__()
        if cfg.activation not in ("gelu", "relu"):
            raise ValueError(f"unsupported activation {cfg.activation!r}")
        self.cfg = cfg
        self.n_tokens = 2 if cfg.vae else 1
        self.projection = nn.Linear(cfg.nfeats, cfg.latent_dim)
        self.tokens = nn.Parameter(torch.randn(self.n_tokens, cfg.latent_dim))
        self.seqTransEncoder = LayerStack(cfg)
        self.pos_dropout = nn.Dropout(cfg.dropout)

    def forward(
        self,
        x: torch.Tensor,
        key_bias: torch.Tensor | None = None,
        positions: torch.Tensor | None = None,
        projected: bool = False,
    ) -> torch.Tensor:
        """Encode a batch.

        x: [B, L, nfeats] (or [B, L, latent] if ``projected``).
        key_bias: [B, L] additive attention bias for the inputs as keys (0 keep, -inf or
            log(weight) to drop/attenuate); the learned tokens always get 0.
        positions: [B, L] positions of the inputs; default 0..L-1. The tokens sit
            before them (the inputs' positions are shifted by the number of tokens).
        Returns [B, n_tokens, latent].
        """
        h = x if projected else self.projection(x)
        b, length, d = h.shape
        if positions is None:
            positions = torch.arange(length, device=h.device, dtype=torch.float32).expand(b, length)
        tok_pos = torch.arange(self.n_tokens, device=h.device, dtype=torch.float32).expand(b, self.n_tokens)
        seq = torch.cat((self.tokens.expand(b, -1, -1), h), dim=1)
        seq = seq + sinusoidal_encoding(torch.cat((tok_pos, positions + self.n_tokens), dim=1), d)
        seq = self.pos_dropout(seq)
        bias = None
        if key_bias is not None:
            bias = torch.cat((key_bias.new_zeros(b, self.n_tokens), key_bias.to(seq.dtype)), dim=1)
        layers = self.seqTransEncoder.layers
        for i, layer in enumerate(layers):
            # The last layer only needs the token queries: the frames' outputs are unused.
            seq = layer(seq, bias, n_queries=self.n_tokens if i == len(layers) - 1 else None)
        return seq[:, : self.n_tokens]

    def encode_mu(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """TMR's embedding of padded inputs: the mu token (bool mask [B, L], True = valid)."""
        bias = torch.zeros(mask.shape, dtype=torch.float32, device=x.device).masked_fill(~mask, float("-inf"))
        return self(x, key_bias=bias)[:, 0]
