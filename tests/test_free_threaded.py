"""utils.lessons.free_threaded: scaling by build, the GIL as a switch, single-thread cost, GIL-re-enabling imports."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import pytest

from utils.engine import environment
from utils.engine.isolation import IsolatedRunError, isolated
from utils.lessons import free_threaded as ft

SMALL = 50_000
FT_PYTHON = environment.find_free_threaded_python()
needs_ft = pytest.mark.skipif(FT_PYTHON is None, reason="no free-threaded interpreter found")


def test_gil_environment_sets_or_removes_python_gil_for_the_worker_only(monkeypatch):
    assert ft.gil_environment(0) == {"PYTHON_GIL": "0"}
    assert ft.gil_environment(None) == {"PYTHON_GIL": None}
    # PYTHON_GIL=1 is accepted by every build (a standard 3.13+ build refuses 0 at start-up).
    monkeypatch.delenv("PYTHON_GIL", raising=False)
    assert isolated(os.getenv, "PYTHON_GIL", env=ft.gil_environment(1), timeout=60) == "1"
    assert "PYTHON_GIL" not in os.environ
    monkeypatch.setenv("PYTHON_GIL", "1")
    assert isolated(os.getenv, "PYTHON_GIL", env=ft.gil_environment(None), timeout=60) is None
    assert os.environ["PYTHON_GIL"] == "1"  # the kernel's own environment is untouched


@pytest.mark.parametrize("bad", [2, -1, True, "1"])
def test_gil_environment_rejects_bad_settings(bad):
    with pytest.raises(ValueError, match="gil must be"):
        ft.gil_environment(bad)


def test_scaling_here_runs_sequential_then_two_to_n_threads():
    scaling = ft.scaling_here("countdown", 3, SMALL, repeat=1)
    assert scaling.sequential.executor == "sequential" and scaling.sequential.tasks == 3
    assert [r.workers for r in scaling.threads] == [2, 3]
    assert [r.tasks for r in scaling.threads] == [2, 3]
    assert all(s > 0 and math.isfinite(s) for s in scaling.speedups)
    assert scaling.best in scaling.threads
    assert scaling.describe().count("threads: speedup") == 2


def test_speedup_counts_the_tasks_each_run_did():
    scaling = ft.scaling_here("countdown", 2, SMALL, repeat=1)
    run = scaling.threads[0]
    run.wall_times = [scaling.sequential.wall]  # two tasks in the time the sequential run took for two
    assert scaling.speedup(run) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "args, error",
    [
        (("sleep", 2, SMALL), ValueError),
        (("countdown", 1, SMALL), ValueError),
        (("countdown", 2, 0), ValueError),
        (("nope", 2, SMALL), ValueError),
        (("countdown", "2", SMALL), TypeError),
    ],
)
def test_scaling_here_rejects_bad_input(args, error):
    with pytest.raises(error):
        ft.scaling_here(*args)


def test_measure_scaling_in_a_fresh_process_on_this_python():
    scaling = ft.measure_scaling(max_workers=2, size=SMALL, repeat=1)
    assert scaling.gil_setting == ft.GIL_SETTINGS[None]
    assert scaling.sequential.python == ".".join(map(str, sys.version_info[:3]))
    assert scaling.label.startswith(scaling.python)
    with pytest.raises(TypeError, match="python must be"):
        ft.measure_scaling(python=3)


@pytest.mark.skipif(
    environment.free_threaded_build() or sys.version_info < (3, 13),
    reason="a standard 3.13+ build refuses PYTHON_GIL=0",
)
def test_a_standard_build_refuses_to_switch_the_gil_off():
    with pytest.raises(IsolatedRunError):
        ft.measure_scaling(gil=0, max_workers=2, size=SMALL, repeat=1)


@needs_ft
@pytest.mark.parametrize("gil", [0, 1])
def test_the_gil_is_a_switch_on_a_free_threaded_build(gil):
    scaling = ft.measure_scaling(FT_PYTHON, gil=gil, max_workers=2, size=SMALL, repeat=1)
    assert scaling.sequential.free_threaded
    assert all(r.gil_enabled == bool(gil) for r in [*scaling.threads, scaling.sequential])
    assert f"PYTHON_GIL={gil}" in scaling.label and ("GIL on" in scaling.label) == bool(gil)


def test_plot_scaling_by_build_draws_one_line_per_series():
    scaling = ft.scaling_here("countdown", 2, SMALL, repeat=1)
    fig = ft.plot_scaling_by_build([scaling, scaling], show=False)
    left = fig.axes[0]
    assert len([line for line in left.lines if line.get_label() == scaling.label]) == 2
    for bad, error in ((scaling, TypeError), ([], TypeError), ([1], TypeError)):
        with pytest.raises(error):
            ft.plot_scaling_by_build(bad, show=False)


@pytest.mark.parametrize("bad", ["3", "python3.13", 3.13, "3.13t"])
def test_standard_python_rejects_bad_versions(bad):
    with pytest.raises(ValueError, match="minor"):
        ft.standard_python(bad)


def test_standard_python_finds_a_standard_build_of_that_version():
    minor = "{}.{}".format(*sys.version_info[:2])
    path = ft.standard_python(minor)
    if path is None:
        pytest.skip(f"no python{minor} on PATH, in $PYTHONS_DIR/bin or pyenv")
    found = environment.probe_python(path)
    assert found is not None and not found.free_threaded and found.version.startswith(minor + ".")


def test_single_thread_cost_needs_a_free_threaded_python():
    with pytest.raises(ValueError, match="python must name"):
        ft.single_thread_cost(None)
    if not environment.free_threaded_build():
        with pytest.raises(ValueError, match="not a free-threaded"):
            ft.single_thread_cost(sys.executable)


@needs_ft
def test_single_thread_cost_measures_or_says_why_not():
    cost = ft.single_thread_cost(FT_PYTHON, size=SMALL, rounds=2)
    if cost.measured:
        assert len(cost.free_threaded_walls) == len(cost.standard_walls) == 2
        assert math.isfinite(cost.overhead) and "alternating rounds" in cost.describe()
        assert cost.standard.split(".")[:2] == cost.free_threaded.split(".")[:2]
    else:
        assert math.isnan(cost.overhead) and "not measured" in cost.describe() and cost.reason


def test_gil_after_imports_in_this_process():
    report = ft.gil_after_imports(["json", "no_such_module_here"])
    assert report.modules == ["json", "no_such_module_here"] and len(report.gil_after) == 2
    assert "no_such_module_here" in report.errors and "json" not in report.errors and not report.installed
    here = environment.where_it_ran()
    assert (report.python, report.free_threaded) == (here.python, here.free_threaded), "recorded by where_it_ran"
    assert report.gil_at_start == report.gil_enabled == environment.gil_enabled()
    assert not report.reenabled and "could not be imported" in report.describe()
    alone = ft.gil_after_imports(["json"])
    assert alone.module == "json" and alone.installed and "before `import json`" in alone.describe()


@pytest.mark.parametrize(
    "modules, error",
    [("json", TypeError), (None, TypeError), ([], ValueError), (["no such"], ValueError), ([3], ValueError)],
)
def test_gil_after_imports_rejects_bad_module_lists(modules, error):
    with pytest.raises(error):
        ft.gil_after_imports(modules)


@pytest.mark.parametrize(
    "after, culprit",
    [
        ([False, True, True], "ext"),
        ([False, False, False], None),
        ([True, True, True], "json"),
        ([False, True, False], "ext"),
    ],
)
def test_culprit_is_the_first_import_that_switched_the_gil_on(after, culprit):
    report = ft.ImportReport(["json", "ext", "other"], "3.13.5", True, False, after)
    assert report.culprit == culprit and report.reenabled == (culprit is not None)
    assert report.gil_enabled == after[-1]
    if culprit:
        assert f"before `import {culprit}`, on after" in report.describe()


def test_a_gil_on_at_start_has_no_culprit():
    assert ft.ImportReport(["json", "ext"], "3.13.5", True, True, [True, True]).culprit is None


@needs_ft
def test_gil_after_imports_on_a_free_threaded_interpreter():
    report = isolated(ft.gil_after_imports, ["json", "hashlib", "socket", "utils.lessons.capstone"], python=FT_PYTHON)
    assert report.free_threaded and not report.gil_at_start
    assert report.gil_after == [False] * 4 and report.culprit is None, report
    assert report.describe().count("off after") == 4


def test_find_gil_reenabling_input_and_no_interpreter():
    assert ft.find_gil_reenabling(["json"], pythons=[]) == []
    with pytest.raises(TypeError):
        ft.find_gil_reenabling("json")


@needs_ft
def test_find_gil_reenabling_reports_each_module_once():
    reports = ft.find_gil_reenabling(["json", "no_such_module_here"])
    assert [r.module for r in reports] == ["json", "no_such_module_here"]
    json_report, missing = reports
    assert json_report.free_threaded and json_report.installed and not json_report.reenabled
    assert not missing.installed
    for report in ft.find_gil_reenabling(["_cffi_backend"]):
        if report.reenabled:
            assert any("global interpreter lock" in w for w in report.warnings)


def test_free_threaded_candidates_are_free_threaded_and_unique():
    paths = ft.free_threaded_candidates()
    assert len(paths) == len(set(map(os.path.abspath, paths)))
    for path in paths:
        found = environment.probe_python(path)
        assert found is not None and found.free_threaded


# --- -X gil and PYTHON_GIL (moved from lesson 11) ---------------------------------------------


@pytest.mark.parametrize("via", ["option", "env"])
def test_gil_option_does_what_the_docs_say(via):
    on, off = ft.gil_option_probe(1, via=via), ft.gil_option_probe(0, via=via)
    if sys.version_info < (3, 13):  # an unknown -X option is ignored; PYTHON_GIL means nothing
        assert on.started and off.started and on.gil_enabled is None and off.gil_enabled is None
    elif environment.free_threaded_build():
        assert on.started and on.gil_enabled is True
        assert off.started and off.gil_enabled is False
    else:
        assert on.started and on.gil_enabled is True
        assert not off.started and "not supported by this build" in off.error
        assert "refused" in off.describe()


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"gil": 2}, ValueError),
        ({"gil": True}, ValueError),
        ({"gil": 0, "via": "flag"}, ValueError),
        ({"gil": 0, "python": "/no/such/python"}, ValueError),
        ({"gil": 0, "timeout": 0}, ValueError),
    ],
)
def test_gil_probe_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        ft.gil_option_probe(**kwargs)


@needs_ft
def test_gil_option_on_a_free_threaded_python_switches_the_gil():
    for via in ("option", "env"):
        on, off = ft.gil_option_probe(1, via=via, python=FT_PYTHON), ft.gil_option_probe(0, via=via, python=FT_PYTHON)
        assert on.started and on.gil_enabled is True and "GIL on" in on.describe()
        assert off.started and off.gil_enabled is False and "GIL off" in off.describe()


# --- assignment 12: graded on what the learner's run recorded ---------------------------------

SOLUTION_12 = Path(__file__).resolve().parent.parent / "solutions" / "12_free_threaded.ipynb"

#: Right answers written unlike the solution (they must pass, as the wrong ones in tests/wrong_answers must fail).
RIGHT_12 = {
    # The GIL forced on for the baseline on either build, only 2 workers, the 2-thread run looked up, rounded by format.
    "task1-answer": (
        "base = ftl.kernel_standard_python()\n"
        "on_standard = ftl.measure_scaling(base or ft, gil=1)\n"
        "on_ft = ftl.measure_scaling(ft, max_workers=2) if ft is not None else None\n"
        "two = next((r for r in on_ft.threads if r.workers == 2), None) if on_ft else None\n"
        "ft_speedup = float(f'{on_ft.speedup(two):.2f}') if two else None\n"
        "why = 'b'"
    ),
    # acquire/release with try/finally, an explicit read-add-write, 2 threads, both runs from one loop.
    "task2-answer": (
        "def increment(counter):\n"
        "    counter.lock.acquire()\n"
        "    try:\n"
        "        counter.value = counter.value + 1\n"
        "    finally:\n"
        "        counter.lock.release()\n\n\n"
        "target = ft if ft is not None else sys.executable\n"
        "plain, locked = (\n"
        "    isolated(races.racy_counter, variant=v, threads=2, iterations=n, python=target)\n"
        "    for v, n in (('plain', 300_000), ('locked', 60_000))\n"
        ")\n"
        "lock_cost = round(plain.rate / locked.rate, 2)"
    ),
    # The culprit read off the state after the import rather than the `reenabled` summary.
    "task3-answer": (
        "reports = ftl.find_gil_reenabling(list(modules))\n"
        "culprit = next((r.module for r in reports if r.gil_enabled and not r.gil_at_start), None)"
    ),
}


def _run_assignment_12(answers: dict[str, str]) -> dict[str, str]:
    """Run the solution with ``answers`` in place of its task cells: {grade_id: printed text}; fails on any error."""
    nbformat = pytest.importorskip("nbformat")
    notebook_client = pytest.importorskip("nbclient").NotebookClient
    nb = nbformat.read(SOLUTION_12, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.source = answers.get(grade_id, cell.source)
    client = notebook_client(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(SOLUTION_12.parent)}}
    )
    ran = client.execute()
    return {
        c.metadata["nbgrader"]["grade_id"]: "".join(o.get("text", "") for o in c.outputs)
        for c in ran.cells
        if c.cell_type == "code"
    }


def test_assignment_12_right_answers_written_differently_pass():
    printed = _run_assignment_12(RIGHT_12)
    for task in (1, 2, 3):
        assert f"✔ Task {task} passed" in printed[f"task{task}-check"], printed


@pytest.mark.skipif(environment.free_threaded_build(), reason="a free-threaded kernel is its own free-threaded Python")
def test_assignment_12_grades_a_run_that_found_no_free_threaded_interpreter(only_the_kernels_python):
    # Every free-threaded interpreter the kernel could find is hidden (tests/conftest.py): the learner's run
    # records ft = None, and every check accepts the honest "not measurable here" answers.
    assert environment.find_free_threaded_python() is None
    printed = _run_assignment_12({})
    assert "none found" in printed["setup"]
    for task in (1, 2, 3):
        assert f"✔ Task {task} passed" in printed[f"task{task}-check"], printed
