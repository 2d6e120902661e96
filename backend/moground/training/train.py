"""Training loop of the built-in encoder.

Objective per batch (all segments of all spliced sequences, one tower pass each):
  clip term     symmetric InfoNCE between pooled segments and their captions, where
                pairs that are not really negatives (near-identical MiniLM captions,
                the same action label, overlapping spans of one clip) are left out;
  segment term  each segment against the other captions of ITS sequence only
                (SegMo-style), which is what grounding asks of the encoder;
  extent term   (``extent_weight`` > 0) the true span first among its shifted,
                extended and truncated variants, against its own caption.
Early stopping on CMU validation retrieval (HumanML3D segments of val trials); the test
split is scored only when asked (--test-eval), once at the end, never used to choose anything.
"""

from __future__ import annotations

import copy
import logging
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..encoders.builtin import DEFAULT_WEIGHTS, BuiltinConfig, BuiltinEncoder
from ..wire.errors import MoGroundError
from .cache import FeatureCache, build_cache, default_cache_dir
from .extent import extent_loss, perturbed_masks
from .dataset import (
    CMU_ONLY_SOURCES,
    DEFAULT_WEIGHTS as SOURCE_WEIGHTS,
    Batch,
    BatchSampler,
    TextTable,
    build_items,
)
from .retrieval import build_eval_sets, evaluate_set
from .sources import ClipRecord, load_records
from .text_cache import minilm_embeddings

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    data: str | None = None
    cache: str | None = None
    out: str = str(DEFAULT_WEIGHTS)
    minutes: float = 55.0
    max_steps: int | None = None
    seed: int = 0
    cmu_only: bool = False
    text_tune_layers: int = 0
    device: str | None = None
    sequences: int = 16  # spliced sequences per batch (≈ 2.5 segments of ≈ 3 s each)
    lr: float = 5e-4
    weight_decay: float = 0.01
    seg_weight: float = 0.5
    extent_weight: float = 0.0  # hard negatives of wrong extent (training/extent.py); 0 = off
    fn_threshold: float = 0.9
    eval_every: int = 150
    patience: int = 8
    describer_stride: int = 50
    segment_frames: int = 80  # longest item inside a spliced sequence (4 s)
    test_eval: bool = False  # test-split retrieval only when asked (--test-eval): never a tuning signal
    progress: bool = True
    command: str = ""
    config: dict = field(default_factory=dict)  # BuiltinConfig overrides


def pick_device(name: str | None) -> torch.device:
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def feature_stats(cache: FeatureCache, uids: list[str], max_frames: int = 300_000, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean/std of the encoder input features over training clips (a fixed sample)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uids))
    chunks, total = [], 0
    for i in order:
        f = cache.features(uids[i])
        chunks.append(f)
        total += len(f)
        if total >= max_frames:
            break
    x = np.concatenate(chunks).astype(np.float64)
    mean, std = x.mean(0), x.std(0)
    return torch.tensor(mean, dtype=torch.float32), torch.tensor(np.maximum(std, 1e-3), dtype=torch.float32)


def negatives_mask(text_raw: torch.Tensor, labels: list[str | None], spans: list[tuple[str, int, int]],
                   threshold: float) -> torch.Tensor:
    """[N, N] True where j must NOT serve as a negative for i (diagonal excluded)."""
    n = len(labels)
    fn = (text_raw @ text_raw.T) > threshold
    lab = [hash(x) if x is not None else -i - 1 for i, x in enumerate(labels)]
    lab_t = torch.tensor(lab, device=text_raw.device)
    fn |= lab_t[:, None] == lab_t[None, :]
    uid = {u: k for k, u in enumerate(dict.fromkeys(s[0] for s in spans))}
    u = torch.tensor([uid[s[0]] for s in spans], device=text_raw.device)
    a = torch.tensor([s[1] for s in spans], device=text_raw.device)
    b = torch.tensor([s[2] for s in spans], device=text_raw.device)
    overlap = (u[:, None] == u[None]) & (a[:, None] < b[None]) & (a[None] < b[:, None])
    fn |= overlap
    fn &= ~torch.eye(n, dtype=torch.bool, device=text_raw.device)
    return fn


def contrastive_losses(m: torch.Tensor, t: torch.Tensor, scale: torch.Tensor, fn: torch.Tensor,
                       seq: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(clip term, segment term) for unit vectors m, t [N, D]."""
    logits = scale * m @ t.T
    target = torch.arange(len(m), device=m.device)
    masked = logits.masked_fill(fn, float("-inf"))
    clip = 0.5 * (F.cross_entropy(masked, target) + F.cross_entropy(masked.T, target))
    same = seq[:, None] == seq[None]
    multi = same.sum(1) > 1
    if not multi.any():
        return clip, logits.new_zeros(())
    local = masked.masked_fill(~same, float("-inf"))
    seg = 0.5 * (F.cross_entropy(local[multi], target[multi]) + F.cross_entropy(local.T[multi], target[multi]))
    return clip, seg


class Trainer:
    def __init__(self, cfg: TrainConfig, records: list[ClipRecord] | None = None) -> None:
        self.cfg = cfg
        torch.manual_seed(cfg.seed)
        np.random.seed(cfg.seed)
        self.device = pick_device(cfg.device)
        all_recs = records if records is not None else load_records(cfg.data)
        self.cache_dir = Path(cfg.cache) if cfg.cache else default_cache_dir()
        t0 = time.time()
        # one cache for every clip, so --cmu-only reuses it; the filter below decides what trains
        self.cache = build_cache(all_recs, self.cache_dir, progress=cfg.progress)
        recs = [r for r in all_recs if r.source == "cmu"] if cfg.cmu_only else all_recs
        self.train_recs = [r for r in recs if r.split == "train" and r.uid in self.cache]
        self.val_recs = [r for r in recs if r.split == "val"]
        self.test_recs = [r for r in recs if r.split == "test"]
        self.table = TextTable()
        self.groups = build_items(self.train_recs, self.cache, self.table, cmu_only=cfg.cmu_only,
                                  describer_stride=cfg.describer_stride, seed=cfg.seed, progress=cfg.progress)
        if not self.groups:
            raise MoGroundError("no training items: is the data folder complete?")
        self.val_sets = build_eval_sets(self.val_recs, self.cache, ("cmu_hml",))
        self.text_raw = minilm_embeddings(self.table.texts, self.cache_dir, progress=cfg.progress).to(self.device)
        self.prep_seconds = time.time() - t0
        weights = {g: w for g, w in SOURCE_WEIGHTS.items() if not cfg.cmu_only or g in CMU_ONLY_SOURCES}
        self.sampler = BatchSampler(self.groups, self.cache, weights, seg_frames=(30, cfg.segment_frames),
                                    single_frames=2 * cfg.segment_frames, seed=cfg.seed)
        bcfg = BuiltinConfig(**{**cfg.config, "text_tune_layers": cfg.text_tune_layers})
        self.encoder = BuiltinEncoder(bcfg).to(self.device)
        mean, std = feature_stats(self.cache, [r.uid for r in self.train_recs], seed=cfg.seed)
        self.encoder.motion.feat_mean.copy_(mean)
        self.encoder.motion.feat_std.copy_(std)
        params = [p for n, p in self.encoder.named_parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.history: list[dict] = []
        self.extent_rng = np.random.default_rng(cfg.seed + 1)
        self._eval_raw: dict[str, torch.Tensor] = {}

    # -- text side -------------------------------------------------------------------
    def text_embed(self, ids: torch.Tensor) -> torch.Tensor:
        if self.cfg.text_tune_layers > 0:
            raw = self.encoder.text_sentence_embeddings([self.table.texts[i] for i in ids.tolist()])
        else:
            raw = self.text_raw[ids]
        return self.encoder.text_head(raw)

    def _val_text(self, texts: list[str]) -> torch.Tensor:
        if self.cfg.text_tune_layers > 0:
            return self.encoder.text_head(self.encoder.text_sentence_embeddings(texts))
        missing = [t for t in texts if t not in self._eval_raw]
        if missing:  # held-out captions: embedded once, kept for every validation
            for t, e in zip(missing, minilm_embeddings(missing, self.cache_dir, progress=False)):
                self._eval_raw[t] = e.to(self.device)
        return self.encoder.text_head(torch.stack([self._eval_raw[t] for t in texts]))

    def validate(self) -> dict[str, float]:
        if "cmu_hml" not in self.val_sets:
            return {}
        return evaluate_set(self.encoder, self.cache, self.val_sets["cmu_hml"], self._val_text)

    @staticmethod
    def score(metrics: dict[str, float]) -> float:
        return metrics.get("t2m_r1", 0) + metrics.get("t2m_r5", 0) + metrics.get("m2t_r5", 0)

    # -- one step ----------------------------------------------------------------------
    def step(self, batch: Batch) -> dict[str, float]:
        dev = self.device
        feats = torch.from_numpy(batch.feats).to(dev)
        pad = torch.from_numpy(batch.pad).to(dev)
        w = torch.from_numpy(batch.weights).to(dev)
        valid = torch.from_numpy(batch.valid).to(dev)
        frame = self.encoder.motion(feats, pad)
        pooled = self.encoder.pooler(frame, w)[valid]  # [N, D]
        ids = torch.from_numpy(batch.text_ids).to(dev)[valid]
        seq = torch.arange(len(batch.feats), device=dev)[:, None].expand_as(valid)[valid]
        t = self.text_embed(ids)
        fn = negatives_mask(self.text_raw[ids], batch.labels, batch.spans, self.cfg.fn_threshold)
        scale = self.encoder.logit_scale.exp().clamp(max=100.0)
        clip, seg = contrastive_losses(pooled, t, scale, fn, seq)
        loss = clip + self.cfg.seg_weight * seg
        extent = pooled.new_zeros(())
        if self.cfg.extent_weight > 0:
            masks, usable = perturbed_masks(batch.weights, batch.valid, batch.pad, self.extent_rng)
            extent = extent_loss(self.encoder.pooler, frame, pooled, t, torch.from_numpy(masks).to(dev),
                                 torch.from_numpy(usable).to(dev), valid, scale)
            loss = loss + self.cfg.extent_weight * extent
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in self.encoder.parameters() if p.requires_grad], 1.0)
        self.opt.step()
        with torch.no_grad():
            self.encoder.logit_scale.clamp_(0.0, math.log(100.0))
        return {"loss": loss.item(), "clip": clip.item(), "seg": seg.item(), "extent": extent.item()}

    # -- the loop ------------------------------------------------------------------------
    def fit(self) -> dict:
        cfg = self.cfg
        budget = cfg.minutes * 60.0
        t_start = time.time()
        best, best_state, best_step, bad = -1.0, None, 0, 0
        total_steps = cfg.max_steps
        warmup = 100 if not cfg.max_steps else max(1, min(100, cfg.max_steps // 10))
        bar = tqdm(total=total_steps, disable=not cfg.progress, desc="train", unit="step", file=sys.stderr)
        step, ema, val = 0, None, {}
        self.encoder.train()
        while True:
            if total_steps is None and step == 30:
                per_step = (time.time() - t_start) / 30
                total_steps = max(60, int((budget - (time.time() - t_start)) / per_step * 0.93) + 30)
                bar.total = total_steps
                bar.refresh()
            if total_steps is not None and step >= total_steps:
                break
            if time.time() - t_start > budget:
                break
            frac = step / total_steps if total_steps else 0.0
            lr = cfg.lr * min(1.0, (step + 1) / warmup) * (0.5 * (1 + math.cos(math.pi * min(frac, 1.0))) * 0.95 + 0.05)
            for g in self.opt.param_groups:
                g["lr"] = lr
            out = self.step(self.sampler.batch(cfg.sequences, self.table))
            ema = out["loss"] if ema is None else 0.95 * ema + 0.05 * out["loss"]
            step += 1
            self.history.append({"step": step, **out})
            if step % cfg.eval_every == 0 or step == total_steps:
                val = self.validate()
                sc = self.score(val)
                if sc > best:
                    best, best_step, bad = sc, step, 0
                    best_state = copy.deepcopy(self.encoder.trainable_state_dict())
                else:
                    bad += 1
                self.encoder.train()
                if bad >= cfg.patience:
                    log.info("early stop at step %d (best step %d)", step, best_step)
                    break
            bar.set_postfix(loss=f"{ema:.3f}", val_r1=f"{val.get('t2m_r1', 0):.3f}", val_r5=f"{val.get('t2m_r5', 0):.3f}")
            bar.update(1)
        bar.close()
        train_s = time.time() - t_start
        if best_state is not None:
            self.encoder.load_state_dict(best_state, strict=False)
        self.encoder.eval()
        result = {"steps": step, "best_step": best_step, "train_seconds": round(train_s, 1),
                  "prep_seconds": round(self.prep_seconds, 1), "steps_per_s": round(step / max(train_s, 1e-6), 3),
                  "val": self.validate(), "device": str(self.device)}
        if cfg.test_eval:
            from .retrieval import SET_NAMES
            tests = build_eval_sets(self.test_recs, self.cache, SET_NAMES if not cfg.cmu_only else ("cmu_hml", "cmu_trial"))
            result["test"] = {name: evaluate_set(self.encoder, self.cache, es, self._val_text) for name, es in tests.items()}
        return result

    def save(self, result: dict) -> Path:
        from .model_card import model_card_path, write_model_card

        out = Path(self.cfg.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        counts = {g: len(v) for g, v in self.groups.items()}
        meta = {
            "command": self.cfg.command, "seed": self.cfg.seed, "cmu_only": self.cfg.cmu_only,
            "licence": "CMU-only: no non-commercial data" if self.cfg.cmu_only else "non-commercial (Bandai CC BY-NC 4.0 data)",
            "train_items": counts, "captions": len(self.table), "metrics": result,
            "train_config": {k: v for k, v in asdict(self.cfg).items() if k not in ("command",)},
            "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        self.encoder.save(out, meta=meta)
        write_model_card(model_card_path(out), meta)
        return out


def train(cfg: TrainConfig, records: list[ClipRecord] | None = None) -> tuple[Path, dict]:
    trainer = Trainer(cfg, records)
    result = trainer.fit()
    path = trainer.save(result)
    return path, result
