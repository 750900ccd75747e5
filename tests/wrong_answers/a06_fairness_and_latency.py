"""Plausible wrong answers for assignment 06_fairness_and_latency (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        # Answers for the other build: "two CPUs, so the threads run side by side" (true only with the
        # GIL off), and the convoy of a standard build expected on the free-threaded one.
        'latency_with_cpu_thread = "about the same"\nextra_wait_set_by = "nothing"\nlatency_free_threaded = "higher"',
        # Right direction, wrong cause: thinks the I/O thread waits until the CPU thread is done.
        'latency_with_cpu_thread = "higher"\nextra_wait_set_by = "the CPU thread\'s whole run"\n'
        'latency_free_threaded = "about the same"',
        # Right for the standard build, but expects the convoy without a GIL too.
        'latency_with_cpu_thread = "higher"\nextra_wait_set_by = "the switch interval"\n'
        'latency_free_threaded = "higher"',
    ],
    "task2-answer": [
        # Each mistake sits in the function, and the check calls it on made-up runs where every one of them
        # gives a different number: on a free-threaded build the two real runs are alike (ratios near 1), so
        # the learner's own numbers alone cannot tell a ratio of means from a ratio of medians.
        # Upside down.
        "def median_slowdown(alone, loaded):\n"
        "    return statistics.median(alone.latencies) / statistics.median(loaded.latencies)\n\n\n"
        "slowdown_ratio = median_slowdown(alone, loaded)",
        # Means instead of medians.
        "def median_slowdown(alone, loaded):\n"
        "    return statistics.mean(loaded.latencies) / statistics.mean(alone.latencies)\n\n\n"
        "slowdown_ratio = median_slowdown(alone, loaded)",
        # Forgot the CPU thread: both runs alone (the function is right).
        "alone = isolated(io_latencies, requests=100)\nloaded = isolated(io_latencies, requests=100)\n\n\n"
        "def median_slowdown(alone, loaded):\n"
        "    return statistics.median(loaded.latencies) / statistics.median(alone.latencies)\n\n\n"
        "slowdown_ratio = median_slowdown(alone, loaded)",
        # The tail instead of the median.
        "def median_slowdown(alone, loaded):\n    return loaded.p95 / alone.p95\n\n\n"
        "slowdown_ratio = median_slowdown(alone, loaded)",
        # The extra wait in seconds, not a ratio.
        "def median_slowdown(alone, loaded):\n"
        "    return statistics.median(loaded.latencies) - statistics.median(alone.latencies)\n\n\n"
        "slowdown_ratio = median_slowdown(alone, loaded)",
        # A median by hand, without sorting: the middle request in the order they ran.
        "def median_slowdown(alone, loaded):\n"
        "    middle = len(loaded.latencies) // 2, len(alone.latencies) // 2\n"
        "    return loaded.latencies[middle[0]] / alone.latencies[middle[1]]\n\n\n"
        "slowdown_ratio = median_slowdown(alone, loaded)",
        # Right function, but the ratio turned into "how much slower" (0 meaning not slower): not what is asked.
        "def median_slowdown(alone, loaded):\n"
        "    return statistics.median(loaded.latencies) / statistics.median(alone.latencies)\n\n\n"
        "slowdown_ratio = median_slowdown(alone, loaded) - 1",
    ],
    "task3-answer": [
        # A longer interval "lets each thread get more done" (the prediction alone is wrong).
        "lowest_latency_interval = 0.02",
        "lowest_latency_interval = 0.005  # the default must be tuned best",
        # Right prediction, but picks the interval with the HIGHEST p95 of the sweep.
        "lowest_latency_interval = 0.0005\nbest_p95_interval = max(sweep.results, key=lambda r: r.p95).switch_interval",
        # Right pick, but in milliseconds.
        "lowest_latency_interval = 0.0005\n"
        "best_p95_interval = min(sweep.results, key=lambda r: r.p95).switch_interval * 1000",
        # A "sweep" of one interval: nothing to compare.
        "lowest_latency_interval = 0.0005\nsweep = isolated(sweep_switch_interval, [0.0005], requests=40)\n"
        "best_p95_interval = 0.0005",
    ],
    "task4-answer": ['removes_the_wait = "a"', 'removes_the_wait = "b"', 'removes_the_wait = "d"'],
}
