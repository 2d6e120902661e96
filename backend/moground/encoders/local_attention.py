"""Block-local self-attention: each frame sees only frames within ``reach`` of it.

A fixed reach is what lets grounding pool one segment without its neighbours leaking
in, and it keeps memory linear in clip length (a 10-minute take is 12,000 frames).
The same reach is used at training and at grounding time.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LocalSelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int, reach: int, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError("dim must be divisible by heads")
        self.dim, self.heads, self.reach = dim, heads, reach
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor | None = None) -> torch.Tensor:
        """x: [B, T, C]; pad_mask: [B, T] True where a frame is padding."""
        b, t, c = x.shape
        blk = self.reach
        nb = -(-t // blk)
        tp = nb * blk
        q, k, v = self.qkv(x).chunk(3, dim=-1)

        def heads(z: torch.Tensor) -> torch.Tensor:  # [B, T, C] -> [B, H, T, c]
            return z.view(b, t, self.heads, c // self.heads).transpose(1, 2)

        q, k, v = heads(q), heads(k), heads(v)
        q = F.pad(q, (0, 0, 0, tp - t)).view(b, self.heads, nb, blk, -1)
        # keys/values: previous, own and next block for every query block
        kp = F.pad(k, (0, 0, blk, tp - t + blk))
        vp = F.pad(v, (0, 0, blk, tp - t + blk))
        kb = kp.unfold(2, 3 * blk, blk).transpose(-1, -2)  # [B, H, nb, 3blk, c]
        vb = vp.unfold(2, 3 * blk, blk).transpose(-1, -2)
        qi = torch.arange(blk, device=x.device)[:, None] + blk
        ki = torch.arange(3 * blk, device=x.device)[None, :]
        allowed = (ki - qi).abs() <= self.reach  # [blk, 3blk]
        # key validity: inside the real clip and not padding
        key_pos = torch.arange(nb, device=x.device)[:, None] * blk + ki - blk  # [nb, 3blk]
        valid = (key_pos >= 0) & (key_pos < t)
        mask = allowed[None, None, None] & valid[None, None, :, None, :]
        if pad_mask is not None:
            pm = F.pad(pad_mask, (blk, tp - t + blk), value=True).unfold(1, 3 * blk, blk)  # [B, nb, 3blk]
            mask = mask & ~pm[:, None, :, None, :]
        out = F.scaled_dot_product_attention(
            q, kb, vb, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0
        )
        out = out.reshape(b, self.heads, tp, -1)[:, :, :t].transpose(1, 2).reshape(b, t, c)
        return self.out(out)


class LocalTransformerLayer(nn.Module):
    """Pre-norm transformer block with local attention and a GELU MLP."""

    def __init__(self, dim: int, heads: int, reach: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = LocalSelfAttention(dim, heads, reach, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.drop(self.attn(self.norm1(x), pad_mask))
        return x + self.drop(self.mlp(self.norm2(x)))
