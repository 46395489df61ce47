"""Training stays out of the product: no runtime package imports it, and the wheel leaves it out."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RUNTIME_PACKAGES = ("assistant", "ingest", "indexes", "ui")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def runtime_modules_importing(top_level: str) -> list[str]:
    return [
        str(path.relative_to(ROOT))
        for package in RUNTIME_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if any(name.split(".")[0] == top_level for name in imported_modules(path))
    ]


def test_no_runtime_module_imports_training() -> None:
    assert runtime_modules_importing("training") == []


def test_the_wheel_holds_only_the_runtime_packages() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    included = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not any(pattern.startswith("training") for pattern in included)
    assert "training" in config["tool"]["mypy"]["packages"]


def test_no_runtime_module_imports_a_fitting_library() -> None:
    """Trained logistic models are applied from their JSON weights; scikit-learn is for fitting."""
    assert runtime_modules_importing("sklearn") == []
