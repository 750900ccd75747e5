"""Plausible wrong answers for assignment 13_choosing_a_strategy (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        # Threads for everything: "the GIL is only a problem in theory".
        'choices = dict.fromkeys(["crawler", "chat", "simulation", "compress", "quick"], "threads")',
        # "Processes for anything that computes", short job and C code included.
        'choices = {"crawler": "threads", "chat": "asyncio", "simulation": "processes", '
        '"compress": "processes", "quick": "processes"}',
        # Threads for every kind of waiting, thousands of connections included.
        'choices = {"crawler": "threads", "chat": "threads", "simulation": "processes", '
        '"compress": "threads", "quick": "sequential"}',
        # The newest tools, ignoring the extension that is not ready for them.
        'choices = {"crawler": "threads", "chat": "asyncio", "simulation": "subinterpreters", '
        '"compress": "threads", "quick": "sequential"}',
        # A library name instead of a strategy.
        'choices = {"crawler": "threads", "chat": "asyncio", "simulation": "multiprocessing", '
        '"compress": "threads", "quick": "sequential"}',
    ],
    "task2-answer": [
        # The ratio upside down.
        "parallelism_gain = on_threads.parallelism / on_processes.parallelism\n"
        "more_parallel = max((on_threads, on_processes), key=lambda r: r.parallelism).executor",
        # Speedup (wall times) taken for effective parallelism.
        "parallelism_gain = on_threads.wall / on_processes.wall\n"
        "more_parallel = max((on_threads, on_processes), key=lambda r: r.parallelism).executor",
        # min instead of max.
        "parallelism_gain = on_processes.parallelism / on_threads.parallelism\n"
        "more_parallel = min((on_threads, on_processes), key=lambda r: r.parallelism).executor",
        # Copied the first line and forgot to change the executor.
        'on_threads = run_isolated("primes", "threads", workers=2, repeat=3)\n'
        'on_processes = run_isolated("primes", "threads", workers=2, repeat=3)\n'
        "parallelism_gain = on_processes.parallelism / on_threads.parallelism\n"
        "more_parallel = max((on_threads, on_processes), key=lambda r: r.parallelism).executor",
        # One worker: nothing to run in parallel.
        'on_threads = run_isolated("primes", "threads", workers=1, repeat=3)\n'
        'on_processes = run_isolated("primes", "processes", workers=1, repeat=3)\n'
        "parallelism_gain = on_processes.parallelism / on_threads.parallelism\n"
        "more_parallel = max((on_threads, on_processes), key=lambda r: r.parallelism).executor",
    ],
    "task3-answer": [
        # Mixed up: thinks the GIL is what lets threads run.
        'threads_scale_here = gil_enabled()\nlets_threads_scale = "a"',
        'threads_scale_here = not gil_enabled()\nlets_threads_scale = "b"  # turns more often',
        'threads_scale_here = not gil_enabled()\nlets_threads_scale = "c"  # more threads',
        'threads_scale_here = not gil_enabled()\nlets_threads_scale = "d"',
        'threads_scale_here = "no"\nlets_threads_scale = "a"',
    ],
}
