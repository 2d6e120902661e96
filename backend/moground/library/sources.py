"""What can be indexed: discovering take files under the paths given and reading the
takes each one holds.

A file holds one take (BVH, ASF/AMC, a MoGround or SMPL npz, a HumanML3D .npy), many
(a shared-data shard: an npz beside ``index.json`` and ``skeleton.json``), or one per
armature action (.blend, read by a Blender job, see :mod:`moground.library.blend`).
A file's identity for incremental indexing is the SHA-256 of its bytes (and, for an
AMC file, of its ASF skeleton too).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..wire.errors import BadRequest, UnreadableFile
from ..motion import MotionClip
from .take import Take
from ..encoders.identity import file_sha256

EXTENSIONS = (".bvh", ".amc", ".npz", ".npy", ".blend")


@dataclass(frozen=True)
class FoundFile:
    path: Path  # absolute
    relative: str  # posix path under the root it was found in (stable across machines)
    asf: Path | None = None  # the ASF skeleton of an AMC file


def _asf_for(amc: Path, explicit: Path | None) -> Path | None:
    """``--asf``, else the one .asf beside the AMC (CMU's ``86.asf`` beside ``86_05.amc``)."""
    if explicit is not None:
        return explicit
    subject = amc.stem.split("_")[0]
    for cand in (amc.with_suffix(".asf"), amc.parent / f"{subject}.asf"):
        if cand.is_file():
            return cand
    beside = sorted(amc.parent.glob("*.asf"))
    return beside[0] if len(beside) == 1 else None


def discover(paths: list[str], asf: str | None = None) -> list[FoundFile]:
    """Every indexable file under ``paths`` (files or folders, searched recursively),
    sorted and without duplicates. A path that does not exist is a bad request."""
    explicit_asf = Path(asf).resolve() if asf else None
    if explicit_asf is not None and not explicit_asf.is_file():
        raise BadRequest(f"--asf {asf}: file not found")
    found: dict[Path, FoundFile] = {}
    for raw in paths:
        root = Path(raw).expanduser()
        if not root.exists():
            raise BadRequest(f"{raw}: no such file or folder")
        if root.is_file():
            files, base = [root], root.parent
        else:
            files = [p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS]
            base = root
        for f in files:
            if f.name.startswith("."):
                continue
            path = f.resolve()
            amc_asf = _asf_for(path, explicit_asf) if path.suffix.lower() == ".amc" else None
            found.setdefault(path, FoundFile(path, f.relative_to(base).as_posix(), amc_asf))
    return [found[p] for p in sorted(found)]


def in_shard(found: FoundFile, shard: tuple[int, int] | None) -> bool:
    """Whether a file belongs to shard ``i`` of ``n``: by a checksum of its relative
    path, so every machine of a farm splits the same tree the same way."""
    if shard is None:
        return True
    i, n = shard
    return zlib.crc32(found.relative.encode("utf-8")) % n == i


def content_digest(found: FoundFile) -> str:
    digest = file_sha256(found.path)
    if found.asf is not None:
        digest = hashlib.sha256((digest + file_sha256(found.asf)).encode()).hexdigest()
    return digest


def _shard_records(path: Path) -> list[dict] | None:
    """The index records of a shared-data shard file, or None when ``path`` is not one."""
    index_path, skel_path = path.parent / "index.json", path.parent / "skeleton.json"
    if path.suffix.lower() != ".npz" or not (index_path.is_file() and skel_path.is_file()):
        return None
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError) as exc:
        raise UnreadableFile(f"cannot read {index_path}: {exc}") from None
    records = next((index[k] for k in ("trials", "clips", "takes") if isinstance(index.get(k), list)), None)
    if records is None:
        return None
    return [r for r in records if r.get("shard", path.name) == path.name]


def _read_shard(path: Path, records: list[dict]) -> list[Take]:
    import numpy as np

    from ..io.shards import open_shard, skeleton

    names, parents = skeleton(str(path.parent))
    npz = open_shard(str(path))
    takes = []
    for rec in records:
        if rec["id"] not in npz.files:
            continue  # listed but absent (index.json "missing"): nothing to index
        clip = MotionClip(
            positions=npz[rec["id"]].astype(np.float32), joint_names=list(names), parents=list(parents),
            fps=float(rec["fps"]), source=f"{path}::{rec['id']}", meta={"format": "shard", "id": rec["id"]},
        )
        takes.append(Take(rec["id"], clip))
    return takes


def read_takes(found: FoundFile, units: str | None = None, fps: float | None = None,
               blender: str | None = None) -> list[Take]:
    """Every take in ``found``; :class:`UnreadableFile` (or another MoGround error)
    when there is none to index. ``blender``: a Blender executable for .blend files
    (default: this Python's bpy module)."""
    ext = found.path.suffix.lower()
    if ext == ".blend":
        from .blend import read_blend_takes

        return read_blend_takes(found.path, blender=blender)
    records = _shard_records(found.path) if ext == ".npz" else None
    if records is not None:
        return _read_shard(found.path, records)
    if ext == ".amc" and found.asf is None:
        raise UnreadableFile(f"{found.path} is an AMC file with no ASF skeleton beside it: pass --asf")
    from ..io import load_motion

    return [Take("", load_motion(found.path, asf=found.asf, units=units, fps=fps))]


