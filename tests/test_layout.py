"""The Blender/backend boundary: what the add-on vendors imports only bpy, numpy, the
standard library and the wire modules; the backend never reaches into blender_addon/."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "backend" / "moground"


def _build_addon():
    """build_addon.py lives at the repository root, outside any package."""
    if "build_addon" not in sys.modules:
        spec = importlib.util.spec_from_file_location("build_addon", REPO / "build_addon.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["build_addon"] = module
        spec.loader.exec_module(module)
    return sys.modules["build_addon"]


def _imports(path: Path) -> list[tuple[int, str]]:
    """(relative level, module) of every import in the file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(0, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level and not node.module:  # from . import x
                out += [(node.level, a.name) for a in node.names]
            else:
                out.append((node.level, node.module or ""))
    return out


def test_vendored_modules_import_only_bpy_numpy_stdlib_and_each_other():
    build = _build_addon()
    vendored = build.vendored_files()
    assert "wire/protocol.py" in vendored and "wire/blender/motion_reader.py" in vendored
    for rel, src in vendored.items():
        pkg = rel.split("/")[:-1]
        for level, name in _imports(src):
            top = name.split(".")[0]
            if level == 0:
                assert top in ("bpy", "numpy", "zmq", "__future__") or top in sys.stdlib_module_names, (rel, name)
                continue
            base = pkg[: len(pkg) - (level - 1)]
            assert base[:1] == ["wire"], (rel, level, name)  # never above the vendored folder
            target = "/".join(base + (name.split(".") if name else []))
            assert f"{target}.py" in vendored or f"{target}/__init__.py" in vendored, (rel, level, name)


def _code_strings(path: Path) -> list[str]:
    """String constants of the code, docstrings and comments left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def test_backend_never_loads_the_addon_folder_and_one_default_address():
    files = list(PACKAGE.rglob("*.py")) + list((REPO / "blender_addon").rglob("*.py"))
    holders = [p for p in files if any("127.0.0.1:5757" in s for s in _code_strings(p))]
    assert holders == [PACKAGE / "wire" / "protocol.py"]
    for path in PACKAGE.rglob("*.py"):
        assert not any("blender_addon" in s for s in _code_strings(path)), path


def test_product_code_ships_inside_the_package():
    from moground.batch import driver as runner

    assert runner.JOB_SCRIPT == PACKAGE / "blender" / "job_script.py" and runner.JOB_SCRIPT.is_file()
    assert (PACKAGE / "blender" / "flamenco" / "moground_segment.js").is_file()
    assert not (REPO / "scripts" / "moground_blender_job.py").exists()
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"blender/flamenco/*.js"' in pyproject


def test_job_script_runs_from_an_installed_package_copy(tmp_path):
    """As in a wheel install: the package alone in site-packages, no repository around it."""
    bpy_python = os.environ.get("MOGROUND_BPY_PYTHON", sys.executable)
    if subprocess.run([bpy_python, "-c", "import bpy"], capture_output=True).returncode:
        pytest.skip("no bpy module")
    site = tmp_path / "site-packages"
    shutil.copytree(PACKAGE, site / "moground",
                    ignore=shutil.ignore_patterns("__pycache__", "weights", "bench", "training"))
    proc = subprocess.run(
        [bpy_python, str(site / "moground" / "blender" / "job_script.py"), "--",
         "--input", str(tmp_path / "missing.blend"), "--prompt", "walk", "--backend", "tcp://127.0.0.1:1"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "[unreadable_file]" in proc.stdout and "missing.blend: no such file" in proc.stdout
