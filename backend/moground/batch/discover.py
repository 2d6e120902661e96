"""Turn the command line's files/folders and prompt options into work items."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..wire.errors import BadRequest
from .safe_save import is_temp_artifact

BLEND_EXT = (".blend",)
MOCAP_EXT = (".bvh", ".fbx", ".amc", ".npz", ".npy")


@dataclass(frozen=True)
class WorkItem:
    """One file to segment. ``kind`` is "blend" or "mocap" (import first)."""

    path: Path
    kind: str
    prompt: str
    armature: str | None = None


def _wanted(path: Path, exts: tuple[str, ...]) -> bool:
    return (
        path.is_file()
        and path.suffix.lower() in exts
        and path.name.lower() != "shape.npz"  # AMASS: a subject's body shape, not a take
        and not path.name.startswith(".")
        and not is_temp_artifact(path)
    )


def expand_inputs(inputs: list[str | Path], *, from_mocap: bool) -> list[Path]:
    """Files as given, folders searched recursively; sorted, de-duplicated."""
    exts = MOCAP_EXT if from_mocap else BLEND_EXT
    found: dict[Path, None] = {}
    for raw in inputs:
        p = Path(raw).expanduser()
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if _wanted(child, exts):
                    found[child.resolve()] = None
        elif p.is_file():
            if p.suffix.lower() not in exts:
                kinds = "/".join(e.lstrip(".") for e in exts)
                raise BadRequest(f"{p}: not a {kinds} file")
            found[p.resolve()] = None
        else:
            raise BadRequest(f"{p}: no such file or folder")
    return list(found)


def load_prompt_table(csv_path: str | Path) -> dict[str, tuple[str, str | None]]:
    """Read ``file,prompt[,armature]`` rows (a header row is optional).

    Keys are kept as written; :func:`prompt_for` matches them against a file's
    absolute path, its path relative to the CSV, its name or its stem.
    """
    csv_path = Path(csv_path)
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadRequest(f"cannot read prompts file {csv_path}: {exc}") from exc
    rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["file", "prompt"]:
        rows = rows[1:]
    table: dict[str, tuple[str, str | None]] = {}
    for n, row in enumerate(rows, 1):
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise BadRequest(f"{csv_path}: row {n} needs 'file,prompt[,armature]'")
        arm = row[2].strip() if len(row) > 2 and row[2].strip() else None
        table[row[0].strip()] = (row[1].strip(), arm)
    return table


def prompt_for(path: Path, table: dict[str, tuple[str, str | None]], base: Path):
    """The (prompt, armature) row for ``path``, or None when the CSV has none."""
    candidates = [str(path)]
    try:
        candidates.append(str(path.relative_to(base.resolve())))
    except ValueError:
        pass
    candidates += [path.name, path.stem]
    for key, row in table.items():
        keyp = Path(key)
        if keyp.is_absolute() and keyp.resolve() == path:
            return row
    for c in candidates:
        if c in table:
            return table[c]
    return None


def build_work(
    inputs: list[str | Path],
    *,
    prompt: str | None,
    prompts_csv: str | Path | None,
    armature: str | None,
    from_mocap: bool,
) -> tuple[list[WorkItem], list[Path]]:
    """Work items plus the files the prompt table had no row for (reported, not run)."""
    if bool(prompt) == bool(prompts_csv):
        raise BadRequest("give exactly one of --prompt TEXT or --prompts FILE.csv")
    files = expand_inputs(inputs, from_mocap=from_mocap)
    if not files:
        raise BadRequest("no input files found")
    kind = "mocap" if from_mocap else "blend"
    if prompt:
        return [WorkItem(f, kind, prompt, armature) for f in files], []
    table = load_prompt_table(prompts_csv)  # type: ignore[arg-type]
    base = Path(prompts_csv).parent  # type: ignore[arg-type]
    items, missing = [], []
    for f in files:
        row = prompt_for(f, table, base)
        if row is None:
            missing.append(f)
        else:
            items.append(WorkItem(f, kind, row[0], row[1] or armature))
    return items, missing
