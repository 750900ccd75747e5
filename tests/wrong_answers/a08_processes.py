"""Plausible wrong answers for assignment 08_processes (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        # spawn everywhere (true on Windows and macOS only).
        'default_start_methods = {"Linux, Python 3.13": "spawn", "Linux, Python 3.14": "spawn", '
        '"macOS, Python 3.13": "spawn", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": True, "spawn": False, "forkserver": False}',
        # The 3.14 change the wrong way round.
        'default_start_methods = {"Linux, Python 3.13": "forkserver", "Linux, Python 3.14": "fork", '
        '"macOS, Python 3.13": "spawn", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": True, "spawn": False, "forkserver": False}',
        # macOS as Linux: "it has fork, so it forks".
        'default_start_methods = {"Linux, Python 3.13": "fork", "Linux, Python 3.14": "forkserver", '
        '"macOS, Python 3.13": "fork", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": True, "spawn": False, "forkserver": False}',
        # The machine's own default for every key: a lookup, not the platforms asked about.
        "default_start_methods = dict.fromkeys(('Linux, Python 3.13', 'Linux, Python 3.14', 'macOS, Python 3.13', "
        "'Windows, Python 3.13'), multiprocessing.get_all_start_methods()[0])\n"
        'notebook_function_runs = {"fork": True, "spawn": False, "forkserver": False}',
        # "Pickle sends the function's code along."
        'default_start_methods = {"Linux, Python 3.13": "fork", "Linux, Python 3.14": "forkserver", '
        '"macOS, Python 3.13": "spawn", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": True, "spawn": True, "forkserver": True}',
        # "A notebook function never works in a pool."
        'default_start_methods = {"Linux, Python 3.13": "fork", "Linux, Python 3.14": "forkserver", '
        '"macOS, Python 3.13": "spawn", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": False, "spawn": False, "forkserver": False}',
        # forkserver forks, so "it is a copy of the kernel too".
        'default_start_methods = {"Linux, Python 3.13": "fork", "Linux, Python 3.14": "forkserver", '
        '"macOS, Python 3.13": "spawn", "Windows, Python 3.13": "spawn"}\n'
        'notebook_function_runs = {"fork": True, "spawn": False, "forkserver": True}',
        # forkserver forgotten (it is missing from this answer's dict).
        'default_start_methods = {"Linux, Python 3.13": "fork", "Linux, Python 3.14": "forkserver", '
        '"macOS, Python 3.13": "spawn", "Windows, Python 3.13": "spawn"}\n'
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
        # Returns map's iterator, not a list.
        "from concurrent.futures import ProcessPoolExecutor\n\n"
        "def primes_in_pool(bounds, start_method, timeout):\n"
        "    context = multiprocessing.get_context(start_method)\n"
        "    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:\n"
        "        return pool.map(primes, bounds, timeout=timeout)",
    ],
    "task3-answer": [
        "chunksize = 1  # the default",
        "chunksize = 1000  # one chunk per worker",
        "chunksize = 2000  # everything in one message",
        "chunksize = 5",
    ],
}
