"""Reading a mocap text format (BVH, ASF, AMC) with one kind of error for every way
the file can be unusable: missing, unreadable, or binary."""

from __future__ import annotations

from ..wire.errors import UnreadableFile


def read_text_lines(path: str, kind: str) -> list[str]:
    """The file's lines (latin-1, so any byte decodes); UnreadableFile naming ``kind``."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise UnreadableFile(f"cannot open {kind} file {path}: {exc.strerror or exc}") from None
    if b"\x00" in raw[:4096]:
        raise UnreadableFile(f"cannot read {kind} file {path}: binary content, not a text {kind}")
    if raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark (Windows editors write one)
        raw = raw[3:]
    return raw.decode("latin-1").splitlines()
