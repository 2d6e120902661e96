"""Joining indexes built as shards (``moground index --shard i/n`` on several machines)
into one. They must come from the same encoder and window lengths; a file present in
several inputs keeps the copy from the input named last."""

from __future__ import annotations

from ..wire.errors import BadRequest
from .identity import check_identity
from .store import FileRecord, LibraryIndex, Manifest, check_out, encoded_from_index, now_stamp, write_index


def merge_indexes(inputs: list[str], out: str) -> Manifest:
    if not inputs:
        raise BadRequest("index merge needs at least one input index")
    check_out(out)
    opened = [LibraryIndex.open(p) for p in inputs]
    first = opened[0].manifest
    for idx in opened[1:]:
        check_identity(idx.manifest.encoder, first.encoder, str(idx.path))
        if idx.manifest.scales_s != first.scales_s:
            raise BadRequest(f"{idx.path} uses windows {idx.manifest.scales_s} s, {opened[0].path} {first.scales_s} s: "
                             "rebuild the shards with the same settings")
    files: dict[str, tuple[FileRecord, list]] = {}
    skipped: dict[str, str] = {}
    for idx in opened:
        skipped.update(idx.manifest.skipped)
        numbers = idx.takes_by_file()
        for path, rec in idx.manifest.files.items():
            files[path] = (FileRecord(path, rec.sha256),
                           [encoded_from_index(idx, i, copy=False) for i in numbers.get(path, [])])
    manifest = Manifest(encoder=dict(first.encoder), scales_s=list(first.scales_s),
                        created=now_stamp())
    manifest.skipped = {p: why for p, why in skipped.items() if p not in files}
    frame_dim = first.encoder.get("frame_dim") or opened[0].frames.shape[1]
    embed_dim = first.encoder["embed_dim"]
    del opened
    return write_index(out, manifest, [files[p] for p in sorted(files)], frame_dim, embed_dim)
