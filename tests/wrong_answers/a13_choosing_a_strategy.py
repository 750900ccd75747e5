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
        # "C code" for the C library call, as if calling it were not the question.
        'choices = {"crawler": "threads", "chat": "asyncio", "simulation": "processes", '
        '"compress": "c-code", "quick": "sequential"}',
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
        # Typed in from a run on someone else's machine instead of computed.
        "parallelism_gain = 40.0\n"
        "more_parallel = max((on_threads, on_processes), key=lambda r: r.parallelism).executor",
        # Copied the first line and forgot to change the executor.
        'on_threads = isolated(run, "primes", "threads", 2, repeat=3)\n'
        'on_processes = isolated(run, "primes", "threads", 2, repeat=3)\n'
        "parallelism_gain = on_processes.parallelism / on_threads.parallelism\n"
        "more_parallel = max((on_threads, on_processes), key=lambda r: r.parallelism).executor",
        # One worker: nothing to run in parallel.
        'on_threads = isolated(run, "primes", "threads", 1, repeat=3)\n'
        'on_processes = isolated(run, "primes", "processes", 1, repeat=3)\n'
        "parallelism_gain = on_processes.parallelism / on_threads.parallelism\n"
        "more_parallel = max((on_threads, on_processes), key=lambda r: r.parallelism).executor",
    ],
    "task3-answer": [
        # Mixed up: thinks the GIL is what lets threads run.
        "threads_scale_standard = True\nthreads_scale_free_threaded = False\nthreads_scale_unready = False\n"
        'lets_threads_scale = "a"',
        # Forgets that an unready extension switches the GIL back on.
        "threads_scale_standard = False\nthreads_scale_free_threaded = True\nthreads_scale_unready = True\n"
        'lets_threads_scale = "a"',
        # Thinks the free-threaded build still needs something more.
        "threads_scale_standard = False\nthreads_scale_free_threaded = False\nthreads_scale_unready = False\n"
        'lets_threads_scale = "a"',
        "threads_scale_standard = False\nthreads_scale_free_threaded = True\nthreads_scale_unready = False\n"
        'lets_threads_scale = "b"  # turns more often',
        "threads_scale_standard = False\nthreads_scale_free_threaded = True\nthreads_scale_unready = False\n"
        'lets_threads_scale = "c"  # more threads',
        "threads_scale_standard = False\nthreads_scale_free_threaded = True\nthreads_scale_unready = False\n"
        'lets_threads_scale = "d"',
        'threads_scale_standard = "no"\nthreads_scale_free_threaded = True\nthreads_scale_unready = False\n'
        'lets_threads_scale = "a"',
    ],
    "task4-answer": [
        # The plan edited after the run, without running it again: the check reads the recorded run.
        'plan = {"fetch": "threads", "hash": "threads", "parse": "threads"}',
        # The recorded run doctored: the totals no longer add up from the stages.
        "import dataclasses\npipeline = dataclasses.replace(pipeline, wall_times=[w / 2 for w in pipeline.wall_times])",
        # Processes for the waiting stage: it overlaps, but the guide's choice for waiting is threads.
        'plan = {"fetch": "processes", "hash": "threads", "parse": "processes"}\n'
        "pipeline = isolated(run_pipeline, plan)",
        # Nothing parallel: the baseline against itself.
        'plan = {"fetch": "sequential", "hash": "sequential", "parse": "sequential"}\n'
        "pipeline = isolated(run_pipeline, plan, repeat=3)",
        # One repeat, to save time: no median to speak of.
        'plan = {"fetch": "threads", "hash": "threads", "parse": "processes"}\n'
        "pipeline = isolated(run_pipeline, plan, repeat=1)",
    ],
}
