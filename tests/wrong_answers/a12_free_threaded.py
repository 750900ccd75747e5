"""Plausible wrong answers for assignment 12_free_threaded (see tests/wrong_answers/__init__.py).

Each is caught by what the learner's own run recorded (Scaling, RaceResult, ImportReport) or by the
instrumented counter (a lock that knows its owner), never by the grading machine's build, so each is
caught on a standard kernel and on a free-threaded one alike.
"""

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
        # The "GIL on" baseline measured on the free-threaded build as it starts: its GIL is off.
        "on_standard = ftl.measure_scaling(ft)\nwhy = 'b'",
        # Skips the free-threaded measurement although this run found an interpreter for it.
        "on_ft = None\nft_speedup = None\nwhy = 'b'",
    ],
    "task2-answer": [
        # No lock: fine with a GIL on 3.10+, loses updates without one.
        "def increment(counter):\n    counter.value += 1\n",
        # The lock around the read, but not the write.
        "def increment(counter):\n    with counter.lock:\n        value = counter.value\n    counter.value = value + 1\n",
        # The cost inverted: locked / plain.
        "def increment(counter):\n    with counter.lock:\n        counter.value += 1\n"
        "lock_cost = round(locked.rate / plain.rate, 2)",
        # A lock of its own, not the counter's: every thread that uses counter.lock is unprotected from it.
        "_my_lock = threading.Lock()\n\n\ndef increment(counter):\n    with _my_lock:\n        counter.value += 1\n",
        # Read and write each under the lock, but in two acquisitions: another thread can write in between.
        "def increment(counter):\n    with counter.lock:\n        value = counter.value\n"
        "    with counter.lock:\n        counter.value = value + 1\n",
        # Acquires and never releases: the second call waits for ever.
        "def increment(counter):\n    counter.lock.acquire()\n    counter.value += 1\n",
        # Goes around the attribute to the private storage.
        "def increment(counter):\n    with counter.lock:\n        counter._value += 1\n",
        # Compares run times of runs of different sizes instead of rates.
        "lock_cost = round(locked.seconds / plain.seconds, 2)",
        # Compares unlike runs: locked on one thread, plain on four.
        "locked = isolated(races.racy_counter, variant='locked', threads=1, iterations=100_000, python=where)\n"
        "lock_cost = round(plain.rate / locked.rate, 2)",
    ],
    "task3-answer": [
        # Blames the biggest C extension without looking.
        "reports = ftl.find_gil_reenabling(modules)\nculprit = 'numpy'",
        # Takes the first report. ("culprit = None" is no kept wrong answer: it is right wherever no free-threaded
        # interpreter has cffi installed, e.g. a fresh clone before `make matrix` creates .venvs/py3.13.5t.)
        "reports = ftl.find_gil_reenabling(modules)\nculprit = reports[0].module if reports else None",
        # Blames the first import, a standard-library module (which declares it runs without the GIL).
        "reports = ftl.find_gil_reenabling(modules)\nculprit = 'json'",
        # Looks only at the standard-library modules.
        "reports = ftl.find_gil_reenabling(modules[:2])\nculprit = None",
        # Reads the state before the import instead of the change it made.
        "reports = ftl.find_gil_reenabling(modules)\nculprit = next((r.module for r in reports if not r.gil_at_start), None)",
        # Every module that re-enabled it, as a list, instead of the module's name.
        "reports = ftl.find_gil_reenabling(modules)\nculprit = [r.module for r in reports if r.reenabled]",
    ],
}
