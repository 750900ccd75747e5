"""The lessons on a machine with only the kernel's Python: no free-threaded interpreter, no CPython 3.15 profiler.

nbval runs every lesson where ``make pythons`` has installed 3.13t and 3.15, so the other branch of their cells
(what a learner without them sees: "no free-threaded interpreter found", "the profiler needs CPython 3.15")
would go unchecked. Here each lesson that looks for another interpreter runs top to bottom in a fresh kernel
with all of them hidden, and every output nbval compares must be the stored one, by nbval's rules (issue 14:
the lessons pass strictly with and without a free-threaded interpreter; issue 15: without 3.15 the cells say
so and the instrumented timelines carry on).

It runs once, in ``make test``; ``make matrix`` leaves it out (scripts/version_matrix.py, ``RUN_ONCE``).
"""

from __future__ import annotations

import re
import sys

import nbformat
import notebook_checks
import pytest
from notebook_checks import LESSONS, code_cells, load, source

from utils.engine import environment, gil_profile

#: What a lesson calls when it looks for another interpreter (directly or through a panel or a lesson helper).
LOOKS_ELSEWHERE = re.compile(
    r"find_free_threaded_python|free_threaded_pythons|profile_threads|profile_call|GilProfilePanel"
    r"|find_gil_reenabling|kernel_standard_python|single_thread_cost"
)
LOOKING = [p for p in LESSONS if any(LOOKS_ELSEWHERE.search(source(c)) for c in code_cells(load(p)))]


def test_the_lessons_that_look_for_other_pythons_are_found():
    # The selection above is computed; a regex that matched nothing would make the test below check nothing.
    names = {p.stem[:2] for p in LOOKING}
    assert {"03", "04", "05", "06", "09", "12", "13"} <= names, names


@pytest.mark.skipif(environment.free_threaded_build(), reason="a free-threaded kernel is its own free-threaded Python")
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", LOOKING, ids=[p.stem for p in LOOKING])
def test_a_lesson_runs_as_stored_with_only_the_kernels_python(path, only_the_kernels_python):
    assert environment.find_free_threaded_python() is None
    if gil_profile.find_profiler_python() not in (None, sys.executable):
        pytest.skip("a CPython 3.15+ on PATH cannot be hidden from the profiler's finder")
    client = pytest.importorskip("nbclient").NotebookClient
    stored = nbformat.read(path, as_version=4)
    fresh = nbformat.read(path, as_version=4)
    client(fresh, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    differences = notebook_checks.output_differences(stored, fresh)
    assert not differences, f"{path.name} with no other Python found: {differences}"
