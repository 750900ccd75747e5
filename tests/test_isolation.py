import dataclasses
import shutil
import sys
import time

import pytest

from utils.engine import environment, workloads
from utils.engine.executors import RunResult, run
from utils.engine.isolation import IsolatedRunError, IsolatedTimeout, RemoteTraceback, isolated, loaded_modules
from utils.engine.timeline import Timeline, record_timeline

THIS = ".".join(map(str, sys.version_info[:3]))


def other_python() -> str | None:
    """Another CPython 3.10+ on PATH (a different minor version), or None."""
    for minor in range(10, 16):
        path = shutil.which(f"python3.{minor}")
        found = environment.probe_python(path) if path and minor != sys.version_info[1] else None
        if found is not None:  # a real CPython (not a pyenv shim with no version selected)
            return path
    return None


def test_returns_the_functions_result_rebuilt_from_its_annotation():
    result = isolated(run, "countdown", "threads", 2, size=200_000, repeat=2, timeout=60)
    assert isinstance(result, RunResult)
    assert result.available and result.executor == "threads" and len(result.wall_times) == 2
    assert result.python == THIS


def test_value_and_type_errors_come_back_as_themselves_with_the_workers_traceback():
    with pytest.raises(ValueError, match="unknown workload 'nope'") as info:
        isolated(run, "nope", timeout=60)
    assert isinstance(info.value.__cause__, RemoteTraceback)
    assert "get_workload" in info.value.__cause__.text  # the frame that raised, in the worker
    with pytest.raises(TypeError, match="workers must be a whole number"):
        isolated(run, "countdown", "threads", "two", timeout=60)


def test_other_exceptions_are_an_isolated_run_error_naming_them():
    import statistics

    # StatisticsError is a ValueError, but not the built-in one: it is not passed through as itself
    with pytest.raises(IsolatedRunError, match="StatisticsError") as info:
        isolated(statistics.mean, [], timeout=60)
    assert isinstance(info.value.__cause__, RemoteTraceback)


def test_a_function_the_worker_cannot_import_is_reported():
    with pytest.raises(IsolatedRunError, match="ModuleNotFoundError"):
        isolated(not_importable, timeout=60)


def not_importable() -> int:  # tests/ is not on the worker's path
    return 1


def test_a_hung_worker_is_killed_at_the_timeout():
    start = time.perf_counter()
    with pytest.raises(IsolatedTimeout, match="did not finish within 1 s") as info:
        isolated(workloads.sleep, size=30_000, timeout=1)
    assert isinstance(info.value, TimeoutError)
    assert time.perf_counter() - start < 5


def test_a_crashed_worker_is_reported():
    with pytest.raises(IsolatedRunError, match=r"worker process .* failed"):
        isolated(workloads.sleep, size=1, python="/bin/false", timeout=10)


def test_the_worker_imports_only_what_the_function_needs():
    modules = isolated(loaded_modules, timeout=60)
    assert "utils.engine.isolation" in modules
    for heavy in ("utils.engine.executors", "concurrent.futures", "matplotlib", "asyncio"):
        assert heavy not in modules


def make_local():
    def local_function():
        return 1

    return local_function


@pytest.mark.parametrize(
    "func, args, kwargs, error",
    [
        ("utils.engine.workloads:sleep", (), {}, TypeError),  # a string is not a function
        (lambda: 1, (), {}, ValueError),
        (make_local(), (), {}, ValueError),
        (workloads.sleep, (object(),), {}, TypeError),
        (workloads.sleep, (1,), {"python": "/no/such/python"}, ValueError),
        (workloads.sleep, (1,), {"timeout": -1}, ValueError),
    ],
)
def test_bad_arguments(func, args, kwargs, error):
    with pytest.raises(error):
        isolated(func, *args, **{"timeout": 10, **kwargs})


@pytest.mark.skipif(other_python() is None, reason="no other CPython minor version on PATH")
def test_runs_on_another_interpreter():
    result = isolated(run, "countdown", "sequential", 1, size=100_000, repeat=1, python=other_python(), timeout=60)
    assert result.python != THIS and result.python.startswith("3.")


def test_timeline_in_a_fresh_process():
    timeline = isolated(record_timeline, "countdown", 2, 500_000, switch_interval=0.001, timeout=60)
    assert isinstance(timeline, Timeline)
    assert timeline.threads == 2 and len(timeline.lanes) == 2 and timeline.switch_interval == 0.001
    with pytest.raises(ValueError, match="unknown timeline workload"):
        isolated(record_timeline, "primes", timeout=60)


def test_where_it_ran_survives_the_trip():
    info = isolated(environment.python_info, timeout=60)
    assert dataclasses.is_dataclass(info) and info == environment.python_info()


def test_env_sets_variables_in_the_worker_only():
    import os

    assert isolated(os.getenv, "GIL_COURSE_TEST_VARIABLE", env={"GIL_COURSE_TEST_VARIABLE": "on"}, timeout=60) == "on"
    assert "GIL_COURSE_TEST_VARIABLE" not in os.environ
    assert isolated(os.getenv, "HOME", env={"HOME": None}, timeout=60) is None  # None removes a variable
    assert "HOME" in os.environ
    with pytest.raises(TypeError, match="env must map"):
        isolated(os.getenv, "X", env={"X": 1}, timeout=60)


def test_a_free_threaded_build_runs_with_its_gil_on_when_asked():
    ft = environment.find_free_threaded_python()
    if ft is None:
        pytest.skip("no free-threaded interpreter found")
    assert isolated(environment.gil_enabled, python=ft, timeout=60) is False
    assert isolated(environment.gil_enabled, python=ft, env={"PYTHON_GIL": "1"}, timeout=60) is True
