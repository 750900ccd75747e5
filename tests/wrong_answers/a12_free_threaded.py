"""Plausible wrong answers for assignment 12_free_threaded (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        # "The free-threaded build is faster": it is slower on one thread (lesson 12, What it costs).
        "ft_speedup = round(on_ft.speedup(on_ft.threads[0]), 2) if on_ft else None\nwhy = 'a'",
        # Believes countdown releases the GIL.
        "ft_speedup = round(on_ft.speedup(on_ft.threads[0]), 2) if on_ft else None\nwhy = 'c'",
        # Measures the free-threaded interpreter with the GIL switched on.
        "on_ft = ftl.measure_scaling(ft, gil=1) if ft else None\n"
        "ft_speedup = round(on_ft.speedup(on_ft.threads[0]), 2) if on_ft else None\nwhy = 'b'",
        # Reports a speedup it did not record (the rounded string, not the number).
        "ft_speedup = f'{on_ft.speedup(on_ft.threads[0]):.2f}' if on_ft else None\nwhy = 'b'",
    ],
    "task2-answer": [
        # No lock: fine with a GIL on 3.10+, loses updates without one.
        "def increment(counter):\n    counter.value += 1\n",
        # The lock around the read, but not the write.
        "def increment(counter):\n    with counter.lock:\n        value = counter.value\n    counter.value = value + 1\n",
        # The cost inverted: locked / plain.
        "def increment(counter):\n    with counter.lock:\n        counter.value += 1\n"
        "lock_cost = round(locked.rate / plain.rate, 2)",
    ],
    "task3-answer": [
        # Blames the biggest C extension without looking.
        "reports = ftl.find_gil_reenabling(modules)\nculprit = 'numpy'",
        # Takes the first report. ("culprit = None" is no kept wrong answer: it is right wherever no free-threaded
        # interpreter has cffi installed, e.g. a fresh clone before `make matrix` creates .venvs/py3.13.5t.)
        "reports = ftl.find_gil_reenabling(modules)\nculprit = reports[0].module if reports else None",
        # Blames the first import, a standard-library module (which declares it runs without the GIL).
        "reports = ftl.find_gil_reenabling(modules)\nculprit = 'json'",
    ],
}
