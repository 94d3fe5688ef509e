"""The package imports as a tree: no cycle among builder.* modules, and each medium stands alone.

A cycle between modules works only while every name is looked up late, and
breaks the day someone adds a module-level `from X import Y` on the wrong
side; worse, which module finishes first depends on what was imported first.
An import inside a function only defers the cycle (the dispatcher
`builder.transport` imports the media lazily, and they used to import it back
for `Context`), so those count too: the whole graph must be a DAG.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "builder"
MEDIA = ["builder.layout", "builder.archive", "builder.daemon", "builder.registry"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_in(nodes: Iterable[ast.AST], *, lazy: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports a module runs: at import time, and with `lazy` those inside functions too.

    `if TYPE_CHECKING:` blocks never run, so they never count.
    """
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from imports_in(node.orelse, lazy=lazy)
        elif lazy or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from imports_in(ast.iter_child_nodes(node), lazy=lazy)


def import_graph(*, lazy: bool) -> dict[str, set[str]]:
    """module -> the builder.* modules it imports (at module level; with `lazy`, anywhere)."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in imports_in(ast.parse(path.read_text(), str(path)).body, lazy=lazy):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from pkg import sub` needs only the submodule; `from pkg import name`, pkg itself
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
            edges |= {t for t in targets if t in known and t != name}
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, …, a], or None when the graph is acyclic."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_graph_sees_imports_where_they_run() -> None:
    eager, every = import_graph(lazy=False), import_graph(lazy=True)
    assert "builder.context" in eager["builder.layout"]
    assert "builder.registry.push" in eager["builder.registry"]           # from .push import … in a package
    assert set(MEDIA) <= every["builder.transport"]                       # imported inside read_image/write_image
    assert not eager["builder.transport"] & set(MEDIA)
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_builder_modules_even_through_lazy_imports() -> None:
    """An import inside a function defers a cycle, it does not remove it: count those too."""
    cycle = find_cycle(import_graph(lazy=True))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_shared_types_live_in_a_leaf_module() -> None:
    every = import_graph(lazy=True)
    assert not every["builder.context"] & {"builder.transport", *MEDIA}
    import builder.context
    import builder.transport

    for name in builder.context.__all__:
        assert getattr(builder.transport, name) is getattr(builder.context, name)


@pytest.mark.parametrize("medium", MEDIA)
def test_each_medium_imports_alone_without_the_dispatcher(medium: str) -> None:
    code = f"import sys, {medium}; print('builder.transport' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False", f"importing {medium} pulled in builder.transport"
