"""Plausible wrong answers for assignment 08_processes (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        # spawn everywhere (true on Windows and macOS only).
        'default_start_method = "spawn"\n'
        'notebook_function_runs = {m: m == "fork" for m in multiprocessing.get_all_start_methods()}',
        # The 3.14 change the wrong way round.
        'default_start_method = "forkserver" if sys.version_info < (3, 14) else "fork"\n'
        'notebook_function_runs = {m: m == "fork" for m in multiprocessing.get_all_start_methods()}',
        # "Pickle sends the function's code along."
        "default_start_method = multiprocessing.get_all_start_methods()[0]\n"
        "notebook_function_runs = {m: True for m in multiprocessing.get_all_start_methods()}",
        # "A notebook function never works in a pool."
        "default_start_method = multiprocessing.get_all_start_methods()[0]\n"
        "notebook_function_runs = {m: False for m in multiprocessing.get_all_start_methods()}",
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
