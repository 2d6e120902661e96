"""Per-file results of a batch run, written as JSON or CSV."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATUSES = ("ok", "skipped", "failed", "not_run")


@dataclass
class FileResult:
    """What happened to one file; ``segments`` are the reply's segment dicts."""

    file: str
    armature: str = ""
    prompt: str = ""
    method: str = ""
    status: str = "not_run"
    segments: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""
    output: str = ""
    actions: list[str] = field(default_factory=list)  # baked with --export-actions
    fbx: list[str] = field(default_factory=list)  # written with --export-fbx

    @property
    def scores(self) -> list[float]:
        return [float(s.get("score", 0.0)) for s in self.segments]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["scores"] = self.scores
        return d


CSV_FIELDS = ("file", "armature", "prompt", "method", "status", "segments", "scores",
              "low_confidence", "reasons", "seconds", "error", "output")


def _csv_row(r: FileResult) -> dict:
    labels = "; ".join(
        f"{s.get('label', '')}[{s.get('start_frame', '')}-{s.get('end_frame', '')}]"
        for s in r.segments
    )
    return {
        "file": r.file, "armature": r.armature, "prompt": r.prompt, "method": r.method,
        "status": r.status, "segments": labels,
        "scores": "; ".join(f"{x:.3f}" for x in r.scores),
        # per segment, in the order of "segments": yes/no, and why a flagged one is weak
        "low_confidence": "; ".join("yes" if s.get("low_confidence") else "no" for s in r.segments),
        "reasons": "; ".join(str(s.get("reason") or "") for s in r.segments if s.get("low_confidence")),
        "seconds": f"{r.seconds:.2f}", "error": r.error, "output": r.output,
    }


def summary_lines(results: list[FileResult], forced: bool) -> list[str]:
    """What the batch prints at the end: one line per failed file, the counts, and a
    hint when nothing was done because every file was already segmented."""
    lines = [f"FAILED {Path(r.file).name}: {r.error}" for r in results if r.status == "failed"]
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    lines.append("moground segment: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if results and counts["skipped"] == len(results) and not forced:
        lines.append("moground segment: every file was already segmented with this prompt and method; "
                     "add --force to segment (and export) them again")
    return lines


def write_report(results: list[FileResult], path: str | Path) -> Path:
    """``.csv`` → one row per file; anything else → JSON with a summary."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    if path.suffix.lower() == ".csv":
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
            w.writeheader()
            for r in results:
                w.writerow(_csv_row(r))
    else:
        counts = {s: sum(r.status == s for r in results) for s in STATUSES}
        tmp.write_text(
            json.dumps({"summary": counts, "files": [r.to_dict() for r in results]}, indent=2),
            encoding="utf-8",
        )
    tmp.replace(path)
    return path
