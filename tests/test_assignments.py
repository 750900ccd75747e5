"""Assignments: exercises are generated from solutions, fail where they should, catch wrong answers,
and grade with nbgrader's own commands (full marks for a solution, zero for every blank exercise)."""

from __future__ import annotations

import ast
import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import notebook_checks
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


def errors(cell) -> list[str]:
    return [o["ename"] for o in cell.get("outputs", []) if o["output_type"] == "error"]


def ids(paths):
    return [p.stem for p in paths]


def test_every_solution_has_an_exercise_and_they_are_in_sync():
    assert [p.name for p in EXERCISES] == [p.name for p in SOLUTIONS]
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_exercises.py"), "--check"], capture_output=True, text=True
    )
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
        assert "### BEGIN HIDDEN TESTS" in cell.source, (
            f"{path.name}: {grade_info(cell)['grade_id']} has no hidden tests"
        )
        assert grade_info(cell).get("points", 0) > 0
    assignment_stats["tasks"] += len(tasks)


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
        for _i, cell in enumerate(nb.cells):
            if is_task(cell):
                grade_id = grade_info(cell)["grade_id"]
                for n, _ in enumerate(WRONG_ANSWERS.get(path.stem, {}).get(grade_id, [])):
                    yield pytest.param(path, grade_id, n, id=f"{path.stem}-{grade_id}-{n}")


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_every_task_keeps_a_wrong_answer(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if is_task(cell):
            grade_id = grade_info(cell)["grade_id"]
            assert WRONG_ANSWERS.get(path.stem, {}).get(grade_id), (
                f"{path.name}: keep at least one plausible wrong answer for {grade_id} in tests/wrong_answers.py"
            )


def bound_names(source: str) -> set[str]:
    """The names a cell binds in the notebook's namespace: assignments, imports, defs, loop and with targets.

    Function and class bodies, lambdas and comprehensions bind their own local names, so they are
    not entered.
    """
    names: set[str] = set()

    class Binder(ast.NodeVisitor):
        def visit_Name(self, node: ast.Name) -> None:
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)

        def visit_FunctionDef(self, node) -> None:
            names.add(node.name)

        visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

        def visit_Import(self, node) -> None:
            for alias in node.names:
                if alias.name == "*":
                    raise ValueError(f"cannot tell which names `from ... import *` binds:\n{source}")
                names.add(alias.asname or alias.name.split(".")[0])

        visit_ImportFrom = visit_Import

        def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
            if node.name:
                names.add(node.name)
            self.generic_visit(node)

        def skip(self, node) -> None:
            pass

        visit_Lambda = visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = skip

    Binder().visit(ast.parse(source))
    return names


class WrongAnswerRun:
    """Every wrong answer of one assignment, tried in one kernel (a kernel per answer costs ~2 s each).

    The solution runs top to bottom. At each task, after the solution's own check has passed, each
    wrong answer replaces the task cell and the cells up to the check run; before that, the values
    of the names those cells bind are saved, and afterwards put back (names that did not exist are
    removed), so the next wrong answer meets the names the solution left, not those of the previous
    wrong answer. Only those names are held: a copy of the whole namespace would add a reference to
    every object in it, and a check that counts references (assignment 02) would then fail a right
    answer. After the task's last wrong answer, the solution's check runs once more and must still
    pass: a wrong answer that leaves other state behind (an object changed in place, the garbage
    collector turned off) is reported, not silently blamed on the next one.
    """

    SAVE = "__wrong_answers_saved__ = ({{name: globals()[name] for name in {names!r} if name in globals()}}, {names!r})"
    RESTORE = (
        "(lambda saved, names: ([globals().pop(name, None) for name in names], globals().update(saved)))"
        "(*globals().pop('__wrong_answers_saved__'))"
    )

    def __init__(self, path: Path):
        self.path = path
        self.nb = nbformat.read(path, as_version=4)
        # nbclient writes every executed cell back into its notebook at that index: give it a copy.
        self.client = NotebookClient(
            copy.deepcopy(self.nb),
            timeout=TIMEOUT,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(path.parent)}},
        )
        self.outcomes: dict[tuple[str, int], dict] = {}

    def _run(self, cells: list, first_index: int) -> list:
        ran = [copy.deepcopy(c) for c in cells]
        for offset, cell in enumerate(ran):
            if cell.cell_type == "code":
                self.client.execute_cell(cell, first_index + offset)
        return ran

    def _failures(self, ran: list, first_index: int) -> dict[int, list[str]]:
        return {first_index + k: errors(c) for k, c in enumerate(ran) if c.cell_type == "code" and errors(c)}

    def _harness(self, source: str) -> None:
        cell = nbformat.v4.new_code_cell(source)
        self.client.execute_cell(cell, 0, store_history=False)
        assert not errors(cell), f"{self.path.name}: the test harness failed: {cell.outputs}"

    def run(self) -> WrongAnswerRun:
        cells, answers = self.nb.cells, WRONG_ANSWERS.get(self.path.stem, {})
        with self.client.setup_kernel():
            done = 0
            for task in [i for i, c in enumerate(cells) if is_task(c)]:
                check = _check_for(cells, task)
                solution_run = self._failures(self._run(cells[done : check + 1], done), done)
                assert not solution_run, f"{self.path.name}: the solution fails at cells {solution_run}"
                done = check + 1
                grade_id = grade_info(cells[task])["grade_id"]
                tried = []
                for n, source in enumerate(answers.get(grade_id, [])):
                    trial = [nbformat.v4.new_code_cell(source)] + cells[task + 1 : check + 1]
                    names = sorted(set().union(*(bound_names(c.source) for c in trial if c.cell_type == "code")))
                    self._harness(self.SAVE.format(names=names))
                    tried.append(
                        {"source": source, "failed": self._failures(self._run(trial, task), task), "check": check}
                    )
                    self._harness(self.RESTORE)
                    self.outcomes[grade_id, n] = tried[-1]
                after = self._failures(self._run(cells[check : check + 1], check), check)
                for outcome in tried:
                    outcome["solution_after"] = after
        return self


_RUNS: dict[str, WrongAnswerRun | BaseException] = {}


@pytest.mark.parametrize("path, grade_id, n", list(_wrong_answer_cases()))
def test_wrong_answer_is_caught(path, grade_id, n, assignment_stats):
    """The wrong answer in place of the solution: that task's check must fail with a check message."""
    if path.stem not in _RUNS:
        try:
            _RUNS[path.stem] = WrongAnswerRun(path).run()
        except Exception as exc:  # report it once per answer, without running the assignment again
            _RUNS[path.stem] = exc
    run = _RUNS[path.stem]
    if isinstance(run, BaseException):
        raise AssertionError(f"{path.name}: the wrong-answer run stopped: {run!r}") from run
    outcome = run.outcomes[grade_id, n]
    failed, check = outcome["failed"], outcome["check"]
    assert set(failed.get(check, [])) & {"CheckFailed", "AssertionError"}, (
        f"{path.name}: the check of {grade_id} did not fail with a check message for this wrong answer "
        f"(cells that failed: {failed}):\n{outcome['source']}"
    )
    assert not outcome["solution_after"], (
        f"{path.name}: after the wrong answers of {grade_id}, the solution's check failed "
        f"({outcome['solution_after']}): one of them leaves state behind, which could also make a later wrong "
        "answer look caught. Make the check start from a known state."
    )
    assignment_stats["wrong"] += 1


def _write_config(course: Path) -> None:
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'gil-course'\n"
        f"c.ExecutePreprocessor.timeout = {TIMEOUT}\n"
    )


def _nbgrader(course: Path, *args: str, python: str = sys.executable) -> None:
    # nbgrader runs the `alembic` command of its environment: put that environment's bin first on PATH.
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(python).parent), os.environ.get("PATH", "")]))
    for _attempt in range(2):
        result = subprocess.run(
            [python, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True, timeout=900, env=env
        )
        # jupyter_client picks a free port, then the kernel binds it: on a busy machine another
        # process can take it in between ("Address already in use"). That is not a grading result.
        if result.returncode == 0 or "Address already in use" not in result.stderr:
            break
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def points_of(nb) -> tuple[float, float]:
    """(all points, autograded points) of a notebook: manual cells (markdown answers, tasks) need an instructor."""
    graded = [c for c in nb.cells if grade_info(c).get("grade") or grade_info(c).get("task")]
    total = sum(grade_info(c).get("points", 0) for c in graded)
    auto = sum(grade_info(c).get("points", 0) for c in graded if is_check(c))
    return total, auto


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory) -> Path:
    """An nbgrader course with every assignment, graded once.

    Student "blank" submits every exercise exactly as shipped in exercises/; student "solver"
    submits every solution. One `generate_assignment` and one `autograde` for all assignments:
    nbgrader's start-up costs seconds per call, and autograde runs every submission in a fresh
    kernel anyway.
    """
    course = tmp_path_factory.mktemp("course")
    _write_config(course)
    for solution, exercise in zip(SOLUTIONS, EXERCISES, strict=True):
        assignment = solution.stem
        for folder, notebook in [("source", solution), ("submitted/blank", exercise), ("submitted/solver", solution)]:
            (course / folder / assignment).mkdir(parents=True)
            shutil.copy(notebook, course / folder / assignment / solution.name)
    _nbgrader(course, "generate_assignment", "*", "--force")
    _nbgrader(course, "autograde", "*", "--create", "--force")
    return course


# The session fixture grades every submission (two per assignment) on first use: more than the default 300 s
# test timeout on a loaded 2-core machine.
@pytest.mark.timeout(1200)
@pytest.mark.skipif(not SOLUTIONS, reason="no assignments yet")
def test_nbgrader_autograde_full_marks_for_every_solution_zero_for_every_blank(graded_course):
    from nbgrader.api import Gradebook

    for solution, exercise in zip(SOLUTIONS, EXERCISES, strict=True):
        released = graded_course / "release" / solution.stem / solution.name
        assert nbformat.read(released, as_version=4).cells == nbformat.read(exercise, as_version=4).cells, (
            f"{solution.stem}: nbgrader's generate_assignment releases something else than exercises/{exercise.name}"
        )
    with Gradebook(f"sqlite:///{graded_course / 'gradebook.db'}") as gradebook:
        for path in SOLUTIONS:
            total, auto = points_of(nbformat.read(path, as_version=4))
            blank = gradebook.find_submission(path.stem, "blank")
            assert blank.max_score == total and auto > 0, (
                f"{path.stem}: nbgrader counts {blank.max_score} points, the cells {total}"
            )
            assert blank.score == 0, f"{path.stem}: the blank exercise scored {blank.score}"
            solver = gradebook.find_submission(path.stem, "solver")
            assert solver.score == auto, (
                f"{path.stem}: the solution scored {solver.score} of its {auto} autograded points"
            )
            assert solver.needs_manual_grade == (total > auto), f"{path.stem}: manual grading flag is wrong"


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_solution_outputs_are_those_of_a_fresh_run(path, graded_course):
    """What strict nbval checks for lessons, checked for solutions on the run autograde has just made of them
    (student "solver", a fresh kernel, top to bottom): every deterministic output is the stored one."""
    fresh = nbformat.read(graded_course / "autograded" / "solver" / path.stem / path.name, as_version=4)
    stored = nbformat.read(path, as_version=4)
    assert len(fresh.cells) == len(stored.cells), f"{path.name}: autograde changed the cells"
    differences = notebook_checks.output_differences(stored, fresh)
    assert not differences, (
        f"{path.name}: outputs of a fresh run differ from the stored ones (re-run `make execute NB=solutions/"
        f"{path.name}` if the change is intended): {differences}"
    )


def _failing_line(cell) -> int:
    """The line of the cell where its first error was raised (IPython's "Cell In[n], line N")."""
    output = next(o for o in cell.outputs if o["output_type"] == "error")
    text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(output["traceback"]))
    found = re.search(r"Cell In\[\d+\], line (\d+)", text)
    assert found, f"cannot find the failing line in this traceback:\n{text}"
    return int(found.group(1))


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("path", EXERCISES, ids=ids(EXERCISES))
def test_exercise_fails_exactly_at_its_unsolved_tasks(path, graded_course):
    """The exercise as shipped, run top to bottom (by autograde, as the "blank" student): every check
    fails in the part the learner sees, other errors only in task cells, nowhere else.

    (A task cell whose stub is a function body, `def f(): raise NotImplementedError()`, runs
    without error; the check that calls it fails.) Autograde puts the hidden tests back into the
    checks, so each check must fail before its hidden tests begin.
    """
    nb = nbformat.read(graded_course / "autograded" / "blank" / path.stem / path.name, as_version=4)
    failing = {i for i, c in enumerate(nb.cells) if c.cell_type == "code" and errors(c)}
    checks = {i for i, c in enumerate(nb.cells) if is_check(c)}
    tasks = {i for i, c in enumerate(nb.cells) if is_task(c)}
    assert checks <= failing, f"{path.name}: checks {sorted(checks - failing)} pass without an answer"
    assert failing <= checks | tasks, f"{path.name}: cells {sorted(failing - checks - tasks)} fail but are not tasks"
    for i in failing:
        allowed = {"NotImplementedError", "CheckFailed", "AssertionError"}
        assert set(errors(nb.cells[i])) <= allowed, f"{path.name} cell {i} failed with {errors(nb.cells[i])}"
    for i in checks:
        lines = nb.cells[i].source.splitlines()
        hidden = next(n for n, line in enumerate(lines, 1) if "### BEGIN HIDDEN TESTS" in line)
        assert _failing_line(nb.cells[i]) < hidden, (
            f"{path.name} cell {i}: without an answer, only the hidden tests fail; the visible check passes, "
            "so the learner gets no feedback"
        )


def test_bound_names_are_the_names_a_cell_binds_in_the_namespace():
    source = (
        "import os.path, numpy as np\nfrom math import tau as t\nx = y[0] = 1\na, (b, *c) = 1, (2, 3)\n"
        "for i in range(2):\n    total += i\nwith open(p) as f:\n    pass\n"
        "def g(arg):\n    inner = 1\nclass K:\n    attr = 2\nsquares = [k * k for k in range(3)]\n"
        "h = lambda v: v\ntry:\n    pass\nexcept ValueError as e:\n    del x\n"
    )
    assert bound_names(source) == {
        "os",
        "np",
        "t",
        "x",
        "a",
        "b",
        "c",
        "i",
        "total",
        "f",
        "g",
        "K",
        "squares",
        "h",
        "e",
    }
    with pytest.raises(ValueError, match="import"):
        bound_names("from math import *")


# --- One learner's notebooks graded under two Pythons (issue 16: a prediction's truth is fixed by its text) ---

PREDICTION_KINDS = ("(prediction", "(multiple choice", "(choice")


def prediction_tasks(nb) -> list[str]:
    """grade_ids of the task cells under a "## Task N (prediction|multiple choice|choice): ..." heading."""
    found, heading = [], ""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## Task"):
            heading = cell.source.splitlines()[0]
        elif is_task(cell) and any(kind in heading for kind in PREDICTION_KINDS):
            found.append(grade_info(cell)["grade_id"])
    return found


def learner_notebook(path: Path):
    """A learner's submission: the solution with the first kept wrong answer in every prediction task."""
    nb = nbformat.read(path, as_version=4)
    wrong = WRONG_ANSWERS.get(path.stem, {})
    for cell in nb.cells:
        if is_task(cell) and grade_info(cell)["grade_id"] in prediction_tasks(nb):
            cell.source = wrong[grade_info(cell)["grade_id"]][0]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def grade_learner(python: str, course: Path) -> dict[tuple[str, str], float]:
    """{(assignment, grade_id): score} of the "learner" student, autograded by ``python``'s nbgrader."""
    course.mkdir(parents=True)
    _write_config(course)
    for solution in SOLUTIONS:
        (course / "source" / solution.stem).mkdir(parents=True)
        shutil.copy(solution, course / "source" / solution.stem / solution.name)
        (course / "submitted" / "learner" / solution.stem).mkdir(parents=True)
        nbformat.write(learner_notebook(solution), course / "submitted" / "learner" / solution.stem / solution.name)
    _nbgrader(course, "generate_assignment", "*", "--force", python=python)
    _nbgrader(course, "autograde", "*", "--create", "--force", python=python)
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for solution in SOLUTIONS:
            notebook = gradebook.find_submission_notebook(solution.stem, solution.stem, "learner")
            scores.update({(solution.stem, grade.name): grade.score for grade in notebook.grades})
    return scores


def test_learner_notebook_has_a_wrong_prediction_in_every_assignment_that_has_predictions():
    """The learner of the two-Python test answers every prediction task with a kept wrong answer (so a
    prediction graded from the grader's Python would score differently) and everything else right."""
    with_predictions = [p for p in SOLUTIONS if prediction_tasks(nbformat.read(p, as_version=4))]
    assert len(with_predictions) >= len(SOLUTIONS) // 2, "most assignments have a prediction task"
    for path in with_predictions:
        nb = learner_notebook(path)
        for grade_id in prediction_tasks(nbformat.read(path, as_version=4)):
            cell = next(c for c in nb.cells if is_task(c) and grade_info(c)["grade_id"] == grade_id)
            assert "### BEGIN SOLUTION" not in cell.source, f"{path.stem} {grade_id}: the wrong answer is in place"


SECOND_GRADER = os.environ.get("GIL_COURSE_SECOND_GRADER", "")


@pytest.mark.timeout(2400)
@pytest.mark.skipif(
    not SECOND_GRADER,
    reason="needs GIL_COURSE_SECOND_GRADER: a second Python with nbgrader (make matrix sets it in the free-threaded leg)",
)
def test_a_learner_notebook_scores_the_same_under_two_pythons(tmp_path):
    """Every check cell of one learner's notebooks gets the same score from this Python and from another one
    (in the matrix: free-threaded 3.13t with the GIL off, and make test's standard 3.11): every prediction names
    the Python it is about, and every measurement is judged against the learner's own recorded run."""
    probe = [sys.executable, SECOND_GRADER]
    builds = [
        subprocess.run(
            [
                python,
                "-c",
                "import sys, sysconfig; print(sys.version_info[:2], sysconfig.get_config_var('Py_GIL_DISABLED'))",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        for python in probe
    ]
    assert builds[0] != builds[1], (
        f"the two graders are the same Python and build ({builds[0].strip()}): nothing compared"
    )
    here, there = grade_learner(sys.executable, tmp_path / "here"), grade_learner(SECOND_GRADER, tmp_path / "there")
    assert here.keys() == there.keys()
    differ = {key: (here[key], there[key]) for key in here if here[key] != there[key]}
    assert not differ, (
        f"scores that depend on the grader's Python ({builds[0].strip()} vs {builds[1].strip()}): {differ}"
    )
    lost = {key for key, score in here.items() if score == 0}
    assert lost and len(lost) < len(here), "the learner lost the prediction points and kept the others"
