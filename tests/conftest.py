"""Counts for the assignment tests, printed at the end of the run (issue: tasks and caught wrong answers)."""

import os
import sys
from pathlib import Path

import pytest

from utils.engine import environment

_STATS = {"tasks": 0, "wrong": 0}


@pytest.fixture
def assignment_stats():
    return _STATS


def pytest_terminal_summary(terminalreporter):
    if _STATS["tasks"] or _STATS["wrong"]:
        terminalreporter.write_line(
            f"Assignments: {_STATS['tasks']} tasks checked, {_STATS['wrong']} wrong answers caught by their checks"
        )


def _gil_enabled() -> bool:
    is_enabled = getattr(sys, "_is_gil_enabled", None)  # 3.13+
    return True if is_enabled is None else is_enabled()


def pytest_collection_modifyitems(session, config, items):
    """The browser test runs last: importing Playwright re-enables the GIL for the rest of the process on 3.13t."""
    items.sort(key=lambda item: item.path.name == "test_browser.py")


@pytest.fixture(autouse=True)
def _gil_stays_off(request):
    """On a free-threaded build, a test that re-enables the GIL in this process fails (with the module's name in
    the RuntimeWarning), since every test after it would no longer test the build without a GIL."""
    before = _gil_enabled()
    yield
    if not before and _gil_enabled() and request.node.path.name != "test_browser.py":
        pytest.fail(
            f"{request.node.nodeid} re-enabled the GIL in the test process: an extension module that does "
            "not declare Py_mod_gil was imported (see the RuntimeWarning); import it in a subprocess instead"
        )


@pytest.fixture
def only_the_kernels_python(monkeypatch, tmp_path):
    """Hide every other interpreter the course looks for, as on a learner's machine with one Python.

    ``GIL_COURSE_PYTHON`` names nothing, ``$PYTHONS_DIR`` and ``$PYENV_ROOT`` are empty folders, and the
    folders of ``PATH`` that hold a ``python3.Nt`` are dropped: neither the free-threaded finder nor the
    profiler's finder (CPython 3.15+) finds anything but the running interpreter. A kernel or worker
    started afterwards inherits this environment.
    """
    monkeypatch.setenv(environment.OTHER_PYTHON_ENV, str(tmp_path / "no-such-python3.13t"))
    monkeypatch.setenv(environment.PYTHONS_DIR_ENV, str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    path = [
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if not environment._named_in(Path(d), environment.FREE_THREADED_NAME)
    ]
    monkeypatch.setenv("PATH", os.pathsep.join(path))
    return tmp_path
