"""The layout's picture stays true: imports point down the spine, projects stay apart, no cycles.

Every module under ``src/skillsight`` is parsed (imports at any depth count, lazy and TYPE_CHECKING ones
included) and each import of another skillsight module is checked against :data:`LAYERS`:

* a module may import its own unit, or a unit of a LOWER layer;
* each project (``projects/<name>``) is its own unit on the projects layer: projects never import each
  other, and nothing below them imports a project;
* ``gaze/`` is the numpy bottom: besides the standard library it imports only numpy and scipy;
* module-level import cycles are refused anywhere (e.g. two modules importing each other lazily).

There is no exception list: a failing import is a layout bug, fixed by moving code, not by listing it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "skillsight"

#: Bottom to top. A unit may import units of lower layers only. Units on one layer are peers that do
#: not import each other ("projects.*" stands for every project wing).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("exceptions",),
    ("registry",),
    ("config",),
    ("gaze",),
    ("data",),
    ("models",),
    ("runs",),
    ("evaluation",),
    ("training",),
    ("deploy",),
    ("reports",),
    ("projects.*",),
    ("catalog",),
    ("demo", "claims"),
    ("cli",),
)
GAZE_ALLOWED_THIRD_PARTY = {"numpy", "scipy"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _imports(path: Path, module: str) -> list[tuple[str, int]]:
    """(imported module, line) per import statement; ``from a import b`` names a.b when it is a module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against this module's package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.append((candidate if candidate in MODULES else target, node.lineno))
    return found


def _unit(module: str) -> str:
    """The layer of a module: its spine room or its project wing.

    ``skillsight.data.readers.aria`` -> ``data``,
    ``skillsight.projects.soccer.models`` -> ``projects.soccer``.
    """
    parts = module.split(".")[1:]
    if not parts:
        return "skillsight"
    if parts[0] == "projects" and len(parts) > 1:
        return f"projects.{parts[1]}"
    return parts[0]


def _layer(unit: str) -> int:
    key = "projects.*" if unit.startswith("projects.") else unit
    for index, layer in enumerate(LAYERS):
        if key in layer:
            return index
    raise AssertionError(f"unit {unit!r} is not in LAYERS: add it where it belongs in the data flow")


def _edges() -> dict[str, set[tuple[str, int]]]:
    edges: dict[str, set[tuple[str, int]]] = {}
    for module, path in MODULES.items():
        edges[module] = {(t, line) for t, line in _imports(path, module) if t.startswith("skillsight")}
    return edges


EDGES = _edges()


def test_every_unit_has_a_layer() -> None:
    for module in MODULES:
        unit = _unit(module)
        if unit not in ("skillsight", "projects"):
            _layer(unit)


def test_imports_point_down() -> None:
    bad = []
    for module, targets in EDGES.items():
        unit = _unit(module)
        if unit in ("skillsight", "projects"):  # package docstrings import nothing (checked below)
            continue
        for target, line in sorted(targets):
            other = _unit(target)
            if other == unit:
                continue
            if other in ("skillsight", "projects") or _layer(other) >= _layer(unit):
                bad.append(f"{MODULES[module].relative_to(SRC)}:{line}: {unit} imports {target} ({other})")
    assert not bad, "imports that point up or sideways:\n" + "\n".join(bad)


def test_root_packages_import_nothing() -> None:
    for module in ("skillsight", "skillsight.projects"):
        assert not EDGES[module], f"{module} must not import other modules: {sorted(EDGES[module])}"


def test_gaze_is_numpy_only() -> None:
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    bad = []
    for module, path in MODULES.items():
        if _unit(module) != "gaze":
            continue
        for target, line in _imports(path, module):
            root = target.split(".")[0]
            if root == "skillsight":
                if _unit(target) not in ("gaze", "exceptions"):
                    bad.append(f"{path.relative_to(SRC)}:{line}: {target}")
            elif root not in stdlib and root not in GAZE_ALLOWED_THIRD_PARTY:
                bad.append(f"{path.relative_to(SRC)}:{line}: {target}")
    assert not bad, "gaze/ must stay numpy-only:\n" + "\n".join(bad)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return out


def test_no_import_cycles() -> None:
    graph = {m: {t for t, _ in targets if t in MODULES and t != m} for m, targets in EDGES.items()}
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_cycle_finder_finds_a_cycle() -> None:
    """The checker itself can fail: a made-up cycle is found, an acyclic graph is not."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize(
    "unit,target,allowed",
    [
        ("data", "skillsight.models._factory", False),
        ("models", "skillsight.data.records", True),
        ("projects.soccer", "skillsight.projects.ranking.models", False),
        ("cli", "skillsight.projects.soccer.bench", True),
    ],
)
def test_layer_rule_examples(unit: str, target: str, allowed: bool) -> None:
    other = _unit(target)
    assert (other == unit or _layer(other) < _layer(unit)) is allowed
