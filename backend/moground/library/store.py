"""The on-disk library index: one folder, a JSON manifest and three arrays.

``LIBRARY/index.json``      format, encoder identity, files (path, content hash, takes),
                           takes (where each lives in the arrays and in its source file)
``LIBRARY/frames.npy``      float16 [N, H]: every take's per-frame features, take after take
``LIBRARY/windows.npy``     float16 [W, D]: embeddings of windows of several lengths
                           pooled from those features (text-free, so computed once)
``LIBRARY/spans.npy``       int32 [W, 3]: each window's take number, first and end frame

The arrays are opened memory-mapped, so one search process serves an index larger than
its memory would hold eagerly. An index is replaced as a whole folder (written beside
it, then renamed), so a reader never sees a half-written one.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..wire.errors import BadRequest, UnknownIndex, UnreadableFile

FORMAT = "moground-index-1"
MANIFEST = "index.json"


@dataclass
class TakeRecord:
    """One take (one clip) in the index; frames are encoder frames (``fps`` of the index)."""

    key: str  # unique in the index: the file path, plus "::take" when a file holds several
    file: str  # absolute path of the file it came from
    take: str  # the take inside the file: shard clip id, "armature/action", or ""
    armature: str | None
    action: str | None
    source_fps: float
    frame_start: float  # source frame number of the take's first frame
    source_frames: int
    frames: int  # encoder frames
    row: int  # first row in frames.npy
    win_row: int  # first row in windows.npy
    win_count: int

    @property
    def duration_s(self) -> float:
        return self.source_frames / self.source_fps

    def to_source_frame(self, model_frame: int, fps: float) -> float:
        """An encoder frame boundary as a source frame number (end exclusive)."""
        if model_frame >= self.frames:
            return self.frame_start + self.source_frames
        return self.frame_start + min(self.source_frames, int(np.floor(model_frame / fps * self.source_fps + 0.5)))

    def to_seconds(self, model_frame: int, fps: float) -> float:
        """An encoder frame boundary as seconds from the take's first frame."""
        return (self.to_source_frame(model_frame, fps) - self.frame_start) / self.source_fps


@dataclass
class FileRecord:
    path: str
    sha256: str
    takes: list[str] = field(default_factory=list)  # take keys


@dataclass
class EncodedTake:
    """A take's features before it has a place in the arrays (what a worker returns)."""

    take: str
    armature: str | None
    action: str | None
    source_fps: float
    frame_start: float
    source_frames: int
    frames: np.ndarray  # [T, H] float16
    windows: np.ndarray  # [W, D] float16
    spans: np.ndarray  # [W, 2] int32 first, end frame


@dataclass
class Manifest:
    encoder: dict[str, Any]
    scales_s: list[float]
    files: dict[str, FileRecord] = field(default_factory=dict)
    takes: list[TakeRecord] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # path → why it could not be read
    created: str = ""
    updated: str = ""

    def hours(self) -> float:
        return sum(t.duration_s for t in self.takes) / 3600.0

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "encoder": self.encoder,
            "scales_s": self.scales_s,
            "created": self.created,
            "updated": self.updated,
            "files": [asdict(f) for f in self.files.values()],
            "takes": [asdict(t) for t in self.takes],
            "skipped": self.skipped,
        }

    @classmethod
    def from_json(cls, blob: dict[str, Any], where: str) -> "Manifest":
        if blob.get("format") != FORMAT:
            raise UnreadableFile(f"{where} is not a MoGround index of format {FORMAT} (found {blob.get('format')!r})")
        try:
            return cls(
                encoder=dict(blob["encoder"]),
                scales_s=[float(s) for s in blob["scales_s"]],
                files={f["path"]: FileRecord(**f) for f in blob["files"]},
                takes=[TakeRecord(**t) for t in blob["takes"]],
                skipped=dict(blob.get("skipped", {})),
                created=blob.get("created", ""),
                updated=blob.get("updated", ""),
            )
        except (KeyError, TypeError) as exc:
            raise UnreadableFile(f"{where}: damaged index manifest ({exc})") from None


def now_stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class LibraryIndex:
    """An opened index: the manifest plus memory-mapped arrays."""

    def __init__(self, path: Path, manifest: Manifest, frames: np.ndarray, windows: np.ndarray,
                 spans: np.ndarray) -> None:
        self.path = path
        self.manifest = manifest
        self.frames = frames  # [N, H] float16, memory-mapped
        self.windows = windows  # [W, D] float16, memory-mapped
        self.spans = spans  # [W, 3] int32
        self.fps = float(manifest.encoder["fps"])

    @property
    def takes(self) -> list[TakeRecord]:
        return self.manifest.takes

    def take_frames(self, index: int) -> np.ndarray:
        t = self.manifest.takes[index]
        return self.frames[t.row : t.row + t.frames]

    def takes_by_file(self) -> dict[str, list[int]]:
        """Take numbers of each file, in index order (one pass, for big libraries)."""
        out: dict[str, list[int]] = {}
        for number, t in enumerate(self.manifest.takes):
            out.setdefault(t.file, []).append(number)
        return out

    def hours(self) -> float:
        return self.manifest.hours()

    def summary(self) -> dict[str, Any]:
        """What a server tells clients about an index it serves (never its folder)."""
        enc = self.manifest.encoder
        return {"takes": len(self.takes), "files": len(self.manifest.files), "hours": round(self.hours(), 4),
                "encoder": enc.get("name"), "weights_sha256": (enc.get("weights_sha256") or "")[:12] or None,
                "updated": self.manifest.updated}

    @classmethod
    def open(cls, path: str | os.PathLike, manifest: Manifest | None = None) -> "LibraryIndex":
        """The index at ``path``; ``manifest`` when the caller has already read it."""
        where = Path(path)
        manifest = manifest or load_manifest(where)
        if manifest is None:
            raise UnknownIndex(f"no MoGround index at {where} (missing {MANIFEST}); build one with `moground index`")
        try:
            arrays = [np.load(where / name, mmap_mode="r", allow_pickle=False)
                      for name in ("frames.npy", "windows.npy", "spans.npy")]
        except (OSError, ValueError) as exc:
            raise UnreadableFile(f"damaged index arrays in {where}: {exc}") from None
        frames, windows, spans = arrays
        rows = sum(t.frames for t in manifest.takes)
        wins = sum(t.win_count for t in manifest.takes)
        if frames.shape[0] != rows or windows.shape[0] != wins or spans.shape[0] != wins:
            raise UnreadableFile(f"damaged index {where}: arrays do not match the manifest")
        return cls(where, manifest, frames, windows, spans)


def load_manifest(path: str | os.PathLike) -> Manifest | None:
    """The manifest of an existing index, or None where there is none yet."""
    manifest_path = Path(path) / MANIFEST
    if not manifest_path.is_file():
        return None
    try:
        return Manifest.from_json(json.loads(manifest_path.read_text()), str(path))
    except (OSError, ValueError) as exc:
        raise UnreadableFile(f"cannot read {manifest_path}: {exc}") from None


def folder_bytes(path: str | os.PathLike) -> int:
    """Size of an index on disk (its files; an index folder has no subfolders)."""
    return sum(p.stat().st_size for p in Path(path).iterdir() if p.is_file())


def check_out(path: str | os.PathLike) -> Path:
    """``path`` as an index folder to write: refused (before any work) when it is a file
    or a folder of other things, which replacing it would destroy."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise BadRequest(f"--out {target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise BadRequest(f"--out {target} is a folder that holds other files, not a MoGround index")
    return target


Allocate = Callable[[str, tuple[int, int], type], np.ndarray]


def _in_memory(name: str, shape: tuple[int, int], dtype: type) -> np.ndarray:
    return np.empty(shape, dtype=dtype)


def layout_takes(manifest: Manifest, takes: list[tuple[FileRecord, list[EncodedTake]]], frame_dim: int,
                 embed_dim: int, allocate: Allocate = _in_memory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lay the encoded takes out take after take in (frames, windows, spans) arrays made
    by ``allocate(file name, shape, dtype)`` and rebuild ``manifest.files``/``takes`` to
    point into them. The one layout of an index, on disk or in memory."""
    manifest.files, manifest.takes = {}, []
    n_rows = sum(e.frames.shape[0] for _, encs in takes for e in encs)
    n_wins = sum(e.windows.shape[0] for _, encs in takes for e in encs)
    frames = allocate("frames.npy", (n_rows, frame_dim), np.float16)
    windows = allocate("windows.npy", (n_wins, embed_dim), np.float16)
    spans = allocate("spans.npy", (n_wins, 3), np.int32)
    row = win = 0
    for file_rec, encs in takes:
        file_rec.takes = []
        for enc in encs:
            number = len(manifest.takes)
            key = enc.take if not file_rec.path else (
                file_rec.path if not enc.take else f"{file_rec.path}::{enc.take}")
            t, w = enc.frames.shape[0], enc.windows.shape[0]
            frames[row : row + t] = enc.frames
            windows[win : win + w] = enc.windows
            spans[win : win + w, 0] = number
            spans[win : win + w, 1:] = enc.spans
            manifest.takes.append(TakeRecord(
                key=key, file=file_rec.path, take=enc.take, armature=enc.armature, action=enc.action,
                source_fps=enc.source_fps, frame_start=enc.frame_start, source_frames=enc.source_frames,
                frames=t, row=row, win_row=win, win_count=w,
            ))
            file_rec.takes.append(key)
            row, win = row + t, win + w
        manifest.files[file_rec.path] = file_rec
    return frames, windows, spans


def memory_index(manifest: Manifest, takes: list[EncodedTake], label: str = "<inline>") -> LibraryIndex:
    """An index of ``takes`` held in memory (takes sent with a request, never written):
    the same layout and the same :class:`LibraryIndex`, so a Searcher works on it unchanged.
    The takes belong to no file (``file`` is "", ``key`` is the take's name)."""
    enc = manifest.encoder
    frame_dim = enc.get("frame_dim") or (takes[0].frames.shape[1] if takes else 0)
    frames, windows, spans = layout_takes(manifest, [(FileRecord("", ""), list(takes))], frame_dim,
                                          int(enc["embed_dim"]))
    return LibraryIndex(Path(label), manifest, frames, windows, spans)


def write_index(path: str | os.PathLike, manifest: Manifest, takes: list[tuple[FileRecord, list[EncodedTake]]],
                frame_dim: int, embed_dim: int) -> Manifest:
    """Lay the encoded takes out in arrays and replace the index folder at ``path``
    in one rename. ``manifest.files``/``takes`` are rebuilt from ``takes``. Each take's
    arrays are dropped once written (they may be views of the folder being replaced,
    which Windows cannot rename while they are mapped)."""
    target = check_out(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()

    def on_disk(name: str, shape: tuple[int, int], dtype: type) -> np.ndarray:
        return np.lib.format.open_memmap(tmp / name, mode="w+", dtype=dtype, shape=shape)

    arrays = layout_takes(manifest, takes, frame_dim, embed_dim, on_disk)
    for arr in arrays:
        arr.flush()
    del arrays
    for _, encs in takes:
        for enc in encs:
            enc.frames = enc.windows = enc.spans = None  # type: ignore[assignment]
    manifest.updated = now_stamp()
    manifest.created = manifest.created or manifest.updated
    (tmp / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=1))
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return manifest


def encoded_from_index(index: LibraryIndex, number: int, copy: bool = True) -> EncodedTake:
    """A stored take as an :class:`EncodedTake`, to carry it into a rewritten index.
    ``copy=False`` keeps views of the memory maps, so that updating a library larger
    than memory does not load it: :func:`write_index` copies them into the new arrays
    and releases them before it replaces the folder."""
    t = index.takes[number]
    take = np.array if copy else (lambda a: a)
    return EncodedTake(
        take=t.take, armature=t.armature, action=t.action, source_fps=t.source_fps,
        frame_start=t.frame_start, source_frames=t.source_frames,
        frames=take(index.frames[t.row : t.row + t.frames]),
        windows=take(index.windows[t.win_row : t.win_row + t.win_count]),
        spans=take(index.spans[t.win_row : t.win_row + t.win_count, 1:]),
    )
