"""The code's layout: no import cycle in widget/, small modules, and a map that is true.

The import graph is read with ``ast`` from the sources, without importing anything. An
import counts when it runs as the module is imported: at module level (in class bodies,
``if``, ``try`` and ``with`` too, but not under ``if TYPE_CHECKING:`` nor in functions).
``import a.b`` and ``from a.b import c`` lead to ``a.b`` (to ``a.b.c`` when ``c`` is a
module), and to each package above it that is not a package of the importer's own (those
run first anyway). ``from . import name`` of a name that a package's ``__init__`` defines
leads to that ``__init__``, even the importer's own package's.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "widget"
MAX_LINES = 300


def module_name(path: Path) -> str:
    """Return the dotted name of a source file under the checkout."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    """Return every module of the package by its dotted name."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def import_time_nodes(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Yield the imports that run when a module with this body is imported."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from import_time_nodes(node.orelse)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    yield from import_time_nodes([child])
                elif isinstance(child, ast.ExceptHandler):
                    yield from import_time_nodes(child.body)


def imports_of(name: str, path: Path, modules: set[str]) -> set[str]:
    """Return the modules of the package that importing ``name`` imports directly."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    own = {".".join(package.split(".")[:i]) for i in range(1, package.count(".") + 2)}
    targets: set[str] = set()

    def reach(module: str, *, named: bool = False) -> None:
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in modules and (prefix not in own or (named and prefix == module)):
                targets.add(prefix)

    tree = ast.parse(path.read_text("utf-8"))
    for node in import_time_nodes(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                reach(alias.name)
            continue
        if node.level:
            base = package.split(".")[: package.count(".") + 2 - node.level]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        for alias in node.names:
            if f"{source}.{alias.name}" in modules:
                reach(f"{source}.{alias.name}")
            else:
                reach(source, named=True)
    targets.discard(name)
    return targets


def import_graph() -> dict[str, set[str]]:
    """Return the package's import graph: each module to the modules it imports."""
    found = sources()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one import cycle as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_walk_sees_what_runs_and_finds_a_cycle(tmp_path: Path) -> None:
    source = tmp_path / "i18n.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import config, static_dir\n"
        "if TYPE_CHECKING:\n"
        "    from .store import Store\n"
        "def f():\n"
        "    from . import cli\n"
    )
    modules = {"widget", "widget.cli", "widget.config", "widget.i18n", "widget.store"}
    assert imports_of("widget.i18n", source, modules) == {"widget", "widget.config"}
    graph = {"widget": {"widget.a"}, "widget.a": {"widget.b"}, "widget.b": {"widget.a"}}
    assert find_cycle(graph) == ["widget.a", "widget.b", "widget.a"]
    assert {"widget.store", "widget.sites"} <= import_graph()["widget"]


def test_no_import_cycle_in_the_package() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_is_longer_than_300_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in sources().values()
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them by feature): {long}"


ENTRY = re.compile(r"(?P<indent> *)(?P<names>[\w.-]+(?:/[\w.-]+)*/?(?:, [\w.-]+(?:/[\w.-]+)*/?)*)")


def documented_layout() -> set[str]:
    """Return the paths that development.md's layout tree names, relative to the checkout.

    An entry line starts (indented two spaces a level) with a name or names separated by
    commas, a directory ending in ``/``; its phrase follows after two spaces or more, and
    may go on in lines indented deeper than any entry (12 spaces or more).
    """
    text = (ROOT / "docs" / "development.md").read_text("utf-8")
    section = text.split("\n## The layout\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    paths: set[str] = set()
    folders: list[str] = []
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        match = ENTRY.match(line)
        if not line.strip() or indent >= 12 or match is None:
            continue  # a phrase going on
        assert indent % 2 == 0, f"entry not indented by levels of two: {line!r}"
        depth = indent // 2
        assert depth <= len(folders), f"entry deeper than its folder: {line!r}"
        del folders[depth:]
        for name in match["names"].split(", "):
            path = "/".join([*folders, name.rstrip("/")])
            paths.add(path)
        if match["names"].endswith("/") and "," not in match["names"]:
            folders.append(match["names"].rstrip("/"))
    return paths


def test_development_md_maps_every_module() -> None:
    listed = documented_layout()
    missing = {p for p in listed if not (ROOT / p).exists()}
    assert not missing, f"development.md's layout names what is gone: {sorted(missing)}"
    modules = {str(path.relative_to(ROOT)) for path in sources().values()}
    packages = {f"{path}/__init__.py" for path in listed}  # a folder stands for its __init__
    unlisted = modules - listed - packages
    assert not unlisted, f"development.md's layout leaves out: {sorted(unlisted)}"
