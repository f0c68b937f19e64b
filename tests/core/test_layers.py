"""Imports go one way — flows ← core ← store ← features ← adapters ← ops/CLI — and never in a circle.

Every import counts, including those inside functions; only `if TYPE_CHECKING:` blocks are left out (they
never run). A module may import its own layer or a lower one; a feature may not import another feature.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("flows", "bot")
LAYERS = ("flows", "core", "store", "features", "adapters", "ops")

# Which layer each package is in (the longest prefix wins). A module outside them fails the test.
LAYER_OF = {
    "flows": "flows",
    "bot.core": "core",
    "bot.store": "store",
    "bot.features": "features",
    "bot.adapters": "adapters",
    "bot": "ops", "bot.ops": "ops", "bot.compose": "ops", "bot.__main__": "ops",
}
FEATURES_PACKAGE = "bot.features"

# Edges against the direction that are still to be removed; each later change shrinks this list.
ALLOWED: set[tuple[str, str]] = set()


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports anywhere in its body, outside `if TYPE_CHECKING:`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:  # `from bot import checkins` imports the module bot.checkins
                out.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in out if m in known and m != name}


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports(name, path, known) for name, path in found.items()}


def layer(name: str) -> str:
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYER_OF:
            return LAYER_OF[prefix]
    raise AssertionError(f"{name}: not placed in a layer (add it to LAYER_OF in tests/core/test_layers.py)")


def feature_of(name: str) -> str | None:
    """bot.features.checkins.plan → bot.features.checkins."""
    parts = name.split(".")
    return ".".join(parts[:3]) if name.startswith(FEATURES_PACKAGE + ".") and len(parts) >= 3 else None


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
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

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return out


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_is_placed_in_a_layer():
    found = modules()
    assert any(n.startswith("flows.") for n in found) and any(n.startswith("bot.") for n in found)
    unplaced, placed = [], {}
    for name in found:
        try:
            placed[name] = layer(name)
        except AssertionError:
            unplaced.append(name)
    assert unplaced == [], "not placed in a layer (add them to LAYER_OF)"
    assert set(placed.values()) == set(LAYERS)  # and every layer holds something


def test_imports_go_one_way():
    wrong = []
    for name, targets in graph().items():
        for target in targets:
            if (name, target) in ALLOWED:
                continue
            if LAYERS.index(layer(target)) > LAYERS.index(layer(name)):
                wrong.append(f"{name} ({layer(name)}) imports {target} ({layer(target)})")
            mine, theirs = feature_of(name), feature_of(target)
            if mine and theirs and mine != theirs:
                wrong.append(f"feature {name} imports feature {target}")
    assert wrong == []


def test_the_allowlist_holds_only_edges_that_still_exist():
    edges = graph()
    assert [e for e in ALLOWED if e[1] not in edges.get(e[0], set())] == []


def test_the_checker_sees_imports_inside_functions_but_not_type_checking(tmp_path: Path):
    path = tmp_path / "m.py"
    path.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import bot.ops.cli\n"
                    "def f():\n    from bot import compose\n")
    assert imports("bot.x", path, {"bot.ops.cli", "bot.compose", "bot"}) == {"bot.compose"}
