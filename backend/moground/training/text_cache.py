"""Frozen MiniLM sentence embeddings, computed once per unique caption and kept on disk.

With the text tower frozen, the text side of a training step is a small MLP over these
vectors, so the step costs almost nothing on the text side.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..encoders.minilm import TEXT_DIM, shared_minilm


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def minilm_embeddings(texts: list[str], cache_dir: Path | None, batch: int = 256, progress: bool = True) -> torch.Tensor:
    """[len(texts), 384] float32, unit norm; rows already in ``cache_dir/minilm.npz`` are reused."""
    known: dict[str, np.ndarray] = {}
    path = Path(cache_dir) / "minilm.npz" if cache_dir else None
    if path and path.is_file():
        z = np.load(path)
        known = dict(zip(z["keys"].tolist(), z["emb"]))
    keys = [_key(t) for t in texts]
    missing = sorted({t for t, k in zip(texts, keys) if k not in known})
    if missing:
        model = shared_minilm()
        with torch.no_grad():
            for i in tqdm(range(0, len(missing), batch), desc="MiniLM captions", disable=not progress, unit="batch"):
                chunk = missing[i : i + batch]
                emb = model(chunk).float().numpy().astype(np.float16)
                for t, e in zip(chunk, emb):
                    known[_key(t)] = e
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(list(known)), emb=np.stack(list(known.values())))
            tmp.replace(path)
    if not texts:
        return torch.zeros(0, TEXT_DIM)
    out = torch.from_numpy(np.stack([known[k] for k in keys]).astype(np.float32))
    return torch.nn.functional.normalize(out, dim=-1)
