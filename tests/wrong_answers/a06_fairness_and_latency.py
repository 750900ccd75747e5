"""Plausible wrong answers for assignment 06_fairness_and_latency (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        # Answers for the other build: "two CPUs, so the threads run side by side" (true only with the
        # GIL off), or, on a free-threaded Python, the convoy of a standard build.
        'latency_with_cpu_thread = "about the same" if info.gil_enabled else "higher"\n'
        'extra_wait_set_by = "nothing" if info.gil_enabled else "the switch interval"',
        # Right direction, wrong cause: thinks the I/O thread waits until the CPU thread is done.
        'latency_with_cpu_thread = "higher"\nextra_wait_set_by = "the CPU thread\'s whole run"',
    ],
    "task2-answer": [
        # Upside down.
        "slowdown_ratio = statistics.median(alone.latencies) / statistics.median(loaded.latencies)",
        # Means instead of medians.
        "slowdown_ratio = statistics.mean(loaded.latencies) / statistics.mean(alone.latencies)",
        # Forgot the CPU thread: both runs alone.
        "alone = isolated(io_latencies, requests=100)\nloaded = isolated(io_latencies, requests=100)\n"
        "slowdown_ratio = statistics.median(loaded.latencies) / statistics.median(alone.latencies)",
        # The tail instead of the median.
        "slowdown_ratio = loaded.p95 / alone.p95",
    ],
    "task3-answer": [
        # A longer interval "lets each thread get more done" (the prediction alone is wrong).
        "lowest_latency_interval = 0.02",
        "lowest_latency_interval = 0.005  # the default must be tuned best",
        # Right prediction, but the measurement forgot to pass it.
        "lowest_latency_interval = 0.0005\ntuned = isolated(io_latencies, requests=100, cpu_threads=1)",
    ],
    "task4-answer": ['removes_the_wait = "a"', 'removes_the_wait = "b"', 'removes_the_wait = "d"'],
}
