"""Checks of an index folder when it is opened, so that a damaged one is refused there
(`moground search` prints one line, `moground serve --index` does not start) instead of
failing inside every search.

Two passes: the manifest's field types (before any record is built from it), then the
arrays against the manifest (dtypes, shapes, the encoder's dims, each take's rows and
windows, and every span inside its take). The spans are read once (12 bytes per
window); the feature arrays are memory-mapped and only their headers are checked.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..wire.errors import UnreadableFile

_TAKE_FIELDS: dict[str, tuple[type, ...]] = {
    "key": (str,), "file": (str,), "take": (str,), "armature": (str, type(None)), "action": (str, type(None)),
    "source_fps": (int, float), "frame_start": (int, float), "source_frames": (int,), "frames": (int,),
    "row": (int,), "win_row": (int,), "win_count": (int,),
}
_FILE_FIELDS: dict[str, tuple[type, ...]] = {"path": (str,), "sha256": (str,), "takes": (list,)}


def _damaged(where: str, why: str) -> UnreadableFile:
    return UnreadableFile(f"damaged index {where}: {why}; rebuild it with `moground index`")


def _typed(record: Any, fields: dict[str, tuple[type, ...]], what: str, where: str) -> None:
    if not isinstance(record, dict):
        raise _damaged(where, f"{what} is a {type(record).__name__}, not an object")
    for name, types in fields.items():
        value = record.get(name)
        if name not in record or not isinstance(value, types) or isinstance(value, bool):
            raise _damaged(where, f"{what}.{name} is {str(value)[:40]!r}, not {' or '.join(t.__name__ for t in types)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise _damaged(where, f"{what}.{name} is not finite")


def check_manifest_blob(blob: Any, where: str) -> None:
    """The manifest JSON's structure and field types."""
    if not isinstance(blob, dict):
        raise _damaged(where, f"index.json holds a {type(blob).__name__}, not an object")
    encoder = blob.get("encoder")
    if not isinstance(encoder, dict):
        raise _damaged(where, "index.json has no encoder object")
    fps, embed, frame_dim = encoder.get("fps"), encoder.get("embed_dim"), encoder.get("frame_dim", 0)
    if type(fps) not in (int, float) or not (math.isfinite(fps) and fps > 0):
        raise _damaged(where, f"encoder.fps is {str(fps)[:40]!r}, not a positive number")
    if type(embed) is not int or embed < 1 or type(frame_dim) is not int or frame_dim < 0:
        raise _damaged(where, "encoder.embed_dim / frame_dim are not sizes")
    for key in ("files", "takes", "scales_s"):
        if not isinstance(blob.get(key), list):
            raise _damaged(where, f"index.json {key} is not a list")
    for i, rec in enumerate(blob["files"]):
        _typed(rec, _FILE_FIELDS, f"files[{i}]", where)
    for i, rec in enumerate(blob["takes"]):
        _typed(rec, _TAKE_FIELDS, f"takes[{i}]", where)
        if rec["source_fps"] <= 0 or rec["source_frames"] < 1 or rec["frames"] < 1 or min(
                rec["row"], rec["win_row"], rec["win_count"]) < 0:
            raise _damaged(where, f"takes[{i}] has a non-positive rate or size")
    if not all(type(s) in (int, float) and math.isfinite(s) and s > 0 for s in blob["scales_s"]):
        raise _damaged(where, "scales_s must list positive numbers of seconds")


def check_arrays(where: str, encoder: dict[str, Any], takes: list, frames: np.ndarray, windows: np.ndarray,
                 spans: np.ndarray) -> None:
    """The arrays against the manifest (``takes``: its TakeRecords)."""
    for name, arr, dtype, width in (("frames.npy", frames, np.float16, encoder.get("frame_dim") or None),
                                    ("windows.npy", windows, np.float16, encoder["embed_dim"]),
                                    ("spans.npy", spans, np.int32, 3)):
        if arr.ndim != 2 or arr.dtype != dtype or (width is not None and arr.shape[1] != width):
            raise _damaged(where, f"{name} is {arr.dtype} {list(arr.shape)}; expected {np.dtype(dtype).name} "
                                  f"[N, {width or 'H'}]")
    rows = np.array([t.frames for t in takes], dtype=np.int64)
    counts = np.array([t.win_count for t in takes], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(rows)[:-1]]) if len(takes) else rows
    win_starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(takes) else counts
    if frames.shape[0] != rows.sum() or windows.shape[0] != counts.sum() or spans.shape[0] != counts.sum():
        raise _damaged(where, "the arrays do not match the manifest's frame and window counts")
    if any(t.row != s for t, s in zip(takes, starts)) or any(t.win_row != s for t, s in zip(takes, win_starts)):
        raise _damaged(where, "a take's rows or windows are not where the manifest says")
    owner = np.repeat(np.arange(len(takes)), counts)
    table = np.asarray(spans, dtype=np.int64)
    first, end = table[:, 1], table[:, 2]
    bad = (table[:, 0] != owner) | (first < 0) | (end <= first) | (end > rows[owner] if len(takes) else False)
    if bad.any():
        w = int(np.argmax(bad))
        raise _damaged(where, f"spans.npy row {w} {table[w].tolist()} is outside its take")
