"""Plausible wrong answers for assignment 11_beyond_the_gil (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        # Assumes sys._is_gil_enabled exists: AttributeError before 3.13.
        "def describe_build() -> dict:\n"
        "    return {'free_threaded_build': bool(sysconfig.get_config_var('Py_GIL_DISABLED')),\n"
        "            'gil_enabled': sys._is_gil_enabled()}",
        # Reads Py_GIL_DISABLED as a string: str(None) and '0' are truthy.
        "def describe_build() -> dict:\n"
        "    flag = getattr(sys, '_is_gil_enabled', None)\n"
        "    return {'free_threaded_build': bool(str(sysconfig.get_config_var('Py_GIL_DISABLED'))),\n"
        "            'gil_enabled': True if flag is None else flag()}",
        # Compares with the string '1': never true, the variable is an int.
        "def describe_build() -> dict:\n"
        "    flag = getattr(sys, '_is_gil_enabled', None)\n"
        "    return {'free_threaded_build': sysconfig.get_config_var('Py_GIL_DISABLED') == '1',\n"
        "            'gil_enabled': True if flag is None else flag()}",
        # Confuses the build with the GIL's state right now.
        "def describe_build() -> dict:\n"
        "    free = bool(sysconfig.get_config_var('Py_GIL_DISABLED'))\n"
        "    return {'free_threaded_build': free, 'gil_enabled': not free}",
        # Forgets to call sys._is_gil_enabled.
        "def describe_build() -> dict:\n"
        "    return {'free_threaded_build': bool(sysconfig.get_config_var('Py_GIL_DISABLED')),\n"
        "            'gil_enabled': getattr(sys, '_is_gil_enabled', True)}",
    ],
    "task2-answer": [
        # With a GIL: "two CPUs, two threads". Without one (GIL off): "Python threads always take turns".
        "interpreters_available = availability()['interpreters'] == ''\n"
        "threads_run_in_parallel = environment.gil_enabled()",
        # Mixes up PEP 684 (3.12, C API only) and PEP 734 (3.14): the opposite of the truth here.
        "interpreters_available = not (sys.version_info >= (3, 14) or (sys.version_info >= (3, 13)\n"
        "    and importlib.util.find_spec('interpreters_backport') is not None))\n"
        "threads_run_in_parallel = False",
        "interpreters_available = 'yes'\nthreads_run_in_parallel = False",
    ],
    "task3-answer": [
        "not_shareable = 'a'  # a tuple with mixed items\nsees_writes = 'b'",
        "not_shareable = 'c'\nsees_writes = 'a'  # the queue passes the same list",
        "not_shareable = 'c'\nsees_writes = 'B'",
    ],
}
