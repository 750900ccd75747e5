"""Plausible wrong answers for assignment 02_reference_counting (see tests/wrong_answers/__init__.py)."""

#: A right measurement (Task 3, part 2), and a right prediction (part 1), to pair with a wrong other part.
_GROWTH = (
    "def count_growth(obj):\n    before = sys.getrefcount(obj)\n    held = [obj] * 1000\n"
    "    return sys.getrefcount(obj) - before\n\n\n"
)
_CONCLUDED = "none_is_immortal_here = count_growth(None) == 0"
_MEASURED = "\n\n" + _GROWTH + _CONCLUDED
_PREDICTED = 'none_is_immortal = {"3.11": False, "3.12": True, "3.14": True}\n\n\n'

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
        'none_is_immortal = {"3.11": False, "3.12": False, "3.14": False}\n' + _MEASURED,
        # "Immortal objects came with sys._is_immortal, in 3.14."
        'none_is_immortal = {"3.11": False, "3.12": False, "3.14": True}\n' + _MEASURED,
        # "None was always immortal: it is a singleton."
        'none_is_immortal = {"3.11": True, "3.12": True, "3.14": True}\n' + _MEASURED,
        "none_is_immortal = sys.version_info >= (3, 12)  # one bool for the running Python, not a dict\n" + _MEASURED,
        # The references are made and dropped at once: the count is back where it was when measured again,
        # so every object looks immortal.
        _PREDICTED + _GROWTH.replace("held = [obj] * 1000", "[obj] * 1000") + _CONCLUDED,
        # Returns the count while held, not how much it grew.
        _PREDICTED + _GROWTH.replace("sys.getrefcount(obj) - before", "sys.getrefcount(obj)") + _CONCLUDED,
        # Takes one off for getrefcount's own argument, which is in both counts and cancels.
        _PREDICTED + _GROWTH.replace("sys.getrefcount(obj) - before", "sys.getrefcount(obj) - before - 1") + _CONCLUDED,
        # Right measurement, conclusion upside down: "its count grew, so it lives on".
        _PREDICTED + _GROWTH + "none_is_immortal_here = count_growth(None) > 0",
    ],
}
