"""Assignments: exercises are generated from solutions, fail where they should, catch wrong answers,
and grade with nbgrader's own commands (full marks for solutions, zero for blank exercises)."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from notebook_checks import EXERCISES, ROOT, SOLUTIONS
from wrong_answers import WRONG_ANSWERS

nbgrader = pytest.importorskip("nbgrader", reason="nbgrader needs Python 3.11+; install requirements-dev.txt")

TIMEOUT = 120


def grade_info(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_task(cell) -> bool:
    return cell.cell_type == "code" and grade_info(cell).get("solution", False)


def is_check(cell) -> bool:
    return cell.cell_type == "code" and grade_info(cell).get("grade", False)


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def errors(cell) -> list[str]:
    return [o["ename"] for o in cell.get("outputs", []) if o["output_type"] == "error"]


def ids(paths):
    return [p.stem for p in paths]


def test_every_solution_has_an_exercise_and_they_are_in_sync():
    assert [p.name for p in EXERCISES] == [p.name for p in SOLUTIONS]
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_exercises.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_assignment_shape(path, assignment_stats):
    nb = nbformat.read(path, as_version=4)
    tasks = [c for c in nb.cells if is_task(c)]
    checks = [c for c in nb.cells if is_check(c)]
    assert 2 <= len(tasks) <= 4, f"{path.name}: an assignment has 2-4 tasks"
    assert len(checks) >= len(tasks), f"{path.name}: every task needs a check cell"
    for cell in tasks:
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
    for cell in checks:
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{path.name}: {grade_info(cell)['grade_id']} has no hidden tests"
        assert grade_info(cell).get("points", 0) > 0
    assignment_stats["tasks"] += len(tasks)


@pytest.mark.parametrize("path", EXERCISES, ids=ids(EXERCISES))
def test_exercise_fails_exactly_at_its_unsolved_tasks(path):
    """Run as shipped: every check fails, other errors only in task cells, nowhere else.

    (A task cell whose stub is a function body, `def f(): raise NotImplementedError()`, runs
    without error; the check that calls it fails.)
    """
    nb = execute(nbformat.read(path, as_version=4), path.parent)
    failing = {i for i, c in enumerate(nb.cells) if c.cell_type == "code" and errors(c)}
    checks = {i for i, c in enumerate(nb.cells) if is_check(c)}
    tasks = {i for i, c in enumerate(nb.cells) if is_task(c)}
    assert checks <= failing, f"{path.name}: checks {sorted(checks - failing)} pass without an answer"
    assert failing <= checks | tasks, f"{path.name}: cells {sorted(failing - checks - tasks)} fail but are not tasks"
    for i in failing:
        allowed = {"NotImplementedError", "CheckFailed", "AssertionError"}
        assert set(errors(nb.cells[i])) <= allowed, f"{path.name} cell {i} failed with {errors(nb.cells[i])}"


def _check_for(cells: list, task_index: int) -> int:
    for j in range(task_index + 1, len(cells)):
        if is_check(cells[j]):
            return j
        if is_task(cells[j]):
            break
    raise AssertionError(f"task cell {task_index} has no check cell after it")


def _wrong_answer_cases():
    for path in SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if is_task(cell):
                grade_id = grade_info(cell)["grade_id"]
                for n, source in enumerate(WRONG_ANSWERS.get(path.stem, {}).get(grade_id, [])):
                    yield pytest.param(path, i, source, id=f"{path.stem}-{grade_id}-{n}")


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_every_task_keeps_a_wrong_answer(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if is_task(cell):
            grade_id = grade_info(cell)["grade_id"]
            assert WRONG_ANSWERS.get(path.stem, {}).get(grade_id), (
                f"{path.name}: keep at least one plausible wrong answer for {grade_id} in tests/wrong_answers.py"
            )


@pytest.mark.parametrize("path, task_index, source", list(_wrong_answer_cases()))
def test_wrong_answer_is_caught(path, task_index, source, assignment_stats):
    """Put the wrong answer in place of the solution, in a fresh kernel: that task's check must fail."""
    nb = nbformat.read(path, as_version=4)
    check_index = _check_for(nb.cells, task_index)
    trial = copy.deepcopy(nb)
    trial.cells = nb.cells[:task_index] + [nbformat.v4.new_code_cell(source)] + nb.cells[task_index + 1:check_index + 1]
    execute(trial, path.parent)
    *before, check = [c for c in trial.cells if c.cell_type == "code"]
    assert not any(errors(c) for c in before[:-1]), f"{path.name}: a cell before the task failed"
    assert set(errors(check)) & {"CheckFailed", "AssertionError"}, (
        f"{path.name}: the check after task cell {task_index} did not fail with a check message for this wrong answer "
        f"(errors: {errors(check)}):\n{source}"
    )
    assignment_stats["wrong"] += 1


def _write_config(course: Path) -> None:
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'gil-course'\n"
        f"c.ExecutePreprocessor.timeout = {TIMEOUT}\n"
    )


def _nbgrader(course: Path, *args: str) -> None:
    # nbgrader runs the `alembic` command of its environment: put this environment's bin first on PATH.
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    for attempt in range(2):
        result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True,
                                text=True, timeout=600, env=env)
        # jupyter_client picks a free port, then the kernel binds it: on a busy machine another
        # process can take it in between ("Address already in use"). That is not a grading result.
        if result.returncode == 0 or "Address already in use" not in result.stderr:
            break
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.skipif(not SOLUTIONS, reason="no assignments yet")
def test_nbgrader_autograde_full_marks_for_solutions_zero_for_blank(tmp_path):
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    course.mkdir()
    _write_config(course)
    for path in SOLUTIONS:
        assignment = path.stem
        (course / "source" / assignment).mkdir(parents=True)
        shutil.copy(path, course / "source" / assignment / path.name)
        _nbgrader(course, "generate_assignment", assignment, "--force")
        released = course / "release" / assignment / path.name
        for student, notebook in (("solver", path), ("blank", released)):
            target = course / "submitted" / student / assignment
            target.mkdir(parents=True)
            shutil.copy(notebook, target / path.name)
        _nbgrader(course, "autograde", assignment, "--create", "--force")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for path in SOLUTIONS:
            solver = gradebook.find_submission(path.stem, "solver")
            blank = gradebook.find_submission(path.stem, "blank")
            assert solver.max_score > 0
            assert solver.score == solver.max_score, f"{path.stem}: the solution scored {solver.score}/{solver.max_score}"
            assert blank.score == 0, f"{path.stem}: the blank exercise scored {blank.score}"
