"""MoGround's own compact motion-text encoder (``builtin``).

Motion side: heading-frame kinematic features → linear stem → depthwise temporal conv →
local-attention transformer (fixed reach) → per-frame features; attention pooling that
takes per-frame weights, so a soft temporal mask selects what is pooled. Text side:
frozen MiniLM sentence embeddings (optionally with its top layers tuned) → MLP
projection. Both land in one unit-norm space of size ``embed_dim``.

Two trained weights ship in ``moground/weights/``, each with its model card:
``builtin.pt`` (the default, ``builtin``: CMU data only, usable commercially) and
``builtin_nc.pt`` (``builtin-nc``: also Bandai Namco CC BY-NC 4.0 and research action
sets, non-commercial use only). Without a weights file the encoder is randomly
initialised and says so in ``describe()``; the CLI warns loudly in that case.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..wire.errors import EncoderError
from ..features import FEATURE_DIM, motion_features
from ..paths import BUILTIN_NC_WEIGHTS, BUILTIN_WEIGHTS
from .base import load_error_message
from .local_attention import LocalTransformerLayer
from .minilm import TEXT_DIM, MiniLM

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = BUILTIN_WEIGHTS


@dataclass
class BuiltinConfig:
    fps: float = 20.0
    width: int = 192
    layers: int = 3
    heads: int = 4
    reach: int = 30  # frames each frame attends to on either side (1.5 s at 20 fps)
    embed_dim: int = 256
    text_hidden: int = 512
    text_tune_layers: int = 0  # top MiniLM layers tuned in training (their weights ship too)
    # pooling mixes attention with the plain masked mean (learned share), so a span cannot
    # ignore the frames it covers for free: extent-aware weights use it (issue 11)
    pool_mean_mix: bool = False
    dropout: float = 0.1


class MotionTower(nn.Module):
    """Per-frame motion features [B, T, width] from kinematic features [B, T, F]."""

    def __init__(self, cfg: BuiltinConfig) -> None:
        super().__init__()
        self.register_buffer("feat_mean", torch.zeros(FEATURE_DIM))
        self.register_buffer("feat_std", torch.ones(FEATURE_DIM))
        self.stem = nn.Sequential(nn.Linear(FEATURE_DIM, cfg.width), nn.GELU(), nn.Linear(cfg.width, cfg.width))
        self.conv = nn.Conv1d(cfg.width, cfg.width, kernel_size=5, padding=2, groups=cfg.width)
        self.layers = nn.ModuleList(
            LocalTransformerLayer(cfg.width, cfg.heads, cfg.reach, cfg.dropout) for _ in range(cfg.layers)
        )
        self.norm = nn.LayerNorm(cfg.width)

    def forward(self, feats: torch.Tensor, pad_mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.stem((feats - self.feat_mean) / self.feat_std)
        x = x + self.conv(x.transpose(1, 2)).transpose(1, 2)
        for layer in self.layers:
            x = layer(x, pad_mask)
        return self.norm(x)


class MaskedAttentionPool(nn.Module):
    """Pool frames with attention whose logits are shifted by log(weights).

    A frame with weight 0 contributes nothing; scaling all weights changes nothing, so
    a soft mask acts purely as a selection. Gradients flow to the weights. With
    ``mean_mix`` the attention is blended with the weights' own normalised profile
    (share sigmoid(mix), learned), so every covered frame counts for something.
    """

    def __init__(self, width: int, embed_dim: int, mean_mix: bool = False) -> None:
        super().__init__()
        self.score = nn.Linear(width, 1)
        self.proj = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.Linear(width, embed_dim))
        self.mix = nn.Parameter(torch.zeros(())) if mean_mix else None

    def forward(self, feats: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """feats [T, H] or [B, T, H]; weights [K, T] or [B, K, T] → [K, D] or [B, K, D]."""
        squeeze = feats.dim() == 2
        if squeeze:
            feats, weights = feats[None], weights[None]
        logits = self.score(feats).squeeze(-1)[:, None, :] + torch.log(weights.clamp_min(1e-8))
        attn = torch.softmax(logits, dim=-1)
        if self.mix is not None:
            share = torch.sigmoid(self.mix)
            profile = weights / weights.sum(-1, keepdim=True).clamp_min(1e-8)
            attn = (1 - share) * attn + share * profile
        pooled = self.proj(attn @ feats)
        out = F.normalize(pooled, dim=-1)
        return out[0] if squeeze else out


class TextHead(nn.Module):
    """Trainable projection of MiniLM sentence embeddings into the joint space."""

    def __init__(self, cfg: BuiltinConfig) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(TEXT_DIM, cfg.text_hidden), nn.GELU(), nn.Linear(cfg.text_hidden, cfg.embed_dim))
        self.skip = nn.Linear(TEXT_DIM, cfg.embed_dim, bias=False)

    def forward(self, sentence_emb: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.mlp(sentence_emb) + self.skip(sentence_emb), dim=-1)


class BuiltinEncoder(nn.Module):
    name = "builtin"

    def __init__(self, cfg: BuiltinConfig | None = None, text_model: MiniLM | None = None) -> None:
        super().__init__()
        self.cfg = cfg or BuiltinConfig()
        self.fps = self.cfg.fps
        self.dim = self.cfg.embed_dim
        self.motion = MotionTower(self.cfg)
        self.pooler = MaskedAttentionPool(self.cfg.width, self.cfg.embed_dim, self.cfg.pool_mean_mix)
        self.text_head = TextHead(self.cfg)
        self.logit_scale = nn.Parameter(torch.tensor(2.659))  # log(1/0.07)
        self.text_model = text_model or MiniLM(trainable_layers=self.cfg.text_tune_layers)
        self.trained = False
        self.weights_path: str | None = None
        self.meta: dict[str, Any] = {}
        self._text_cache: dict[str, torch.Tensor] = {}

    # -- MotionTextEncoder interface -------------------------------------------------
    def encode_text(self, phrases: list[str]) -> torch.Tensor:
        missing = [p for p in dict.fromkeys(phrases) if p not in self._text_cache]
        if missing:
            with torch.no_grad():
                emb = self.text_head(self.text_model(missing))
            for p, e in zip(missing, emb):
                self._text_cache[p] = e
        return torch.stack([self._text_cache[p] for p in phrases])

    def frame_features(self, motion: torch.Tensor) -> torch.Tensor:
        feats = motion_features(motion.to(self.device), self.fps)
        return self.motion(feats[None])[0]

    def pool(self, feats: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return self.pooler(feats, weights)

    def describe(self) -> dict[str, Any]:
        count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
        return {
            "name": self.name,
            "trained": self.trained,
            "licence": licence_line(self.meta) if self.trained else "untrained (random weights)",
            "weights": self.weights_path,
            "fps": self.fps,
            "embed_dim": self.dim,
            "frame_dim": self.cfg.width,
            "reach_frames": self.cfg.reach,
            "parameters": {
                "motion_tower": count(self.motion),
                "pooler": count(self.pooler),
                "text_head": count(self.text_head),
                "text_model_frozen": count(self.text_model),
            },
            "config": asdict(self.cfg),
            "meta": self.meta,
        }

    # -- training helpers --------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self.logit_scale.device

    def text_sentence_embeddings(self, phrases: list[str]) -> torch.Tensor:
        """Raw MiniLM embeddings, for training loops that cache them."""
        return self.text_model(phrases)

    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        """Everything but the frozen MiniLM layers (tuned top layers are included)."""
        sd = self.state_dict()
        keep = {k for k in sd if not k.startswith("text_model.")}
        if self.cfg.text_tune_layers:
            n = len(self.text_model.model.encoder.layer)
            for i in range(n - self.cfg.text_tune_layers, n):
                keep |= {k for k in sd if k.startswith(f"text_model.model.encoder.layer.{i}.")}
        return {k: sd[k] for k in sorted(keep)}

    def save(self, path: str | Path, meta: dict[str, Any] | None = None) -> None:
        state = {k: (v.half() if v.is_floating_point() and "feat_" not in k else v) for k, v in self.trainable_state_dict().items()}
        torch.save({"format": "moground-builtin-1", "config": asdict(self.cfg), "state_dict": state, "meta": meta or {}}, str(path))


def licence_line(meta: dict[str, Any]) -> str:
    """What the loaded weights may be used for, in words an artist reads in ``info``
    (the packaged files' licences: weights/LICENSES.json)."""
    from ..licences import licence_summary

    return licence_summary(bool(meta.get("cmu_only")))


def load_builtin_nc(path: str | Path | None = None, device: str = "cpu", **options: Any) -> BuiltinEncoder:
    """``builtin-nc``: the packaged weights trained with non-commercial data too."""
    return load_builtin(path or BUILTIN_NC_WEIGHTS, device=device, **options)


def load_builtin(path: str | Path | None = None, device: str = "cpu", **_: Any) -> BuiltinEncoder:
    """Load trained weights (the packaged file by default); random init if none exist."""
    weights = Path(path) if path else DEFAULT_WEIGHTS
    if weights.is_dir():
        weights = weights / "builtin.pt"
    if not weights.is_file():
        if path:
            raise EncoderError(f"builtin encoder weights not found: {weights}")
        log.warning("no trained weights at %s: the builtin encoder is UNTRAINED (random init)", weights)
        torch.manual_seed(0)
        return BuiltinEncoder().to(device)
    try:
        blob = torch.load(str(weights), map_location="cpu", weights_only=True)
        cfg = BuiltinConfig(**blob["config"])
        enc = BuiltinEncoder(cfg)
        state = {k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()}
        missing, unexpected = enc.load_state_dict(state, strict=False)
    except Exception as exc:  # corrupt file, wrong format
        raise EncoderError(f"cannot load builtin weights from {weights}: {load_error_message(exc)}") from None
    missing = [k for k in missing if not k.startswith("text_model.")]
    if missing or unexpected:
        raise EncoderError(f"builtin weights {weights} do not match: missing {missing[:5]}, unexpected {unexpected[:5]}")
    enc.trained = True
    enc.weights_path = str(weights)
    enc.meta = dict(blob.get("meta", {}))
    return enc.to(device)
