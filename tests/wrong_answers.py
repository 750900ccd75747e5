"""Plausible wrong answers, per assignment and task (the grade_id of the answer cell).

tests/test_assignments.py puts each one in place of the solution and requires the task's check
cell to fail. Every task needs at least one. Keep them plausible: the mistakes learners make.
"""

WRONG_ANSWERS: dict[str, dict[str, list[str]]] = {
    "02_reference_counting": {
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
            "none_is_immortal = sys.version_info < (3, 12)  # the opposite of the truth on this Python",
            "none_is_immortal = 'yes'",
        ],
    },
}
