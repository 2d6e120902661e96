"""The import graph of the ``moground`` package, read from the source with ``ast``.

Every ``import`` counts, also those inside functions (a lazy import only hides a cycle
at load time; the modules still depend on each other). Two graphs are checked:

* between units: a unit is a subpackage (``moground.grounding``) or a root module
  (``moground.engine``); an edge means some module of one imports some module of the
  other;
* between the modules inside each subpackage.

Both must be free of cycles: ``python -m moground.devtools.import_graph`` prints any it
finds and exits 1.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "moground"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def module_name(path: Path, root: Path = PACKAGE_DIR) -> str:
    """``moground.grounding.fused`` for ``<root>/grounding/fused.py`` (``__init__`` → the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([PACKAGE, *parts])


def _resolve(node: ast.ImportFrom, current: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path, known: set[str], root: Path = PACKAGE_DIR) -> set[str]:
    """The project modules ``path`` imports (anywhere in the file), as module names."""
    current = module_name(path, root)
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, current, is_package)
            # ``from pkg import mod`` imports the module pkg.mod when there is one
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != current:
                out.add(name)
    return out


def module_graph(root: Path = PACKAGE_DIR) -> dict[str, set[str]]:
    """{module: the project modules it imports} for every ``.py`` file under ``root``."""
    files = sorted(root.rglob("*.py"))
    known = {module_name(p, root) for p in files}
    return {module_name(p, root): imports_of(p, known, root) for p in files}


def unit_of(module: str) -> str:
    """The subpackage or root module a module belongs to (``moground.x`` or ``moground.x.y`` → ``moground.x``)."""
    parts = module.split(".")
    return ".".join(parts[:2])


def unit_graph(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    """Edges between units (subpackages and root modules); the package root itself is left out."""
    out: dict[str, set[str]] = {}
    for src, targets in modules.items():
        a = unit_of(src)
        if a == PACKAGE:
            continue
        for dst in targets:
            b = unit_of(dst)
            if b != a and b != PACKAGE:
                out.setdefault(a, set()).add(b)
        out.setdefault(a, set())
    return out


def inner_graphs(modules: dict[str, set[str]]) -> dict[str, dict[str, set[str]]]:
    """Per subpackage, the edges between its own modules (the package's ``__init__`` included).

    A subpackage's ``__init__`` re-exporting its modules is not a cycle with them: edges from
    a package into its own ``__init__`` are dropped only where the ``__init__`` is the importer.
    """
    out: dict[str, dict[str, set[str]]] = {}
    for src, targets in modules.items():
        pkg = src.rpartition(".")[0] if src not in _packages(modules) else src
        for dst in targets:
            if dst.startswith(pkg + ".") or dst == pkg:
                if dst == pkg and src.startswith(pkg + "."):
                    continue  # a module reading its own package's __init__ (re-exports)
                out.setdefault(pkg, {}).setdefault(src, set()).add(dst)
    return out


def _packages(modules: dict[str, set[str]]) -> set[str]:
    return {m.rpartition(".")[0] for m in modules if "." in m}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one node (Tarjan), as sorted lists."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def all_cycles(root: Path = PACKAGE_DIR) -> dict[str, list[list[str]]]:
    """{"units": cycles between subpackages/root modules, "<package>": cycles inside it}."""
    modules = module_graph(root)
    found = {"units": find_cycles(unit_graph(modules))}
    for pkg, graph in inner_graphs(modules).items():
        cycles = find_cycles(graph)
        if cycles:
            found[pkg] = cycles
    return {k: v for k, v in found.items() if v}


def _edges_within(graph: dict[str, set[str]], nodes: Iterable[str]) -> list[str]:
    members = set(nodes)
    return [f"{a} -> {b}" for a in sorted(members) for b in sorted(graph.get(a, ())) if b in members]


def main() -> int:
    modules = module_graph()
    units = unit_graph(modules)
    found = all_cycles()
    for where, cycles in found.items():
        graph = units if where == "units" else inner_graphs(modules)[where]
        for cycle in cycles:
            print(f"cycle in {where}: {' '.join(cycle)}")
            for edge in _edges_within(graph, cycle):
                print(f"    {edge}")
    if not found:
        print(f"no import cycles ({len(modules)} modules, {len(units)} units)")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
