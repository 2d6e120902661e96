"""The ``tmr`` encoder: a user's TMR checkpoint behind MoGround's encoder interface.

Masks. TMR summarises a motion with a learned token that attends to all frames, so a
segment's embedding is not a pooling of per-frame embeddings. ``pool`` therefore runs
the motion encoder once per mask (batched over K) on the whole clip and applies the
mask *inside* it:

* key bias: every attention layer adds ``log(w_t)`` to the logits of frame t as a key
  (``-inf`` for weight 0), so a frame with weight 0 is invisible to the tokens and to
  the other frames, exactly like TMR's padding mask on a cut-out segment;
* soft positions: frame t gets position ``sum_{s<t} w_s`` (exclusive cumulative sum), so
  the kept frames of a 0/1 mask are numbered 0, 1, 2, ... as if the segment had been
  cut out.

With 0/1 masks ``pool`` equals TMR's embedding of the cut segment (tested); with soft
masks both parts are differentiable in the weights. Each row is divided by its maximum
first, so scaling a mask changes nothing (as for the builtin encoder). Frames whose
weight is 0 in every row are dropped before the transformer: they contribute nothing and
get no gradient either way, and sliding windows become cheap.

``frame_features`` returns the normalised 263-dim guoh3dfeats ([T, 263]; the last row is
repeated because the recipe yields T-1 rows); ``pool`` gives that duplicated last row
weight 0, so a segment that runs to the clip's end is the recipe's own rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...wire.errors import BadMotion, EncoderError
from .checkpoint import (
    config_value,
    encoder_config,
    load_skeleton_lengths,
    load_stats,
    load_strict,
    read_config,
    resolve_files,
)
from .guoh3dfeats import FPS, NFEATS, N_JOINTS, joints_to_guoh3dfeats
from .model import ActorStyleEncoder
from .text import DistilBertTokens

STD_EPS = 1e-12  # TMR's Normalizer epsilon
WEIGHT_FLOOR = 1e-12  # weights below this are treated as 0 (log bias ≈ -27.6)
TRAINED_MAX_FRAMES = 200  # HumanML3D clips are at most ~10 s at 20 fps


class TMREncoder(nn.Module):
    name = "tmr"

    def __init__(self, motion_encoder: ActorStyleEncoder, text_encoder: ActorStyleEncoder, text_model: DistilBertTokens | None,
                 mean: torch.Tensor, std: torch.Tensor, fps: float = FPS, skeleton_lengths: np.ndarray | None = None) -> None:
        super().__init__()
        self.motion_encoder = motion_encoder
        self.text_encoder = text_encoder
        self.text_model = text_model
        self.register_buffer("feat_mean", mean.clone())
        self.register_buffer("feat_std", std.clone())
        self.fps = float(fps)
        self.dim = motion_encoder.cfg.latent_dim
        self.skeleton_lengths = skeleton_lengths
        self.files: dict[str, str | None] = {}
        self.warnings: list[str] = []
        self._text_cache: dict[str, torch.Tensor] = {}

    @property
    def device(self) -> torch.device:
        return self.feat_mean.device

    # -- MotionTextEncoder interface -------------------------------------------------
    def encode_text(self, phrases: list[str]) -> torch.Tensor:
        if self.text_model is None:
            raise EncoderError("this TMR encoder was built without a text model")
        missing = [p for p in dict.fromkeys(phrases) if p not in self._text_cache]
        if missing:
            hidden, mask = self.text_model(missing)
            with torch.no_grad():
                emb = F.normalize(self.text_encoder.encode_mu(hidden.to(self.device), mask.to(self.device)), dim=-1)
            self._text_cache.update(zip(missing, emb))
        return torch.stack([self._text_cache[p] for p in phrases])

    def frame_features(self, motion: torch.Tensor) -> torch.Tensor:
        if motion.ndim != 3 or tuple(motion.shape[1:]) != (N_JOINTS, 3):
            raise BadMotion(f"the tmr encoder needs canonical joints [T, 22, 3], got {list(motion.shape)}")
        feats = joints_to_guoh3dfeats(motion.detach().cpu().double().numpy(), self.skeleton_lengths)
        feats = np.concatenate([feats, feats[-1:]], axis=0)
        x = torch.from_numpy(feats).to(self.device, torch.float32)
        return (x - self.feat_mean) / (self.feat_std + STD_EPS)

    def pool(self, feats: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        if feats.ndim != 2 or weights.ndim != 2 or weights.shape[1] != feats.shape[0]:
            raise BadMotion(f"pool needs feats [T, H] and weights [K, T], got {list(feats.shape)} and {list(weights.shape)}")
        w = weights.to(feats.dtype).clamp_min(0)
        w = torch.cat([w[:, :-1], torch.zeros_like(w[:, -1:])], dim=1)  # the duplicated last row
        w = w / w.amax(dim=1, keepdim=True).clamp_min(WEIGHT_FLOOR)
        positions = torch.cumsum(w, dim=1) - w
        keep = (w > WEIGHT_FLOOR).any(dim=0)
        if not bool(keep.all()):
            idx = keep.nonzero().squeeze(1)
            feats, w, positions = feats[idx], w[:, idx], positions[:, idx]
        tokens = self.motion_encoder.projection(feats).expand(w.shape[0], -1, -1)
        # log(w), and -inf (not log of the floor) where a frame is out of the mask
        bias = torch.log(w.clamp_min(WEIGHT_FLOOR)).masked_fill(w <= 0, float("-inf"))
        mu = self.motion_encoder(tokens, key_bias=bias, positions=positions, projected=True)[:, 0]
        return F.normalize(mu, dim=-1)

    def encode_motion(self, feats: torch.Tensor) -> torch.Tensor:
        """TMR's own embedding of whole normalised feature sequences [B, T, 263] → [B, D]."""
        mask = torch.ones(feats.shape[:2], dtype=torch.bool, device=feats.device)
        return F.normalize(self.motion_encoder.encode_mu(feats, mask), dim=-1)

    def describe(self) -> dict[str, Any]:
        count = lambda m: sum(p.numel() for p in m.parameters()) if m is not None else 0  # noqa: E731
        return {
            "name": self.name,
            "trained": True,
            "weights": self.files.get("run_dir"),
            "fps": self.fps,
            "embed_dim": self.dim,
            "frame_dim": NFEATS,
            "feature": "guoh3dfeats (HumanML3D 263-dim), normalised with the checkpoint's mean/std",
            "parameters": {
                "motion_encoder": count(self.motion_encoder),
                "text_encoder": count(self.text_encoder),
                "text_model_frozen": count(self.text_model),
            },
            "paths": dict(self.files),
            "stats": self.files.get("stats_dir"),
            "text_model": self.files.get("distilbert_dir"),
            "mask_strategy": "per-mask encoder pass: log(weight) key bias in every layer + soft positions",
            "trained_max_frames": TRAINED_MAX_FRAMES,
            "config": {"motion_encoder": vars(self.motion_encoder.cfg), "text_encoder": vars(self.text_encoder.cfg)},
            "warnings": list(self.warnings),
        }


def load_tmr(path: str | Path | None = None, device: str = "cpu", stats_dir: str | Path | None = None,
             distilbert_dir: str | Path | None = None, skeleton: str | Path | None = None, **_: Any) -> TMREncoder:
    """Load a TMR run folder (``models/tmr_humanml3d_guoh3dfeats``) strictly."""
    if not path:
        raise EncoderError("the tmr encoder needs --encoder-path: the TMR run folder (e.g. TMR/models/tmr_humanml3d_guoh3dfeats)")
    run_dir = Path(path).expanduser()
    if not run_dir.is_dir():
        raise EncoderError(f"TMR run folder not found: {run_dir}")
    cfg = read_config(run_dir)
    files = resolve_files(run_dir, cfg, stats_dir, distilbert_dir, skeleton)

    motion_cfg = encoder_config(cfg, "motion_encoder", NFEATS)
    text_cfg = encoder_config(cfg, "text_encoder", 768)
    if motion_cfg.nfeats != NFEATS:
        raise EncoderError(f"config.json: motion features have {motion_cfg.nfeats} channels; only guoh3dfeats ({NFEATS}) is supported")
    if motion_cfg.latent_dim != text_cfg.latent_dim:
        raise EncoderError("config.json: motion and text encoders have different latent sizes")
    fps = config_value(cfg, "data.motion_loader.fps") or FPS
    if abs(float(fps) - FPS) > 1e-6:
        raise EncoderError(f"config.json: motion fps is {fps}; guoh3dfeats here are computed at {FPS}")
    try:
        motion_encoder, text_encoder = ActorStyleEncoder(motion_cfg), ActorStyleEncoder(text_cfg)
    except ValueError as exc:
        raise EncoderError(f"config.json: {exc}") from exc
    load_strict(motion_encoder, files.motion_weights, "motion encoder")
    load_strict(text_encoder, files.text_weights, "text encoder")
    mean, std = load_stats(files.stats_dir, NFEATS)
    lengths = load_skeleton_lengths(files.skeleton_example)
    text_model = DistilBertTokens(files.distilbert_dir)
    if text_model.hidden_size != text_cfg.nfeats:
        raise EncoderError(f"DistilBERT in {files.distilbert_dir} gives {text_model.hidden_size}-dim tokens; the text encoder expects {text_cfg.nfeats}")

    enc = TMREncoder(motion_encoder, text_encoder, text_model, mean, std, fps=FPS, skeleton_lengths=lengths)
    enc.files = {k: (str(v) if v is not None else None) for k, v in vars(files).items()}
    return enc.to(device).eval()  # inference: no dropout


def random_tmr(seed: int = 0, device: str = "cpu") -> TMREncoder:
    """A TMR-shaped encoder with random weights and unit statistics, without a text model.

    For measuring cost (benchmarks): same layers, same maths, same feature pipeline.
    """
    torch.manual_seed(seed)
    enc = TMREncoder(ActorStyleEncoder(encoder_config({}, "motion_encoder", NFEATS)), ActorStyleEncoder(encoder_config({}, "text_encoder", 768)),
                     None, torch.zeros(NFEATS), torch.ones(NFEATS))
    enc.warnings.append("random weights (cost measurement only)")
    return enc.to(device).eval()
