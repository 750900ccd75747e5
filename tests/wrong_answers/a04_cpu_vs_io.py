"""Plausible wrong answers for assignment 04_cpu_vs_io (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        # "sha256 is CPU work, so the GIL serialises it too."
        'threads_beat_sequential = {"countdown": False, "sleep": True, "sha256": False}',
        # The other build's answer for the countdown: "more threads, more speed" with the GIL, or
        # "threads never speed up bytecode" without it.
        'threads_beat_sequential = {"countdown": gil_enabled(), "sleep": True, "sha256": True}',
        # "Sleeping threads have nothing to run in parallel."
        'threads_beat_sequential = {"countdown": False, "sleep": False, "sha256": True}',
        'threads_beat_sequential = {"countdown": "no", "sleep": "yes", "sha256": "yes"}',
    ],
    "task2-answer": [
        # "Threads are lighter than processes": wrong with the GIL. Without it threads are a right answer,
        # so there the learner's next idea, a single event loop, stands in.
        'executor = "threads" if gil_enabled() else "asyncio"',
        'executor = "asyncio"',
        'executor = "sequential"',
        'executor = "process"',
    ],
    "task3-answer": [
        # Upside down.
        "def effective_parallelism(result):\n    return result.wall / result.cpu",
        # Per worker: the fraction of the workers that were busy.
        "def effective_parallelism(result):\n    return result.cpu / result.wall / result.workers",
        # A speedup over the sequential baseline, not effective parallelism.
        "def effective_parallelism(result):\n    return baseline.wall / result.wall",
        # The library's median of per-repeat ratios instead of computing it.
        "def effective_parallelism(result):\n    return result.parallelism",
    ],
}
