"""Assignments 07 and 08: right answers written differently from the solution pass their checks.

The wrong-answer kit (tests/wrong_answers/) shows that the checks reject mistakes; these show that they
do not reject a right answer for looking unlike the solution. Each answer replaces its task cell in the
solution, and every cell from there to the task's check must run without an error.
"""

from __future__ import annotations

import copy

import nbformat
import pytest
from notebook_checks import ROOT

NotebookClient = pytest.importorskip("nbclient").NotebookClient

TIMEOUT = 120

RIGHT: dict[str, dict[str, str]] = {
    "07_deadlocks": {
        # A global order by id(), with explicit acquire/release instead of `with`.
        "task2-answer": (
            "def transfer(a, b, amount):\n"
            "    first, second = (a, b) if id(a) < id(b) else (b, a)\n"
            "    first.lock.acquire()\n"
            "    second.lock.acquire()\n"
            "    try:\n"
            "        a.balance -= amount\n"
            "        b.balance += amount\n"
            "    finally:\n"
            "        second.lock.release()\n"
            "        first.lock.release()"
        ),
        # The version facts written as comparisons.
        "task3-answer": (
            'fork_warning_reason = "a"\n'
            "warns_311_thread = (3, 11) >= (3, 12)\n"
            "warns_313_thread = (3, 13) >= (3, 12)\n"
            "warns_313_alone = False"
        ),
        # id() never changes while an account exists, and two live accounts never share one.
        "task4-answer": (
            "def lock_key(account):\n"
            "    return id(account)\n\n\n"
            "def transfer_in_key_order(a, b, amount):\n"
            "    first, second = sorted((a, b), key=lock_key)\n"
            "    with first.lock, second.lock:\n"
            "        a.balance -= amount\n"
            "        b.balance += amount"
        ),
    },
    "08_processes": {
        # The same facts, built another way.
        "task1-answer": (
            "default_start_methods = dict.fromkeys(['macOS, Python 3.13', 'macOS, Python 3.14', 'Windows, Python 3.13'], 'spawn')\n"
            "default_start_methods['Linux, Python 3.13'] = 'fork'\n"
            "default_start_methods['Linux, Python 3.14'] = 'forkserver'\n"
            "notebook_function_runs = {method: method == 'fork' for method in ('spawn', 'forkserver', 'fork')}"
        ),
        # submit() and result(timeout=...) instead of map, the context passed positionally, and an explicit
        # shutdown instead of `with`.
        "task2-answer": (
            "from concurrent.futures import ProcessPoolExecutor\n\n"
            "def primes_in_pool(bounds, start_method, timeout):\n"
            "    pool = ProcessPoolExecutor(2, multiprocessing.get_context(start_method))\n"
            "    try:\n"
            "        futures = [pool.submit(primes, bound) for bound in bounds]\n"
            "        return [future.result(timeout=timeout) for future in futures]\n"
            "    finally:\n"
            "        pool.shutdown()"
        ),
        # Its own sweep, and the fastest measured chunksize that leaves every worker 4 chunks, read off it.
        "task3-answer": (
            "sweep = isolated(task_overhead, tasks=2000, size=50, workers=2, chunksizes=[1, 20, 40, 80, 160, 500], repeat=3,"
            " timeout=300)\n"
            "times = dict(zip(sweep.chunksizes, sweep.pooled))\n"
            "chunksize = min((c for c in times if 20 <= c and -(-2000 // c) >= 8), key=times.get)"
        ),
    },
}


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _is_check(cell) -> bool:
    return cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade", False)


@pytest.mark.parametrize("assignment", sorted(RIGHT))
def test_right_answers_written_differently_pass(assignment):
    path = ROOT / "solutions" / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if _grade_id(cell) in RIGHT[assignment]:
            cell.source = RIGHT[assignment][_grade_id(cell)]
    for grade_id in RIGHT[assignment]:
        assert any(_grade_id(c) == grade_id for c in nb.cells), f"{assignment} has no task {grade_id}"
    client = NotebookClient(
        copy.deepcopy(nb),
        timeout=TIMEOUT,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    ran = client.execute()
    failed = {
        _grade_id(c) or i: [o["ename"] for o in c.outputs if o["output_type"] == "error"]
        for i, c in enumerate(ran.cells)
        if c.cell_type == "code" and any(o["output_type"] == "error" for o in c.outputs)
    }
    assert not failed, f"{assignment}: a right answer written differently failed: {failed}"
    passed = sum("passed" in "".join(o.get("text", "") for o in c.outputs) for c in ran.cells if _is_check(c))
    assert passed == sum(_is_check(c) for c in ran.cells), f"{assignment}: not every check printed that it passed"
