"""Assignment 05: right answers written differently from the solution pass their checks, hidden tests included.

The wrong-answer kit (tests/wrong_answers/a05_race_conditions.py) shows that the checks reject mistakes;
these show that the spies (owned locks, slow writes, slow lookups) do not reject a right answer for
looking unlike the solution: acquire/release in try/finally, an RLock, a Condition, a lock at class
level, dict.setdefault, double-checked locking. Each set replaces the task cells of the solution, and
every cell must run without an error, every check printing that it passed. The last tests read what a
wrong try is told: Task 1 names no prediction on the first wrong try, Task 4 judges the learner's own
recorded rows at the precision the notebook prints and does not give the right value away.
"""

from __future__ import annotations

import copy

import nbformat
import pytest
from notebook_checks import ROOT

NotebookClient = pytest.importorskip("nbclient").NotebookClient

TIMEOUT = 120
PATH = ROOT / "solutions" / "05_race_conditions.ipynb"

RIGHT: dict[str, dict[str, str]] = {
    "try-finally-and-setdefault": {
        # The same facts, built another way.
        "task1-answer": (
            "loses_updates = dict.fromkeys(['plain', 'locked', 'append'], False)\n"
            "loses_updates.update(call=True, dict_pyhash=True)\n"
            "plain_without_gil = not False"
        ),
        # acquire/release in try/finally instead of `with`, the read in a local first.
        "task2-answer": (
            "class SafeCounter:\n"
            "    def __init__(self):\n"
            "        self.value = 0\n"
            "        self.guard = threading.Lock()\n\n"
            "    def increment(self):\n"
            "        self.guard.acquire()\n"
            "        try:\n"
            "            current = self.value\n"
            "            self.value = slow_add_one(current)\n"
            "        finally:\n"
            "            self.guard.release()"
        ),
        # One dict operation: it makes a bucket on every call and keeps the first one stored.
        "task3-answer": ("def file_item(groups, key, item):\n    groups.setdefault(key, make_bucket()).append(item)"),
        # Rounded to the decimal the evidence cell prints.
        "task4-answer": (
            'rows = isolated(measure_rates, ["locked", "confined"], threads=[4], iterations=200_000)\n'
            "by_variant = {row.variant: row for row in rows}\n"
            "lock_cost = round(by_variant['confined'].rate / by_variant['locked'].rate, 1)\n"
            "advice = 'lock_less'"
        ),
    },
    "rlock-and-double-checked": {
        # A re-entrant lock, taken twice by the same thread.
        "task2-answer": (
            "class SafeCounter:\n"
            "    def __init__(self):\n"
            "        self._lock = threading.RLock()\n"
            "        with self._lock:\n"
            "            self.value = 0\n\n"
            "    def increment(self):\n"
            "        with self._lock, self._lock:\n"
            "            self.value = slow_add_one(self.value)"
        ),
        # Look without the lock; if missing, look again under it before inserting.
        "task3-answer": (
            "filing_lock = threading.RLock()\n\n\n"
            "def file_item(groups, key, item):\n"
            "    if key not in groups:\n"
            "        with filing_lock:\n"
            "            if key not in groups:\n"
            "                groups[key] = make_bucket()\n"
            "    groups[key].append(item)"
        ),
    },
    "class-lock-and-condition": {
        # One lock shared by every counter, made when the class is: no spy watches it, the slow writes do.
        "task2-answer": (
            "class SafeCounter:\n"
            "    lock = threading.Lock()\n\n"
            "    def __init__(self):\n"
            "        self.value = 0\n\n"
            "    def increment(self):\n"
            "        with SafeCounter.lock:\n"
            "            self.value = slow_add_one(self.value)"
        ),
        # A Condition (an RLock inside) around check and insert, try/except for the fast path.
        "task3-answer": (
            "filing = threading.Condition()\n\n\n"
            "def file_item(groups, key, item):\n"
            "    with filing:\n"
            "        try:\n"
            "            bucket = groups[key]\n"
            "        except KeyError:\n"
            "            bucket = groups[key] = make_bucket()\n"
            "    bucket.append(item)"
        ),
    },
}


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _is_check(cell) -> bool:
    return cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade", False)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_right_answers_written_differently_pass(name):
    nb = nbformat.read(PATH, as_version=4)
    answers = RIGHT[name]
    assert set(answers) <= {_grade_id(c) for c in nb.cells}, f"the solution has no task {set(answers)}"
    for cell in nb.cells:
        if _grade_id(cell) in answers:
            cell.source = answers[_grade_id(cell)]
    client = NotebookClient(
        copy.deepcopy(nb),
        timeout=TIMEOUT,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(PATH.parent)}},
    )
    ran = client.execute()
    failed = {
        _grade_id(c) or i: [f"{o['ename']}: {o['evalue'][:300]}" for o in c.outputs if o["output_type"] == "error"]
        for i, c in enumerate(ran.cells)
        if c.cell_type == "code" and any(o["output_type"] == "error" for o in c.outputs)
    }
    assert not failed, f"{name}: a right answer written differently failed: {failed}"
    checks = [c for c in ran.cells if _is_check(c)]
    passed = sum("passed" in "".join(o.get("text", "") for o in c.outputs) for c in checks)
    assert passed == len(checks) == 4, f"{name}: not every check printed that it passed"


# --- feedback: what a wrong try is told ----------------------------------------------------


def _cells() -> dict[str, str]:
    nb = nbformat.read(PATH, as_version=4)
    return {_grade_id(c): c.source for c in nb.cells if c.cell_type == "code"}


def _check(namespace: dict, source: str) -> str:
    """Run a check cell in ``namespace``: its failure message, or "" if it passed."""
    from utils.checks import CheckFailed

    try:
        exec(compile(source, "check", "exec"), namespace)
    except CheckFailed as failure:
        return str(failure)
    return ""


def test_task1_names_no_prediction_on_the_first_wrong_try_and_names_them_on_a_second(capsys):
    cells = _cells()
    namespace: dict = {}
    exec(compile(cells["setup"], "setup", "exec"), namespace)
    right = {"plain": False, "call": True, "locked": False, "append": False, "dict_pyhash": True}
    namespace.update(loses_updates={**right, "plain": True}, plain_without_gil=True)
    first = _check(namespace, cells["task1-check"])
    assert first.startswith("1 of your 6 predictions") and "lesson 05, *" in first
    assert not any(f"{name}:" in first for name in [*right, "without"])  # which one is wrong stays untold
    assert _check(namespace, cells["task1-check"]) == first, "running the same answer again is not a new try"
    namespace.update(loses_updates={**right, "append": True}, plain_without_gil=False)
    second = _check(namespace, cells["task1-check"])
    assert "append:" in second and "without:" in second and "plain:" not in second
    namespace.update(loses_updates=right, plain_without_gil=True)
    assert _check(namespace, cells["task1-check"]) == "" and "✔ Task 1 passed" in capsys.readouterr().out


def test_task4_judges_the_learners_own_rows_at_the_printed_precision_and_gives_nothing_away():
    from utils.lessons.races import RateRow

    cells = _cells()
    namespace: dict = {}
    exec(compile(cells["setup"], "setup", "exec"), namespace)
    # A recorded run, as isolated(measure_rates, ...) returns it: confined counted 6.0 times as fast.
    rows = [RateRow("locked", 4, 200_000, (1e6, 1.1e6, 0.9e6), 0), RateRow("confined", 4, 200_000, (6e6,) * 3, 0)]
    namespace.update(rows=rows, lock_cost=1 / 6, advice="lock_less")
    upside_down = _check(namespace, cells["task4-check"])
    assert upside_down.startswith("`lock_cost` = 0.1666") and "6.0" not in upside_down  # not the right value
    for close in (6.0, 6.04, 5.96):
        namespace.update(lock_cost=close)
        assert _check(namespace, cells["task4-check"]) == "", close  # accepted at the printed precision
    namespace.update(lock_cost=6.06)
    assert _check(namespace, cells["task4-check"])
    namespace.update(lock_cost=6.0, advice="more_threads")
    more = _check(namespace, cells["task4-check"])
    assert "6.0 times" in more and "lock_less" not in more and "lesson 05, *" in more  # the learner's own run
    namespace.update(rows=rows[:1])
    assert "`rows` should be" in _check(namespace, cells["task4-check"])
