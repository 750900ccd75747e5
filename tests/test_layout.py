"""The package's layers, as the README's Architecture section describes them."""

import ast
from pathlib import Path

import pytest

UTILS = Path(__file__).resolve().parent.parent / "utils"
#: "No module over about 500 lines" (issue 13), counted after `ruff format`.
MAX_LINES = 520


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` statement in ``path`` names, function-local imports included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


ENGINE = sorted((UTILS / "engine").glob("*.py"))


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: p.name)
def test_the_engine_imports_neither_ui_nor_lessons(path):
    upward = sorted(n for n in imported_modules(path) if n.startswith(("utils.ui", "utils.lessons")))
    assert not upward, f"{path.name} imports {upward}: the engine must not depend on the layers above it"


@pytest.mark.parametrize("path", sorted((UTILS / "ui").glob("*.py")), ids=lambda p: p.name)
def test_ui_does_not_import_lessons(path):
    upward = sorted(n for n in imported_modules(path) if n.startswith("utils.lessons"))
    assert not upward, f"{path.name} imports {upward}"


@pytest.mark.parametrize("path", sorted(UTILS.rglob("*.py")), ids=lambda p: str(p.relative_to(UTILS)))
def test_no_module_is_too_long_to_read(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(UTILS)} has {lines} lines: split it by concern"


def test_every_module_lives_in_a_layer():
    top = sorted(p.name for p in UTILS.glob("*.py"))
    assert top == ["__init__.py", "checks.py", "course.py"]
