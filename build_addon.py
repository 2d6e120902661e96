#!/usr/bin/env python3
"""Build the MoGround Blender extension zips, one per platform and Python ABI.

Each zip holds the add-on's UI from ``blender_addon/``, the backend modules it runs
vendored byte for byte into ``wire/`` — the folder ``backend/moground/wire/`` (the
wire client, protocol, limits, errors, options, method names, and in ``wire/blender/``
the reader, NLA writer, local-backend starter), copied whole, so one source of truth,
no copies in the repository and a tree that matches the zip — and the
pyzmq wheel for its platform in ``wheels/``, listed in the manifest. numpy is never
bundled: Blender ships it.

Blender 4.2-5.0 embed Python 3.11 and 5.1+ Python 3.13, so every platform gets two
zips whose ``blender_version_min/max`` keep each one to the Blender it can run in.
Every zip is checked with Blender's own extension validator (``blender --command
extension validate``), called through the ``bpy`` module.

    python build_addon.py                                 # all platforms, both ABIs
    python build_addon.py --platform linux-x64 --python cp311 --out dist/
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent
ADDON_DIR = REPO / "blender_addon"
PACKAGE = REPO / "backend" / "moground"
WIRE_DIR = PACKAGE / "wire"  # bpy/numpy/standard library only; imports nothing outside itself


def vendored_files() -> dict[str, Path]:
    """Zip path → backend source of every vendored module: the whole ``wire`` folder
    (copied byte for byte)."""
    return {f"wire/{p.relative_to(WIRE_DIR).as_posix()}": p for p in sorted(WIRE_DIR.rglob("*.py"))
            if "__pycache__" not in p.parts}

DEFAULT_CACHE = REPO / ".cache" / "wheels"
DEFAULT_PYZMQ = "pyzmq==27.*"

PLATFORMS: dict[str, str] = {  # Blender platform name -> pip --platform tag
    "windows-x64": "win_amd64",
    "macos-arm64": "macosx_11_0_arm64",
    "macos-x64": "macosx_10_15_x86_64",
    "linux-x64": "manylinux_2_28_x86_64",
    "linux-arm64": "manylinux_2_28_aarch64",
}


@dataclass(frozen=True)
class Target:
    """A Blender range that embeds one Python version."""

    abi: str
    python: str
    blender_min: str
    blender_max: str | None  # exclusive
    label: str


TARGETS: dict[str, Target] = {
    "cp311": Target("cp311", "3.11", "4.2.0", "5.1.0", "blender4.2-5.0"),
    "cp313": Target("cp313", "3.13", "5.1.0", None, "blender5.1"),
}

_VALIDATE = (
    "import sys, bpy\n"
    "from bl_pkg.bl_extension_cli import cli_extension_handler\n"
    "sys.exit(cli_extension_handler(['validate', sys.argv[1]]))\n"
)


class BuildError(RuntimeError):
    pass


def addon_files() -> list[Path]:
    """The add-on's own files: Python modules and the manifest, no caches."""
    files = sorted(p for p in ADDON_DIR.rglob("*") if p.is_file()
                   and "__pycache__" not in p.parts and p.suffix in (".py", ".toml"))
    if (ADDON_DIR / "wire").exists():
        raise BuildError("blender_addon/wire must not exist: it is vendored at build time")
    return files


def pyzmq_wheel(platform: str, target: Target, cache: Path, spec: str = DEFAULT_PYZMQ) -> Path:
    """The pyzmq wheel for this platform and Python, downloaded once into ``cache``."""
    folder = cache / platform / target.abi
    found = sorted(folder.glob("pyzmq-*.whl"))
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", spec, "--only-binary=:all:", "--no-deps",
               "--platform", PLATFORMS[platform], "--python-version", target.python,
               "--implementation", "cp", "-d", str(folder), "-q"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        found = sorted(folder.glob("pyzmq-*.whl"))
        if proc.returncode != 0 or not found:
            raise BuildError(f"pip could not download {spec} for {platform}/{target.abi}:\n"
                             f"{proc.stderr.strip()[-2000:]}")
    return found[-1]


def manifest_text(base: str, target: Target, platform: str, wheel_name: str) -> str:
    """The source manifest with this zip's Blender range, platform and wheel filled in."""
    lines = [ln for ln in base.splitlines()
             if not re.match(r"\s*(blender_version_min|blender_version_max|platforms|wheels)\s*=", ln)]
    extra = [f'blender_version_min = "{target.blender_min}"']
    if target.blender_max:
        extra.append(f'blender_version_max = "{target.blender_max}"')
    extra += [f'platforms = ["{platform}"]', f'wheels = ["./wheels/{wheel_name}"]']
    # Top-level keys must come before the first [table].
    first_table = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("[")), len(lines))
    out = lines[:first_table] + extra + [""] + lines[first_table:]
    return "\n".join(out).rstrip() + "\n"


def stage(dest: Path, platform: str | None = None, target: Target | None = None,
          wheel: Path | None = None) -> Path:
    """Lay out the extension in ``dest`` exactly as it goes into the zip."""
    dest.mkdir(parents=True, exist_ok=True)
    manifest = ""
    for src in addon_files():
        rel = src.relative_to(ADDON_DIR)
        if rel.name == "blender_manifest.toml":
            manifest = src.read_text(encoding="utf-8")
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    for rel, src in vendored_files().items():
        if not src.exists():
            raise BuildError(f"missing {src.relative_to(REPO)}: the add-on vendors it")
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    if wheel is not None and target is not None and platform is not None:
        (dest / "wheels").mkdir(exist_ok=True)
        shutil.copy2(wheel, dest / "wheels" / wheel.name)
        manifest = manifest_text(manifest, target, platform, wheel.name)
    (dest / "blender_manifest.toml").write_text(manifest, encoding="utf-8")
    return dest


def zip_dir(src: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(src.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(src).as_posix())
    return out


def validate(zip_path: Path, python: str) -> None:
    """Run Blender's extension validator on ``zip_path`` with a Python that has bpy."""
    proc = subprocess.run([python, "-c", _VALIDATE, str(zip_path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"Blender's validator rejected {zip_path.name}:\n"
                         f"{(proc.stdout + proc.stderr).strip()[-3000:]}")


def build(platform: str, target: Target, out_dir: Path, cache: Path, *,
          validate_with: str | None, pyzmq_spec: str = DEFAULT_PYZMQ) -> Path:
    """Build and (optionally) validate one zip; returns its path."""
    manifest = tomllib.loads((ADDON_DIR / "blender_manifest.toml").read_text(encoding="utf-8"))
    wheel = pyzmq_wheel(platform, target, cache, pyzmq_spec)
    name = f"{manifest['id']}-{manifest['version']}-{platform}-{target.label}.zip"
    with tempfile.TemporaryDirectory(prefix="moground-addon-") as tmp:
        staged = stage(Path(tmp) / manifest["id"], platform, target, wheel)
        out = zip_dir(staged, out_dir / name)
    if validate_with:
        validate(out, validate_with)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the MoGround Blender extension zips.")
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                        help="build only this platform (repeatable; default: all)")
    parser.add_argument("--python", action="append", choices=sorted(TARGETS),
                        help="cp311 = Blender 4.2-5.0, cp313 = Blender 5.1+ (default: both)")
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="output folder")
    parser.add_argument("--wheel-cache", type=Path, default=DEFAULT_CACHE,
                        help="folder that keeps downloaded pyzmq wheels between builds")
    parser.add_argument("--pyzmq", default=DEFAULT_PYZMQ, help="pip requirement for pyzmq")
    parser.add_argument("--validate-python", default=sys.executable,
                        help="a Python with the bpy module, for Blender's validator")
    parser.add_argument("--no-validate", action="store_true", help="skip Blender's validator")
    args = parser.parse_args(argv)
    try:
        for platform in args.platform or list(PLATFORMS):
            for abi in args.python or list(TARGETS):
                out = build(platform, TARGETS[abi], args.out, args.wheel_cache,
                            validate_with=None if args.no_validate else args.validate_python,
                            pyzmq_spec=args.pyzmq)
                print(f"built {out} ({'not validated' if args.no_validate else 'valid'})")
    except BuildError as exc:
        print(f"build_addon: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
