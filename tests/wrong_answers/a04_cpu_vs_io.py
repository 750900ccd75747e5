"""Plausible wrong answers for assignment 04_cpu_vs_io (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        # "sha256 is CPU work, so the GIL serialises it too."
        'threads_beat_sequential = {"countdown": False, "sleep": True, "sha256": False}',
        # "More threads, more speed" (or the free-threaded build's answer, for a question about the standard one).
        'threads_beat_sequential = {"countdown": True, "sleep": True, "sha256": True}',
        # "Sleeping threads have nothing to run in parallel."
        'threads_beat_sequential = {"countdown": False, "sleep": False, "sha256": True}',
        'threads_beat_sequential = {"countdown": "no", "sleep": "yes", "sha256": "yes"}',
        # Numbers that compare equal to the right booleans.
        'threads_beat_sequential = {"countdown": 0, "sleep": 1, "sha256": 1}',
    ],
    "task2-answer": [
        # "Threads are lighter than processes": wrong on a standard build.
        'executor = "threads"',
        'executor = "asyncio"',
        'executor = "sequential"',
        'executor = "process"',
    ],
    "task3-answer": [
        # Upside down.
        "def effective_parallelism(result):\n    return result.wall / result.cpu",
        # Per worker: the fraction of the workers that were busy.
        "def effective_parallelism(result):\n    return result.parallelism / result.workers",
        # A speedup over the sequential baseline, not effective parallelism.
        "def effective_parallelism(result):\n    return baseline.wall / result.wall",
        # The median CPU time over the median wall time: a ratio of two different repeats' times.
        "def effective_parallelism(result):\n    return result.cpu / result.wall",
        # The mean of the per-repeat ratios, not their median.
        "def effective_parallelism(result):\n"
        "    ratios = [c / w for c, w in zip(result.cpu_times, result.wall_times)]\n"
        "    return sum(ratios) / len(ratios)",
        # Total CPU time over total wall time.
        "def effective_parallelism(result):\n    return sum(result.cpu_times) / sum(result.wall_times)",
        # The upper middle ratio: right for an odd number of repeats only.
        "def effective_parallelism(result):\n"
        "    ratios = sorted(c / w for c, w in zip(result.cpu_times, result.wall_times))\n"
        "    return ratios[len(ratios) // 2]",
        # Rounded to one decimal before returning.
        "def effective_parallelism(result):\n    return round(result.parallelism, 1)",
    ],
}
