"""No import cycles: between subpackages and root modules, and inside any package, lazy
(function-level) imports counted. The graph comes from the project's own ast reader
(``moground.devtools.import_graph``)."""

from __future__ import annotations

from pathlib import Path

from moground.devtools import import_graph as ig


def test_the_package_has_no_import_cycles():
    assert ig.all_cycles() == {}


def test_the_reader_sees_lazy_imports_and_reports_a_cycle(tmp_path: Path):
    pkg = tmp_path / "moground"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "a" / "x.py").write_text("def f():\n    from ..b import y\n")
    (pkg / "b.py").write_text("from .a.x import f\n")
    (pkg / "a" / "y.py").write_text("from . import z\n")
    (pkg / "a" / "z.py").write_text("def g():\n    from .y import h\n")
    found = ig.all_cycles(pkg)
    assert found["units"] == [["moground.a", "moground.b"]]
    assert found["moground.a"] == [["moground.a.y", "moground.a.z"]]
