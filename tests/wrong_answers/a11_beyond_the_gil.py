"""Plausible wrong answers for assignment 11_beyond_the_gil (see tests/wrong_answers/__init__.py).

Task 1 was "which build is this, and is the GIL on?" until issue 16; that question belongs to lesson 12
now, and its wrong answers (describe_build) went with it. Task 1 is now the pool code itself, checked
with a stand-in pool (utils.lessons.beyond.PoolSpy) on every Python; task 2 names the Pythons it is about.
"""

_POOL = "def run_in_interpreters(pool_class, func, items, workers, timeout):\n"

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        # Results in the order the tasks finished.
        _POOL + "    with pool_class(max_workers=workers) as pool:\n"
        "        futures = [pool.submit(func, item) for item in items]\n"
        "        return [f.result() for f in concurrent.futures.as_completed(futures, timeout=timeout)]",
        # A lambda (a closure of this notebook) cannot be rebuilt in another interpreter.
        _POOL + "    with pool_class(max_workers=workers) as pool:\n"
        "        futures = [pool.submit(lambda item=item: func(item)) for item in items]\n"
        "        return [f.result(timeout=timeout) for f in futures]",
        # Calls func here and submits its result.
        _POOL + "    with pool_class(max_workers=workers) as pool:\n"
        "        futures = [pool.submit(func(item)) for item in items]\n"
        "        return [f.result(timeout=timeout) for f in futures]",
        # No timeout: a stuck task hangs the notebook.
        _POOL + "    with pool_class(max_workers=workers) as pool:\n        return list(pool.map(func, items))",
        # A pool per task.
        _POOL + "    results = []\n    for item in items:\n"
        "        with pool_class(max_workers=workers) as pool:\n"
        "            results.append(pool.submit(func, item).result(timeout=timeout))\n    return results",
        # Two workers, whatever `workers` says.
        _POOL + "    with pool_class(max_workers=2) as pool:\n"
        "        return list(pool.map(func, items, timeout=timeout))",
        # Never shut down.
        _POOL + "    pool = pool_class(max_workers=workers)\n"
        "    return [pool.submit(func, item).result(timeout=timeout) for item in items]",
        # Returns the lazy iterator of map, not a list.
        _POOL
        + "    with pool_class(max_workers=workers) as pool:\n        return pool.map(func, items, timeout=timeout)",
        # Times out, then swallows the error and returns what it has.
        _POOL + "    with pool_class(max_workers=workers) as pool:\n"
        "        futures = [pool.submit(func, item) for item in items]\n"
        "        done, _ = concurrent.futures.wait(futures, timeout=timeout)\n"
        "        return [f.result() for f in futures if f in done]",
    ],
    "task2-answer": [
        # PEP 684 is 3.12, so 3.12 has interpreter pools: mixes up the C API and Python code.
        "parallelism = {\n"
        "    'CPython 3.12': {'threads': 1, 'interpreters': 2},\n"
        "    'CPython 3.13': {'threads': 1, 'interpreters': 2},\n"
        "    'CPython 3.14': {'threads': 1, 'interpreters': 2},\n"
        "    'CPython 3.13t, GIL off': {'threads': 2, 'interpreters': 2},\n}",
        # Only the standard library counts: forgets the 3.13 backport.
        "parallelism = {\n"
        "    'CPython 3.12': {'threads': 1, 'interpreters': None},\n"
        "    'CPython 3.13': {'threads': 1, 'interpreters': None},\n"
        "    'CPython 3.14': {'threads': 1, 'interpreters': 2},\n"
        "    'CPython 3.13t, GIL off': {'threads': 2, 'interpreters': None},\n}",
        # "Python threads always take turns", even without a GIL.
        "parallelism = {\n"
        "    'CPython 3.12': {'threads': 1, 'interpreters': None},\n"
        "    'CPython 3.13': {'threads': 1, 'interpreters': 2},\n"
        "    'CPython 3.14': {'threads': 1, 'interpreters': 2},\n"
        "    'CPython 3.13t, GIL off': {'threads': 1, 'interpreters': 2},\n}",
        # "Two CPUs, two threads": threads in parallel everywhere.
        "parallelism = {\n"
        "    'CPython 3.12': {'threads': 2, 'interpreters': None},\n"
        "    'CPython 3.13': {'threads': 2, 'interpreters': 2},\n"
        "    'CPython 3.14': {'threads': 2, 'interpreters': 2},\n"
        "    'CPython 3.13t, GIL off': {'threads': 2, 'interpreters': 2},\n}",
        # Interpreters in one process share the GIL, like threads (true only up to 3.11).
        "parallelism = {\n"
        "    'CPython 3.12': {'threads': 1, 'interpreters': None},\n"
        "    'CPython 3.13': {'threads': 1, 'interpreters': 1},\n"
        "    'CPython 3.14': {'threads': 1, 'interpreters': 1},\n"
        "    'CPython 3.13t, GIL off': {'threads': 2, 'interpreters': 2},\n}",
        # Answers about the Python running the notebook, not the ones named.
        "import sys\nparallelism = {python: {'threads': 1, 'interpreters': 2 if sys.version_info >= (3, 13) else None}\n"
        "               for python in ('CPython 3.12', 'CPython 3.13', 'CPython 3.14', 'CPython 3.13t, GIL off')}",
        # Booleans instead of the numbers asked for.
        "parallelism = {\n"
        "    'CPython 3.12': {'threads': True, 'interpreters': None},\n"
        "    'CPython 3.13': {'threads': True, 'interpreters': 2},\n"
        "    'CPython 3.14': {'threads': True, 'interpreters': 2},\n"
        "    'CPython 3.13t, GIL off': {'threads': 2, 'interpreters': 2},\n}",
    ],
    "task3-answer": [
        "not_shareable = 'a'  # a tuple with mixed items\nsees_writes = 'b'",
        "not_shareable = 'c'\nsees_writes = 'a'  # the queue passes the same list",
        "not_shareable = 'c'\nsees_writes = 'B'",
        "not_shareable = 'c'\nsees_writes = 'c'  # the global was set in the other interpreter's __main__",
    ],
}
