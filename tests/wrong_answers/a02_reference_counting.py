"""Plausible wrong answers for assignment 02_reference_counting (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        "predicted_count = 4  # forgot getrefcount's own argument",
        "predicted_count = 3  # counted box once",
    ],
    "task2-answer": [
        # Collects garbage first, so cycles look "freed without gc".
        "def freed_without_gc(make):\n    obj = make()\n    ref = weakref.ref(obj)\n    del obj\n"
        "    gc.collect()\n    return ref() is None",
        # Leaves the collector off.
        "def freed_without_gc(make):\n    gc.disable()\n    obj = make()\n    ref = weakref.ref(obj)\n"
        "    del obj\n    return ref() is None",
    ],
    "task3-answer": [
        # Answers for the Python at hand only, as a learner on 3.11 would: right there, wrong for 3.12+.
        'none_is_immortal = {"3.11": False, "3.12": False, "3.14": False}',
        # "Immortal objects came with sys._is_immortal, in 3.14."
        'none_is_immortal = {"3.11": False, "3.12": False, "3.14": True}',
        # "None was always immortal: it is a singleton."
        'none_is_immortal = {"3.11": True, "3.12": True, "3.14": True}',
        "none_is_immortal = sys.version_info >= (3, 12)  # one bool for the running Python, not a dict",
    ],
}
