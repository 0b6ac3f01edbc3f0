"""The package's shape: no import cycles (imports inside functions and ``TYPE_CHECKING`` blocks
count), subpackages in data-flow order, and each subpackage saying its job."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "assist"
FLOW = ["text", "library", "compliance", "encoders", "indexing", "lookup", "batch", "calls", "server", "cli"]
"""Subpackages in the order data flows; a module imports only from its own folder or folders to its left."""
FOUNDATION = {"assist.errors", "assist.types", "assist.limits", "assist.atomic_write"}
"""Top-level modules every layer may use; they import nothing of assist's but each other."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """Every assist module ``path`` imports, wherever the import statement stands."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            # ``from assist.lookup import search`` imports the module assist.lookup.search;
            # ``from assist.lookup.search import x`` imports assist.lookup.search.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != "assist":
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported_modules(path, set(known)) - {name} for name, path in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer(name: str) -> int | None:
    parts = name.split(".")
    return FLOW.index(parts[1]) if len(parts) > 2 and parts[1] in FLOW else None


def test_no_import_cycles() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_cycle_finder_finds_a_planted_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_subpackages_import_only_leftwards() -> None:
    backwards = []
    for name, targets in import_graph().items():
        own = layer(name)
        if own is None:
            continue
        backwards += [f"{name} -> {t}" for t in targets if (other := layer(t)) is not None and other > own]
    assert not backwards, "imports against the data flow: " + ", ".join(sorted(backwards))


def test_foundation_modules_stand_alone() -> None:
    graph = import_graph()
    for name in FOUNDATION:
        assert graph[name] <= FOUNDATION, f"{name} imports {sorted(graph[name] - FOUNDATION)}"


@pytest.mark.parametrize("folder", [p for p in sorted(PACKAGE.rglob("__init__.py")) if p.parent != PACKAGE],
                         ids=lambda p: p.parent.name)
def test_each_subpackage_says_its_job(folder: Path) -> None:
    tree = ast.parse(folder.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{folder} needs a docstring saying what the subpackage does"


def test_top_level_holds_only_entry_points_and_foundations() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= {"__init__", "__main__", "errors", "types", "limits", "atomic_write", "st_module"}, top
