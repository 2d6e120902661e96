"""Look inside an npz before inflating it: the npy header of each member states its
dtype and shape, so an array's size is known from a few hundred bytes.

A 1.5 MB npz of zeros can declare gigabytes; ``np.load`` allocates the whole declared
shape before it reads a byte. The readers therefore ask :func:`npz_members` for the
declared shapes, check them against the budget (``protocol.LIMITS``) and only then
load the members they use, never the others.
"""

from __future__ import annotations

import math
import os
import zipfile
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..wire.errors import TooLarge, UnreadableFile
from ..wire.limits import LIMITS

HEADER_SLACK = 64 * 1024  # an npy header is under this; more undeclared bytes mean a malformed member


@dataclass(frozen=True)
class Member:
    """One array of an npz as its header declares it."""

    dtype: np.dtype
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return self.dtype.itemsize * math.prod(self.shape)


def npz_members(path: str | os.PathLike) -> dict[str, Member]:
    """Key → declared dtype and shape of every ``.npy`` member, reading headers only.
    A member whose zip entry declares more bytes than its header accounts for is refused."""
    p = os.fspath(path)
    out: dict[str, Member] = {}
    try:
        with zipfile.ZipFile(p) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
                member = Member(np.dtype(dtype), tuple(int(s) for s in shape))
                if not member.dtype.hasobject and info.file_size > member.nbytes + HEADER_SLACK:
                    raise UnreadableFile(f"cannot read npz {p}: member {info.filename!r} holds "
                                         f"{info.file_size:,} bytes but its header declares {member.nbytes:,}")
                out[info.filename[:-4]] = member
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise UnreadableFile(f"cannot read npz {p}: {exc}") from None
    return out


def too_large(path: str | os.PathLike, key: str, member: Member, limit: str, value: int) -> TooLarge:
    return TooLarge(f"{os.path.basename(os.fspath(path))}: {key} declares shape {list(member.shape)} "
                    f"({member.nbytes:,} bytes); the limit {limit} is {LIMITS[limit]:,}",
                    details={"limit": limit, "value": value, "max": LIMITS[limit]})


def check_frames_by_values(path: str | os.PathLike, key: str, member: Member, max_values: int,
                           limits: Mapping[str, int] = LIMITS) -> None:
    """A time-major array: at most ``max_frames`` rows of at most ``max_values`` values."""
    rows = member.shape[0] if member.shape else 1
    if rows > limits["max_frames"]:
        raise too_large(path, key, member, "max_frames", rows)
    per_row = math.prod(member.shape[1:]) if member.shape else 1
    if per_row > max_values:
        raise UnreadableFile(f"{os.path.basename(os.fspath(path))}: {key} declares {per_row:,} values per frame "
                             f"(shape {list(member.shape)}); at most {max_values:,} are read")


def check_small(path: str | os.PathLike, key: str, member: Member, max_bytes: int) -> None:
    """A member that is metadata (names, a rate, a gender): a few KB at most."""
    if member.dtype.hasobject or member.nbytes > max_bytes:
        raise UnreadableFile(f"{os.path.basename(os.fspath(path))}: {key} declares {list(member.shape)} "
                             f"of {member.dtype} ({member.nbytes:,} bytes); metadata of at most {max_bytes:,} "
                             "bytes was expected")
