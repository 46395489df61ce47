"""The direction of imports between the packages, read from the source.

``ingest`` and ``indexes`` are libraries: they never import the product or anything built on
it. The product never imports the web UI, the benchmarks or training, and the UI reaches
ingestion only through the product. Inside the product, the top-level modules and subpackages
import one another without a cycle, counting the imports that run when a module loads and
those made for type checking only: a cycle hidden behind ``TYPE_CHECKING`` is still a cycle
between the parts.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "ingest": {"assistant", "ui", "bench", "training"},
    "indexes": {"assistant", "ui", "bench", "training"},
    "assistant": {"ui", "bench", "training"},
    "ui": {"ingest", "bench", "training"},
}
"""Top-level packages that the package named by each key must not import, anywhere."""

Graph = Mapping[str, set[str]]


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(node: ast.Import | ast.ImportFrom, path: Path, root: Path) -> list[str]:
    """The dotted names an import statement refers to, relative imports resolved; for
    ``from a.b import c`` both ``a.b`` and ``a.b.c``, since ``c`` may be a module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        base = node.module or ""
    else:
        package = module_name(path, root).split(".")
        if path.name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, *([node.module] if node.module else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_nodes(tree: ast.AST, *, at_load: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, or with ``at_load`` only those outside function bodies: the
    ones that run when the module is loaded, including those under ``if TYPE_CHECKING``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif not (at_load and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)):
            yield from import_nodes(node, at_load=at_load)


def sources(root: Path, package: str) -> list[Path]:
    found = sorted((root / package).rglob("*.py"))
    assert found, f"no source found under {root / package}"
    return found


def upward_imports(root: Path, package: str, forbidden: Iterable[str]) -> list[str]:
    """``file: name`` for each import in ``package`` of a package in ``forbidden``."""
    banned = set(forbidden)
    found = []
    for path in sources(root, package):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in import_nodes(tree, at_load=False):
            names = imported_names(node, path, root)
            stated = names if isinstance(node, ast.Import) else names[:1]
            found += [
                f"{path.relative_to(root)}:{node.lineno}: {name}"
                for name in stated
                if name.split(".")[0] in banned
            ]
    return found


def part_of(name: str, package: str, parts: set[str]) -> str | None:
    """The top-level module or subpackage of ``package`` that ``name`` belongs to, if any."""
    pieces = name.split(".")
    if len(pieces) < 2 or pieces[0] != package:
        return None
    part = ".".join(pieces[:2])
    return part if part in parts else None


def part_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Which top-level modules and subpackages of ``package`` each one imports when loaded."""
    base = root / package
    parts = {
        f"{package}.{path.stem if path.is_file() else path.name}"
        for path in base.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").is_file())
    }
    graph: dict[str, set[str]] = {part: set() for part in parts}
    for path in sources(root, package):
        source = part_of(module_name(path, root), package, parts)
        if source is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in import_nodes(tree, at_load=True):
            for name in imported_names(node, path, root):
                target = part_of(name, package, parts)
                if target is not None and target != source:
                    graph[source].add(target)
    return graph


def find_cycle(graph: Graph) -> list[str] | None:
    """One cycle of ``graph`` as the path that closes it, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph.get(node, ())):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start)
        if cycle is not None:
            return cycle
    return None


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_down(package: str) -> None:
    found = upward_imports(ROOT, package, FORBIDDEN[package])
    assert found == [], f"{package} must not import {sorted(FORBIDDEN[package])}:\n" + "\n".join(
        found
    )


def test_the_parts_of_the_product_import_one_another_without_a_cycle() -> None:
    graph = part_graph(ROOT, "assistant")
    assert graph["assistant.service"], "the service imports other parts; the graph is empty"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_an_upward_import_is_found_also_inside_a_function(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/plain.py": "import os\nfrom lib import other\n",
            "lib/lazy.py": "def load():\n    from app.settings import Settings\n",
            "lib/relative.py": "from . import plain\n",
        },
    )
    assert upward_imports(tmp_path, "lib", {"app"}) == ["lib/lazy.py:2: app.settings"]


def test_a_cycle_behind_type_checking_is_found_and_a_lazy_import_is_not(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/answers.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from app.service import Passage\n"
            ),
            "app/service.py": "from app.checks.policy import check\n",
            "app/checks/__init__.py": "",
            "app/checks/policy.py": "from app.answers import Answer\n",
            "app/cli.py": "def main():\n    from app.service import run\n",
        },
    )
    graph = part_graph(tmp_path, "app")
    assert graph["app.cli"] == set()
    assert find_cycle(graph) == ["app.answers", "app.service", "app.checks", "app.answers"]
    graph["app.answers"].clear()
    assert find_cycle(graph) is None
