"""ZOMG: zero-shot grounding by test-time optimisation of soft temporal masks.

For one clip and K ordered phrases we learn mask logits ``[K+1, T/stride]`` (the
last row is background: frames that belong to no sub-action). A softmax over rows
turns them into a partition of every frame. The frozen encoder pools the frames
under each mask, and the objective asks that

* each masked embedding matches its own phrase better than the prompt's other
  phrases (contrastive over the prompt, both directions, temperature tau),
* each masked embedding matches its phrase better than the rest of the clip does
  (this is what makes K=1 queries work),
* masks are smooth (total variation), exclusive (little overlap between sub-action
  rows), in prompt order (mask centres ordered), and cover enough frames
  (minimum duration, bounded background).

Masks start from the text-free change-point split, not from zero. Only the mask
logits are optimised; the encoder's parameters are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..encoders.base import MotionTextEncoder
from .assign import ordered_segments


@dataclass
class ZomgConfig:
    steps: int = 120
    lr: float = 0.15
    # a large eps keeps cells whose gradient is negligible from taking full-size Adam
    # steps (which fragments the masks); val-tuned
    adam_eps: float = 1e-3
    tau: float = 0.07
    tau_background: float = 0.1
    background_linear: int = 1
    stride: int = 2
    init_logit: float = 3.0
    w_contrast: float = 1.0
    w_background: float = 1.0
    w_tv: float = 0.2  # tuned on the val split (moground bench --split val)
    w_exclusive: float = 0.5
    w_order: float = 5.0
    w_coverage: float = 5.0
    w_anchor: float = 0.0
    # a boundary moves at most this far from the fused start (text+motion decoding);
    # 0 by default: the masks only shape the scores (why: docs/tuning/history.md)
    max_shift_s: float = 0.0
    max_background: float = 0.5  # share of frames; no cap for single queries (K=1)
    patience: int = 15
    tol: float = 1e-4
    seed: int = 0


def _upsample(cells: torch.Tensor, stride: int, t_count: int) -> torch.Tensor:
    return cells.repeat_interleave(stride, dim=-1)[..., :t_count]


def zomg_objective(
    encoder: MotionTextEncoder,
    feats: torch.Tensor,
    text: torch.Tensor,
    masks: torch.Tensor,
    cfg: ZomgConfig,
    min_frac: float,
    anchor: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Loss for soft masks ``[K+1, T]`` (rows sum to 1 per frame), and its terms."""
    k = text.shape[0]
    seg = masks[:k]
    # one pooling call for the masks and their complements ([2K, T] weights)
    both = encoder.pool(feats, torch.cat([seg, (1.0 - seg).clamp_min(1e-4)]))
    pooled, rest = both[:k], both[k:]  # [K, D] each
    sim = pooled @ text.T / cfg.tau  # [K, K]
    own = sim.diagonal()
    target = torch.arange(k, device=sim.device)
    if k > 1:
        l_con = 0.5 * (F.cross_entropy(sim, target) + F.cross_entropy(sim.T, target))
    else:
        l_con = sim.new_zeros(())
    # linear, not saturating: frames that look like phrase k keep being pulled into
    # row k even after the segment already matches better than the rest
    rest_sim = (rest * text).sum(-1) / cfg.tau
    if cfg.background_linear:
        l_bg = (rest_sim - own).mean() * cfg.tau / cfg.tau_background
    else:
        l_bg = F.softplus((rest_sim - own) * cfg.tau / cfg.tau_background).mean()
    l_tv = (seg[:, 1:] - seg[:, :-1]).abs().sum(-1).mean() / 2.0
    if k > 1:
        gram = seg @ seg.T / seg.shape[1]
        l_excl = (gram.sum() - gram.diagonal().sum()) / (k * (k - 1))
    else:
        l_excl = sim.new_zeros(())
    t_axis = torch.linspace(0.0, 1.0, seg.shape[1], device=seg.device)
    mass = seg.sum(-1).clamp_min(1e-6)
    centre = (seg * t_axis).sum(-1) / mass
    l_order = F.relu(centre[:-1] - centre[1:] + 0.5 / k).pow(2).sum() if k > 1 else sim.new_zeros(())
    frac = seg.mean(-1)
    l_cov = F.relu(min_frac - frac).pow(2).sum()
    if k > 1:
        l_cov = l_cov + F.relu(masks[k].mean() - cfg.max_background).pow(2)
    l_anchor = (masks - anchor).pow(2).sum(0).mean() if anchor is not None else sim.new_zeros(())
    loss = (
        cfg.w_anchor * l_anchor
        + cfg.w_contrast * l_con
        + cfg.w_background * l_bg
        + cfg.w_tv * l_tv
        + cfg.w_exclusive * l_excl
        + cfg.w_order * l_order
        + cfg.w_coverage * l_cov
    )
    parts = {"contrast": l_con, "background": l_bg, "tv": l_tv, "exclusive": l_excl, "order": l_order, "coverage": l_cov, "anchor": l_anchor}
    return loss, parts


def optimise_masks(
    encoder: MotionTextEncoder,
    feats: torch.Tensor,
    text: torch.Tensor,
    init_segments: list[tuple[int, int]],
    min_len: int,
    cfg: ZomgConfig | None = None,
) -> tuple[torch.Tensor, dict]:
    """Test-time training of the mask logits; returns soft masks ``[K+1, T]``."""
    cfg = cfg or ZomgConfig()
    torch.manual_seed(cfg.seed)
    k, t_count = text.shape[0], feats.shape[0]
    stride = max(1, min(cfg.stride, t_count // max(1, 4 * k)))
    cells = -(-t_count // stride)
    logits = torch.zeros(k + 1, cells, device=feats.device)
    for i, (s, e) in enumerate(init_segments):
        logits[i, s // stride : max(s // stride + 1, -(-e // stride))] = cfg.init_logit
    anchor = _upsample(torch.softmax(logits, dim=0), stride, t_count).detach() if cfg.w_anchor > 0 else None
    logits.requires_grad_(True)
    opt = torch.optim.Adam([logits], lr=cfg.lr, eps=cfg.adam_eps)
    feats = feats.detach()
    text = text.detach()
    min_frac = 0.6 * min_len / t_count
    best, stale, history = float("inf"), 0, []
    steps = 0
    for steps in range(1, cfg.steps + 1):
        masks = _upsample(torch.softmax(logits, dim=0), stride, t_count)
        loss, parts = zomg_objective(encoder, feats, text, masks, cfg, min_frac, anchor)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        value = float(loss.detach())
        history.append(value)
        if not history[:-1] or value < best - cfg.tol * max(1.0, abs(best)):
            best, stale = value, 0
        else:
            stale += 1
            if stale >= cfg.patience:
                break
    with torch.no_grad():
        masks = _upsample(torch.softmax(logits, dim=0), stride, t_count)
    return masks, {
        "stride": stride,
        "steps": steps,
        "final_loss": history[-1] if history else None,
        "parts": {n: float(v.detach()) for n, v in parts.items()},
    }


def decode_masks(masks: torch.Tensor, min_len: int, stride: int = 1) -> list[tuple[int, int]]:
    """Ordered DP over log mask probabilities (background row = gaps).

    Masks from ``optimise_masks`` are constant over cells of ``stride`` frames, so the
    DP runs on cells (``stride`` times fewer steps) and maps the cuts back to frames.
    """
    t_count = masks.shape[1]
    cells = masks[:, ::stride]
    logm = torch.log(cells.clamp_min(1e-6)).cpu().numpy().astype(np.float64)
    segs = ordered_segments(logm[:-1], logm[-1], min_len=-(-min_len // stride))
    return [(s * stride, min(e * stride, t_count)) for s, e in segs]


def limit_shift(segments: list[tuple[int, int]], start: list[tuple[int, int]], max_shift: int) -> list[tuple[int, int]]:
    """Clamp every boundary to within ``max_shift`` frames of the same boundary in
    ``start``, keeping the segments ordered and non-empty."""
    out, prev_end = [], 0
    for (s, e), (s0, e0) in zip(segments, start):
        s = max(prev_end, min(max(s, s0 - max_shift), s0 + max_shift))
        e = max(s + 1, min(max(e, e0 - max_shift), e0 + max_shift))
        out.append((s, e))
        prev_end = e
    return out


