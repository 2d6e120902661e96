"""Finding and strictly loading the files of a TMR run folder and its checkout.

Layout of a TMR checkout (what ``--encoder-path`` points into)::

    TMR/models/tmr_humanml3d_guoh3dfeats/     the run folder = --encoder-path
        config.json                           resolved hydra config of the run
        last_weights/motion_encoder.pt        state dict of the motion encoder
        last_weights/text_encoder.pt          state dict of the text encoder
    TMR/stats/humanml3d/guoh3dfeats/{mean,std}.pt   feature statistics  (--tmr-stats)
    TMR/src/guofeats/skeleton_example_h3d.npy HumanML3D's reference skeleton (required)
    distilbert-base-uncased                   the text model: --distilbert DIR, else
                                              TMR/deps/<name> if present, else the local
                                              Hugging Face cache (TMR loads it by hub name)

Defaults are read from ``config.json`` where it says (``data.motion_loader.normalizer
.base_dir``, ``data.text_to_token_emb.modelname``), relative to the checkout two levels
above the run folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...wire.errors import EncoderError
from ..base import load_error_message
from .model import ActorConfig

# Buffers that some TMR versions may have saved; deterministic, so ignored if present.
_IGNORABLE = ("sequence_pos_encoding.pe",)
_PUBLISHED = {"latent_dim": 256, "ff_size": 1024, "num_layers": 6, "num_heads": 4, "dropout": 0.1, "activation": "gelu", "vae": True}


@dataclass
class TMRFiles:
    run_dir: Path
    config: Path
    motion_weights: Path
    text_weights: Path
    stats_dir: Path
    distilbert_dir: Path | str  # a folder, or a hub name read from the local cache only
    skeleton_example: Path | None


def config_value(cfg: dict, dotted: str) -> Any:
    """``cfg["a"]["b"]`` for "a.b", None where any level is absent."""
    node: Any = cfg
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def read_config(run_dir: Path) -> dict:
    path = run_dir / "config.json"
    if not path.is_file():
        raise EncoderError(f"{run_dir} is not a TMR run folder: config.json is missing")
    try:
        cfg = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise EncoderError(f"cannot read {path}: {exc}") from exc
    if not isinstance(cfg, dict):
        raise EncoderError(f"{path} is not a JSON object")
    return cfg


def resolve_files(
    path: str | Path | None,
    cfg: dict,
    stats_dir: str | Path | None = None,
    distilbert_dir: str | Path | None = None,
    skeleton: str | Path | None = None,
) -> TMRFiles:
    """Where each file is: explicit options first, then the checkout's layout."""
    run_dir = Path(path).expanduser().resolve()
    checkout = run_dir.parent.parent
    weights = run_dir / "last_weights"
    stats_rel = config_value(cfg, "data.motion_loader.normalizer.base_dir") or "stats/humanml3d/guoh3dfeats"
    text_id = str(config_value(cfg, "data.text_to_token_emb.modelname") or "distilbert-base-uncased")
    if distilbert_dir:
        text_model: Path | str = Path(distilbert_dir).expanduser().resolve()
    elif (checkout / "deps" / Path(text_id).name).is_dir():
        text_model = checkout / "deps" / Path(text_id).name
    else:  # TMR itself loads it by hub name: the user's Hugging Face cache
        text_model = text_id
    if skeleton is None:
        candidate = checkout / "src" / "guofeats" / "skeleton_example_h3d.npy"
        skeleton = candidate if candidate.is_file() else None
    return TMRFiles(
        run_dir=run_dir,
        config=run_dir / "config.json",
        motion_weights=weights / "motion_encoder.pt",
        text_weights=weights / "text_encoder.pt",
        stats_dir=Path(stats_dir).expanduser().resolve() if stats_dir else checkout / stats_rel,
        distilbert_dir=text_model,
        skeleton_example=Path(skeleton) if skeleton else None,
    )


def encoder_config(cfg: dict, which: str, nfeats_default: int) -> ActorConfig:
    """Hyper-parameters of ``model.<which>`` in config.json; published values where absent."""
    node = config_value(cfg, f"model.{which}") or {}
    vals = {k: node.get(k, v) for k, v in _PUBLISHED.items()}
    try:
        return ActorConfig(
            nfeats=int(node.get("nfeats", nfeats_default)),
            latent_dim=int(vals["latent_dim"]),
            ff_size=int(vals["ff_size"]),
            num_layers=int(vals["num_layers"]),
            num_heads=int(vals["num_heads"]),
            dropout=float(vals["dropout"]),
            activation=str(vals["activation"]),
            vae=bool(vals["vae"]),
        )
    except (TypeError, ValueError) as exc:
        raise EncoderError(f"config.json: bad model.{which} settings: {exc}") from exc


def load_strict(module: torch.nn.Module, path: Path, what: str) -> None:
    """Load a state dict whose keys and shapes must match ``module`` exactly."""
    if not path.is_file():
        raise EncoderError(f"TMR {what} weights not found: {path}")
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt or not a tensor dict
        raise EncoderError(f"cannot read TMR {what} weights {path}: {load_error_message(exc)}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise EncoderError(f"{path} is not a state dict of tensors")
    state = {k: v for k, v in state.items() if k not in _IGNORABLE}
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = [f"{k} {list(state[k].shape)} (expected {list(own[k].shape)})" for k in sorted(set(own) & set(state)) if state[k].shape != own[k].shape]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing keys: {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected keys: {', '.join(unexpected)}")
        if wrong:
            parts.append(f"shape mismatch: {'; '.join(wrong)}")
        raise EncoderError(f"{path} does not match TMR's {what} ({'; '.join(parts)})", details={"missing": missing, "unexpected": unexpected})
    module.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)


def load_stats(stats_dir: Path, nfeats: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Feature mean and std ([nfeats] each); TMR normalises with (x - mean) / (std + 1e-12)."""
    out = []
    for name in ("mean", "std"):
        path = stats_dir / f"{name}.pt"
        if not path.is_file():
            raise EncoderError(
                f"TMR feature statistics missing: {path}. They come with the TMR checkout "
                "(stats/humanml3d/guoh3dfeats); pass --tmr-stats DIR to point to them"
            )
        try:
            t = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:
            raise EncoderError(f"cannot read {path}: {load_error_message(exc)}") from None
        t = torch.as_tensor(t, dtype=torch.float32).reshape(-1)
        if t.numel() != nfeats or not torch.isfinite(t).all():
            raise EncoderError(f"{path} must hold {nfeats} finite values, got {t.numel()}")
        out.append(t)
    if (out[1] < 0).any():
        raise EncoderError(f"{stats_dir / 'std.pt'} has negative values")
    return out[0], out[1]


def load_skeleton_lengths(path: Path | None) -> np.ndarray:
    """Bone lengths of HumanML3D's reference skeleton (first frame of its example clip).

    Required: without it the features would keep the input's bone lengths, which a
    HumanML3D-trained model has never seen."""
    if path is None:
        raise EncoderError(
            "HumanML3D reference skeleton not found: TMR's features need "
            "src/guofeats/skeleton_example_h3d.npy of the TMR checkout (pass its path as the "
            "tmr encoder's 'skeleton' option when it lives elsewhere)")
    from .guoh3dfeats import N_JOINTS, bone_lengths

    try:
        arr = np.load(str(path), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise EncoderError(f"cannot read the reference skeleton {path}: {exc}") from exc
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == 3:
        arr = arr[0]
    if arr.ndim != 2 or arr.shape[0] < N_JOINTS or arr.shape[1] != 3:
        raise EncoderError(f"reference skeleton {path} must be [>=22, 3] joints, got {list(arr.shape)}")
    return bone_lengths(arr[:N_JOINTS])
