"""How baked sub-actions leave Blender: file names, handles, root motion, FBX units.

One typed :class:`ExportSettings` travels from the CLI (``moground segment``), through
the batch job's arguments (as JSON), to ``bake.py``; the add-on builds the same object
from its panel. Standard library only, so the CLI checks a pattern before any Blender
starts, and build_addon.py vendors it beside ``bake.py``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

DEFAULT_FILE_PATTERN = "{take}_{index:02d}_{label}"
PATTERN_FIELDS = ("take", "index", "label", "name")
# Blender scenes are in metres. Unreal reads an FBX in centimetres (the exporter's
# default: UnitScaleFactor 100, data unscaled); Unity wants the scale applied to the
# data so that its importer shows scale 1 in metres.
FBX_SCALE_PRESETS: dict[str, dict] = {
    "unreal": {"apply_unit_scale": True, "apply_scale_options": "FBX_SCALE_NONE", "global_scale": 1.0},
    "unity": {"apply_unit_scale": True, "apply_scale_options": "FBX_SCALE_ALL", "global_scale": 1.0},
}
_UNSAFE = re.compile(r"[^\w.-]+")


class ExportSettingsError(ValueError):
    """A setting the user gave cannot be used; the message says which and why."""


def safe_file_name(name: str) -> str:
    """``name`` with anything but letters, digits, '.', '-' and '_' turned into '_'
    (the same on Windows, macOS, Linux and in engine asset paths)."""
    return _UNSAFE.sub("_", name).strip("._") or "action"


def file_name(pattern: str, *, take: str, index: int, label: str, name: str) -> str:
    """The FBX file name for one sub-action; ``index`` is 1-based in prompt order."""
    return safe_file_name(pattern.format(take=take, index=index, label=label, name=name)) + ".fbx"


@dataclass(frozen=True)
class ExportSettings:
    """pattern: FBX file names (fields ``{take}`` file stem or source action,
    ``{index}`` 1-based prompt order, ``{label}`` phrase, ``{name}`` strip name).
    handles: frames baked before/after each sub-action. in_place: drop the root's
    horizontal travel. fbx_scale: a key of :data:`FBX_SCALE_PRESETS`."""

    pattern: str = DEFAULT_FILE_PATTERN
    pre_roll: int = 0
    post_roll: int = 0
    in_place: bool = False
    fbx_scale: str = "unreal"

    def __post_init__(self) -> None:
        try:
            file_name(self.pattern, take="take", index=1, label="walk", name="walk")
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            raise ExportSettingsError(
                f"export name pattern {self.pattern!r} does not format ({exc!r}); "
                f"use the fields {', '.join('{' + f + '}' for f in PATTERN_FIELDS)}") from None
        if min(self.pre_roll, self.post_roll) < 0:
            raise ExportSettingsError(f"handles must be 0 or more frames, got {self.pre_roll}, {self.post_roll}")
        if self.fbx_scale not in FBX_SCALE_PRESETS:
            raise ExportSettingsError(f"FBX scale preset {self.fbx_scale!r}: use one of {sorted(FBX_SCALE_PRESETS)}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "ExportSettings":
        return cls(**json.loads(text)) if text else cls()
