"""Building and updating an index: discover files, skip the unchanged ones (same
content hash, same encoder), encode the rest (in worker processes with ``jobs`` > 1),
drop files that no longer exist, and rewrite the index in one step.

Encoding a take: the same canonical motion as grounding (``engine.canonical_motion``),
per-frame features once, then windows of several lengths pooled from them. Window
embeddings do not depend on the text, so a search is one matrix product over them.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..encoders import load_encoder
from ..encoders.base import MotionTextEncoder
from ..wire.errors import MoGroundError
from ..grounding.evidence import WINDOW_SCALES_S, window_starts
from .identity import check_identity, encoder_identity
from .sources import FoundFile, content_digest, discover, in_shard, read_takes
from .take import Take
from .store import (EncodedTake, FileRecord, LibraryIndex, Manifest, check_out, encoded_from_index, folder_bytes,
                    load_manifest, memory_index, write_index)
from .threads import one_torch_thread

POOL_CHUNK = 256  # windows pooled per call: bounds memory on hour-long takes


@dataclass
class IndexOptions:
    """One ``moground index`` request (the CLI validates its arguments into this)."""

    paths: list[str]
    out: str
    encoder: str = "builtin"
    encoder_path: str | None = None
    encoder_options: dict = field(default_factory=dict)  # e.g. TMR's stats folder
    device: str = "cpu"
    asf: str | None = None
    units: str | None = None
    fps: float | None = None  # frame rate of AMC/.npy files that do not state one
    blender: str | None = None  # Blender executable for .blend files (default: the bpy module)
    jobs: int = 1
    shard: tuple[int, int] | None = None
    rebuild: bool = False
    scales_s: tuple[float, ...] = WINDOW_SCALES_S


@dataclass
class BuildReport:
    found: int = 0  # files under the paths given (in this shard)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    takes: int = 0
    hours: float = 0.0
    encoded_hours: float = 0.0  # of motion encoded in this run (not reused)
    seconds: float = 0.0
    bytes: int = 0

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def window_spans(t_count: int, fps: float, scales_s: tuple[float, ...]) -> list[np.ndarray]:
    """Per scale: [windows, 2] first/end frames of half-overlapping windows; a take
    shorter than every window gets one window over all of it."""
    out = []
    for scale in scales_s:
        length = int(round(scale * fps))
        if length < 2 or length > t_count:
            continue
        starts = np.asarray(window_starts(t_count, length, max(1, length // 2)))
        out.append(np.stack([starts, starts + length], axis=1).astype(np.int32))
    return out or [np.array([[0, t_count]], dtype=np.int32)]


def pool_windows(encoder: MotionTextEncoder, feats: torch.Tensor, spans: np.ndarray) -> torch.Tensor:
    """[W, D] embeddings of the windows ``spans`` (same length each), pooled in chunks
    from the take's features so that memory stays bounded on long takes."""
    rows = []
    for i in range(0, len(spans), POOL_CHUNK):
        chunk = spans[i : i + POOL_CHUNK]
        lo, hi = int(chunk[:, 0].min()), int(chunk[:, 1].max())
        cover = torch.zeros(len(chunk), hi - lo)
        for j, (s, e) in enumerate(chunk.tolist()):
            cover[j, s - lo : e - lo] = 1.0
        rows.append(encoder.pool(feats[lo:hi], cover.to(feats.device)).cpu())
    return torch.cat(rows)


def encode_take(encoder: MotionTextEncoder, take: Take, scales_s: tuple[float, ...]) -> EncodedTake:
    """Per-frame features and window embeddings of one take (float16)."""
    from ..canonical import canonical_motion

    prepared = canonical_motion(take.clip, None, encoder.fps, [])
    motion = torch.from_numpy(np.ascontiguousarray(prepared.positions))
    with torch.no_grad():
        feats = encoder.frame_features(motion)
        spans = window_spans(feats.shape[0], encoder.fps, scales_s)
        emb = torch.cat([pool_windows(encoder, feats, s) for s in spans])
    return EncodedTake(
        take=take.name, armature=take.armature, action=take.action,
        source_fps=float(take.clip.fps), frame_start=float(take.clip.frame_start),
        source_frames=int(take.clip.num_frames),
        frames=feats.cpu().numpy().astype(np.float16),
        windows=emb.numpy().astype(np.float16),
        spans=np.concatenate(spans),
    )


def inline_index(encoder: MotionTextEncoder, takes: list[Take],
                 scales_s: tuple[float, ...] = WINDOW_SCALES_S) -> LibraryIndex:
    """An index of takes that live nowhere on disk (sent with a search request),
    encoded like indexed takes and held in memory, for a :class:`Searcher` to search."""
    manifest = Manifest(encoder=encoder_identity(encoder), scales_s=[float(s) for s in scales_s])
    return memory_index(manifest, [encode_take(encoder, t, scales_s) for t in takes])


def encode_file(encoder: MotionTextEncoder, found: FoundFile, opts: IndexOptions) -> list[EncodedTake]:
    takes = read_takes(found, units=opts.units, fps=opts.fps, blender=opts.blender)
    if not takes:
        from ..wire.errors import UnreadableFile

        raise UnreadableFile(f"{found.path} holds no takes to index")
    return [encode_take(encoder, t, opts.scales_s) for t in takes]


_WORKER: dict = {}


def _worker_init(encoder: str, encoder_path: str | None, device: str, options: dict) -> None:
    torch.set_num_threads(1)
    _WORKER["encoder"] = load_encoder(encoder, encoder_path, device, **options)


def encode_reporting(encoder: MotionTextEncoder, found: FoundFile,
                     opts: IndexOptions) -> tuple[list[EncodedTake] | None, str | None]:
    """(encoded takes, None), or (None, why) for a file that cannot be indexed."""
    try:
        return encode_file(encoder, found, opts), None
    except MoGroundError as exc:
        return None, exc.message
    except Exception as exc:  # noqa: BLE001 - a reader bug skips one file, not a night's indexing
        return None, f"{type(exc).__name__}: {exc}"


def _worker_encode(found: FoundFile, opts: IndexOptions) -> tuple[list[EncodedTake] | None, str | None]:
    return encode_reporting(_WORKER["encoder"], found, opts)


Progress = Callable[[int, int, str], None]  # (done, total, file)


def build_index(opts: IndexOptions, encoder: MotionTextEncoder | None = None,
                progress: Progress | None = None) -> BuildReport:
    """Create or update the index at ``opts.out`` (see the module docstring)."""
    t0 = time.perf_counter()
    check_out(opts.out)
    found = [f for f in discover(opts.paths, opts.asf) if in_shard(f, opts.shard)]  # bad paths fail first
    encoder = encoder or load_encoder(opts.encoder, opts.encoder_path, opts.device, **opts.encoder_options)
    identity = encoder_identity(encoder)
    old_manifest = None if opts.rebuild else load_manifest(opts.out)
    if old_manifest is not None:
        check_identity(old_manifest.encoder, identity, opts.out)
        if [float(s) for s in opts.scales_s] != old_manifest.scales_s:
            old_manifest = None  # other window lengths: everything is encoded again
    old = LibraryIndex.open(opts.out, old_manifest) if old_manifest is not None else None
    old_numbers = old.takes_by_file() if old is not None else {}

    def stored(path: str) -> list[EncodedTake]:  # a file's takes as indexed before (views, no copy)
        return [encoded_from_index(old, i, copy=False) for i in old_numbers.get(path, [])]

    report = BuildReport(found=len(found))
    by_path: dict[str, tuple[FileRecord, list[EncodedTake]]] = {}
    todo: list[tuple[FoundFile, str]] = []
    for f in found:
        try:
            digest = content_digest(f)
        except OSError as exc:
            report.skipped[str(f.path)] = f"cannot read: {exc}"
            continue
        prev = old.manifest.files.get(str(f.path)) if old else None
        if prev is not None and prev.sha256 == digest:
            by_path[prev.path] = (FileRecord(prev.path, digest), stored(prev.path))
            report.unchanged.append(prev.path)
        else:
            todo.append((f, digest))
    if old is not None:  # files indexed before and gone from disk now are dropped
        queued = {str(f.path) for f, _ in todo}
        for path, rec in old.manifest.files.items():
            if path not in by_path and path not in queued:
                if Path(path).exists():
                    by_path[path] = (FileRecord(path, rec.sha256), stored(path))
                else:
                    report.dropped.append(path)
    for done, (f, digest, (encs, error)) in enumerate(_encode_all(todo, encoder, opts), start=1):
        key = str(f.path)
        if progress:
            progress(done, len(todo), key)
        if error is not None:
            report.skipped[key] = error
            continue
        (report.updated if old and key in old.manifest.files else report.added).append(key)
        report.encoded_hours += sum(e.source_frames / e.source_fps for e in encs) / 3600.0
        by_path[key] = (FileRecord(key, digest), encs)
    manifest = Manifest(encoder=identity, scales_s=[float(s) for s in opts.scales_s],
                        created=old.manifest.created if old else "")
    manifest.skipped = dict(report.skipped)
    ordered = [by_path[p] for p in sorted(by_path)]
    frame_dim = identity["frame_dim"] or (ordered[0][1][0].frames.shape[1] if ordered and ordered[0][1] else 0)
    del old, stored  # only the takes' views keep the old maps open; write_index releases them
    write_index(opts.out, manifest, ordered, frame_dim, identity["embed_dim"])
    report.takes = len(manifest.takes)
    report.hours = manifest.hours()
    report.bytes = folder_bytes(opts.out)
    report.seconds = time.perf_counter() - t0
    return report


def _encode_all(todo: list[tuple[FoundFile, str]], encoder: MotionTextEncoder, opts: IndexOptions):
    """Yield (file, digest, (encoded takes | None, error | None)) in the order given."""
    if opts.jobs <= 1 or len(todo) <= 1:
        for f, digest in todo:
            with one_torch_thread():
                result = encode_reporting(encoder, f, opts)
            yield f, digest, result
        return
    ctx = None
    if os.name == "posix":
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # torch and fork do not mix
    with ProcessPoolExecutor(opts.jobs, mp_context=ctx, initializer=_worker_init,
                             initargs=(opts.encoder, opts.encoder_path, opts.device, opts.encoder_options)) as pool:
        futures = [pool.submit(_worker_encode, f, opts) for f, _ in todo]
        for (f, digest), fut in zip(todo, futures):
            yield f, digest, fut.result()
