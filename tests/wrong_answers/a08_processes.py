"""Plausible wrong answers for assignment 08_processes (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        # spawn everywhere (true on Windows and macOS only).
        'default_start_methods = {"Linux, Python 3.13": "spawn", "Linux, Python 3.14": "spawn", '
        '"macOS, Python 3.13": "spawn", "macOS, Python 3.14": "spawn", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": True, "spawn": False, "forkserver": False}',
        # The 3.14 change the wrong way round.
        'default_start_methods = {"Linux, Python 3.13": "forkserver", "Linux, Python 3.14": "fork", '
        '"macOS, Python 3.13": "spawn", "macOS, Python 3.14": "spawn", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": True, "spawn": False, "forkserver": False}',
        # macOS as Linux: "it has fork, so it forks".
        'default_start_methods = {"Linux, Python 3.13": "fork", "Linux, Python 3.14": "forkserver", '
        '"macOS, Python 3.13": "fork", "macOS, Python 3.14": "fork", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": True, "spawn": False, "forkserver": False}',
        # The machine's own default for every key: a lookup, not the platforms asked about.
        "default_start_methods = dict.fromkeys(('Linux, Python 3.13', 'Linux, Python 3.14', 'macOS, Python 3.13', "
        "'macOS, Python 3.14', 'Windows, Python 3.13'), multiprocessing.get_all_start_methods()[0])\n"
        'notebook_function_runs = {"fork": True, "spawn": False, "forkserver": False}',
        # "Pickle sends the function's code along."
        'default_start_methods = {"Linux, Python 3.13": "fork", "Linux, Python 3.14": "forkserver", '
        '"macOS, Python 3.13": "spawn", "macOS, Python 3.14": "spawn", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": True, "spawn": True, "forkserver": True}',
        # "A notebook function never works in a pool."
        'default_start_methods = {"Linux, Python 3.13": "fork", "Linux, Python 3.14": "forkserver", '
        '"macOS, Python 3.13": "spawn", "macOS, Python 3.14": "spawn", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": False, "spawn": False, "forkserver": False}',
        # forkserver forks, so "it is a copy of the kernel too".
        'default_start_methods = {"Linux, Python 3.13": "fork", "Linux, Python 3.14": "forkserver", '
        '"macOS, Python 3.13": "spawn", "macOS, Python 3.14": "spawn", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": True, "spawn": False, "forkserver": True}',
        # 3.14's new default applied to macOS too ("3.14 moved POSIX to forkserver").
        'default_start_methods = {"Linux, Python 3.13": "fork", "Linux, Python 3.14": "forkserver", '
        '"macOS, Python 3.13": "spawn", "macOS, Python 3.14": "forkserver", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": True, "spawn": False, "forkserver": False}',
        # The right methods written as the strings "True"/"False" instead of booleans.
        'default_start_methods = {"Linux, Python 3.13": "fork", "Linux, Python 3.14": "forkserver", '
        '"macOS, Python 3.13": "spawn", "macOS, Python 3.14": "spawn", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": "True", "spawn": "False", "forkserver": "False"}',
        # forkserver forgotten (it is missing from this answer's dict).
        'default_start_methods = {"Linux, Python 3.13": "fork", "Linux, Python 3.14": "forkserver", '
        '"macOS, Python 3.13": "spawn", "macOS, Python 3.14": "spawn", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": True, "spawn": False}',
    ],
    "task2-answer": [
        # A function defined in the notebook: spawn workers cannot import it (BrokenProcessPool).
        "from concurrent.futures import ProcessPoolExecutor\n\ndef count_primes(bound):\n    return primes(bound)\n\n"
        "def primes_in_pool(bounds, start_method, timeout):\n"
        "    context = multiprocessing.get_context(start_method)\n"
        "    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:\n"
        "        return list(pool.map(count_primes, bounds, timeout=timeout))",
        # A lambda cannot be pickled.
        "from concurrent.futures import ProcessPoolExecutor\n\n"
        "def primes_in_pool(bounds, start_method, timeout):\n"
        "    context = multiprocessing.get_context(start_method)\n"
        "    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:\n"
        "        return list(pool.map(lambda bound: primes(bound), bounds, timeout=timeout))",
        # A multiprocessing.Pool with a notebook function: the task is lost, only the timeout ends the wait.
        "def count_primes(bound):\n    return primes(bound)\n\n"
        "def primes_in_pool(bounds, start_method, timeout):\n"
        "    with multiprocessing.get_context(start_method).Pool(2) as pool:\n"
        "        return pool.map_async(count_primes, bounds).get(timeout=timeout)",
        # Ignores start_method: the platform default (fork up to 3.13) hides the problem.
        "from concurrent.futures import ProcessPoolExecutor\n\n"
        "def primes_in_pool(bounds, start_method, timeout):\n"
        "    with ProcessPoolExecutor(max_workers=2) as pool:\n"
        "        return list(pool.map(primes, bounds, timeout=timeout))",
        # The context is built, but never passed to the pool: the workers start with the platform's default.
        "from concurrent.futures import ProcessPoolExecutor\n\n"
        "def primes_in_pool(bounds, start_method, timeout):\n"
        "    context = multiprocessing.get_context(start_method)\n"
        "    with ProcessPoolExecutor(max_workers=2) as pool:\n"
        "        return list(pool.map(primes, bounds, timeout=timeout))",
        # The same hole with a multiprocessing.Pool: the module-level Pool, not the context's.
        "def primes_in_pool(bounds, start_method, timeout):\n"
        "    context = multiprocessing.get_context(start_method)\n"
        "    with multiprocessing.Pool(2) as pool:\n"
        "        return pool.map_async(primes, bounds).get(timeout=timeout)",
        # No timeout.
        "from concurrent.futures import ProcessPoolExecutor\n\n"
        "def primes_in_pool(bounds, start_method, timeout):\n"
        "    context = multiprocessing.get_context(start_method)\n"
        "    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:\n"
        "        return list(pool.map(primes, bounds))",
        # The context comes from get_context() with no argument: the platform's default, not start_method.
        "from concurrent.futures import ProcessPoolExecutor\n\n"
        "def primes_in_pool(bounds, start_method, timeout):\n"
        "    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context()) as pool:\n"
        "        return list(pool.map(primes, bounds, timeout=timeout))",
        # The pool is never shut down: its worker processes outlive the call.
        "from concurrent.futures import ProcessPoolExecutor\n\n"
        "def primes_in_pool(bounds, start_method, timeout):\n"
        "    pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context(start_method))\n"
        "    return list(pool.map(primes, bounds, timeout=timeout))",
        # timeout reaches wait(), but result() waits again without one: a late task is still waited for.
        "import concurrent.futures\n\n"
        "def primes_in_pool(bounds, start_method, timeout):\n"
        "    context = multiprocessing.get_context(start_method)\n"
        "    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:\n"
        "        futures = [pool.submit(primes, bound) for bound in bounds]\n"
        "        concurrent.futures.wait(futures, timeout=timeout)\n"
        "        return [future.result() for future in futures]",
        # Returns map's iterator, not a list.
        "from concurrent.futures import ProcessPoolExecutor\n\n"
        "def primes_in_pool(bounds, start_method, timeout):\n"
        "    context = multiprocessing.get_context(start_method)\n"
        "    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:\n"
        "        return pool.map(primes, bounds, timeout=timeout)",
    ],
    "task3-answer": [
        # Conclusions drawn from the solution's sweep (the kit runs after the solution's cells).
        "chunksize = 1  # the default",
        "chunksize = 1000  # one chunk per worker",
        "chunksize = 2000  # everything in one message",
        "chunksize = 10  # still about a round trip's cost of work per message",
        "chunksize = 125  # never measured",
        # A sweep without the chunksize=1 baseline.
        "sweep = isolated(task_overhead, tasks=2000, size=50, workers=2, chunksizes=[10, 50, 100, 250], repeat=3)\n"
        "chunksize = 100",
        # A sweep of another setup than the question's (4 workers).
        "sweep = isolated(task_overhead, tasks=2000, size=50, workers=4, chunksizes=[1, 10, 100, 250], repeat=3)\n"
        "chunksize = 100",
    ],
}
