"""Assignment 11: right answers written differently pass, and no check reads the grading machine's Python.

Each right answer below, with its task's check cell after it, runs in the kernel of the executed solution
(after all of its cells), so several answers to one task are tried in one kernel. Task 1 is checked with
a stand-in pool (utils.lessons.beyond.PoolSpy) and task 2 names its Pythons: the grade is the same on
every Python, which the last test makes sure of by reading the check cells.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from notebook_checks import ROOT

NotebookClient = pytest.importorskip("nbclient").NotebookClient

PATH = ROOT / "solutions" / "11_beyond_the_gil.ipynb"
_POOL = "def run_in_interpreters(pool_class, func, items, workers, timeout):\n"

RIGHT: dict[str, list[str]] = {
    "task1-answer": [
        # map with a timeout, the pool's size passed by position.
        _POOL + "    with pool_class(workers) as pool:\n        return list(pool.map(func, items, timeout=timeout))",
        # submit and an explicit shutdown in `finally`, results collected in a loop.
        _POOL + "    pool = pool_class(max_workers=workers)\n    try:\n"
        "        futures = [pool.submit(func, item) for item in items]\n        results = []\n"
        "        for future in futures:\n            results.append(future.result(timeout))\n        return results\n"
        "    finally:\n        pool.shutdown(wait=True)",
        # wait() for all of them, and raise TimeoutError itself if some are not done.
        _POOL + "    with pool_class(max_workers=workers) as pool:\n"
        "        futures = [pool.submit(func, item) for item in items]\n"
        "        done, not_done = concurrent.futures.wait(futures, timeout=timeout)\n"
        "        if not_done:\n            raise TimeoutError(f'{len(not_done)} tasks still running')\n"
        "        return [future.result() for future in futures]",
        # as_completed for progress, then the results put back in the order of items.
        _POOL + "    with pool_class(max_workers=workers) as pool:\n"
        "        index = {pool.submit(func, item): i for i, item in enumerate(items)}\n"
        "        results = [None] * len(items)\n"
        "        for future in concurrent.futures.as_completed(index, timeout=timeout):\n"
        "            results[index[future]] = future.result()\n        return results",
        # functools.partial crosses too: the function and its argument travel together.
        "import functools\n\n" + _POOL + "    with pool_class(max_workers=workers) as pool:\n"
        "        futures = [pool.submit(functools.partial(func, item)) for item in items]\n"
        "        return [future.result(timeout=timeout) for future in futures]",
    ],
    "task2-answer": [
        "standard = {'threads': 1, 'interpreters': 2}\n"
        "parallelism = {f'CPython 3.1{minor}': dict(standard) for minor in (3, 4)}\n"
        "parallelism['CPython 3.12'] = {'interpreters': None, 'threads': 1}\n"
        "parallelism['CPython 3.13t, GIL off'] = dict(standard, threads=2)",
    ],
    "task3-answer": ["not_shareable, sees_writes = 'c', 'b'"],
}


def _grade_id(cell) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


def test_right_answers_written_differently_pass():
    nb = nbformat.read(PATH, as_version=4)
    cells = {_grade_id(c): c for c in nb.cells}
    tried = []
    for grade_id, answers in RIGHT.items():
        check = cells[grade_id.replace("answer", "check")]
        for source in answers:
            tried.append(source)
            nb.cells += [nbformat.v4.new_code_cell(source), nbformat.v4.new_code_cell(check.source)]
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(PATH.parent)}}
    )
    ran = client.execute().cells[-2 * len(tried) :]
    for n, source in enumerate(tried):
        answer, check = ran[2 * n], ran[2 * n + 1]
        errors = [
            f"{o['ename']}: {o['evalue']}" for c in (answer, check) for o in c.outputs if o.output_type == "error"
        ]
        assert not errors, f"a right answer failed its check:\n{source}\n{errors}"
        assert "passed" in "".join(o.get("text", "") for o in check.outputs), source


def test_checks_do_not_read_the_grading_machines_python():
    reads_the_machine = re.compile(
        r"sys\.version_info|sysconfig|gil_enabled\(|_is_gil_enabled|availability\(|platform\.|cpu_count|"
        r"interpreter_pool_class\(|free_threaded"
    )
    nb = nbformat.read(PATH, as_version=4)
    checks = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert len(checks) == 3
    for cell in checks:
        found = reads_the_machine.search(cell.source)
        assert not found, f"{_grade_id(cell)} reads the grading machine's Python ({found.group(0)})"
