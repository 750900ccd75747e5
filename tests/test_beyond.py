import concurrent.futures
import importlib.util
import json
import sys
import threading
import time

import pytest

from utils.engine import executors
from utils.engine.executors import RunResult
from utils.engine.isolation import IsolatedTimeout, isolated
from utils.lessons import beyond
from utils.lessons.beyond import (
    BACKPORT,
    STDLIB,
    CannotCross,
    PoolSpy,
    SubinterpreterTour,
    TracedTask,
    interpreters_module,
    run_on_dask,
    subinterpreter_tour,
    task_value,
    try_pool_function,
)

THIS = ".".join(map(str, sys.version_info[:3]))


# --- subinterpreters ------------------------------------------------------------------------


def test_interpreters_module_matches_the_executor():
    module, api = interpreters_module()
    assert (module is None) == (executors.interpreter_pool_class() is None)
    if module is None:
        assert api == ""
    else:
        assert api == (STDLIB if sys.version_info >= (3, 14) else BACKPORT)
        assert callable(module.create) and callable(module.create_queue)


def test_tour_shows_what_crosses_between_interpreters():
    tour = isolated(subinterpreter_tour, n=500, timeout=60)
    assert SubinterpreterTour.from_dict(json.loads(json.dumps(tour.to_dict()))) == tour
    if executors.interpreter_pool_class() is None:
        assert not tour.available and "3.14" in tour.reason
        assert "not available" in tour.describe()
        if importlib.util.find_spec(BACKPORT) is not None:  # 3.12: installed, but no _interpreters to build on
            assert sys.version_info < (3, 13) and "does not import" in tour.reason
        return
    assert tour.available and tour.api in (STDLIB, BACKPORT)
    assert tour.computed == tour.expected == sum(range(500))
    assert tour.sub_id != tour.main_id
    assert not tour.sub_sees_main_imports and not tour.main_sees_sub_global
    assert tour.received == [*tour.sent, 4] and tour.sent_after == tour.sent  # a copy went over
    assert tour.shared_byte == 255  # the memoryview's buffer is shared
    assert {name for name, ok in tour.shareable.items() if not ok} == {"list", "dict"}
    if tour.extension_message != f"{beyond.EXTENSION_EXAMPLE} is not installed here":
        assert tour.extension_error == "ImportError"
        assert "does not support loading in subinterpreters" in tour.extension_message
    text = tour.describe()
    assert tour.api in text and "[1, 2, 3, 4]" in text


def test_tour_unavailable_is_reported_not_raised(monkeypatch):
    monkeypatch.setattr(beyond, "interpreters_module", lambda: (None, ""))
    tour = subinterpreter_tour()
    assert not tour.available and tour.computed == -1


@pytest.mark.parametrize(
    "kwargs, error",
    [({"n": 0}, ValueError), ({"n": "5"}, TypeError), ({"timeout": -1}, ValueError), ({"timeout": "1"}, TypeError)],
)
def test_tour_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        subinterpreter_tour(**kwargs)


def test_the_facts_assignment_11_task_3_asks_about():
    module, _ = interpreters_module()
    if module is None:
        pytest.skip("no subinterpreters from Python code on this Python (3.13 with the backport, or 3.14+)")
    assert all(module.is_shareable(obj) for obj in [(1, "a", None), b"data", 2.5, memoryview(bytearray(4))])
    assert not module.is_shareable({"a": 1})


# --- the stand-in for InterpreterPoolExecutor (assignment 11) -----------------------------------


def _reference(pool_class, func, items, workers, timeout):
    with pool_class(max_workers=workers) as pool:
        futures = [pool.submit(func, item) for item in items]
        return [future.result(timeout=timeout) for future in futures]


def test_the_stand_in_gives_what_the_real_pool_gives():
    items = [10, 200, 3000]
    spy, func = PoolSpy(), TracedTask()
    assert _reference(spy.pool_class, func, items, 2, 30) == [task_value(n) for n in items]
    assert func.calls_here == []  # what ran in the workers was a copy
    assert [p.max_workers for p in spy.pools] == [2] and spy.pools[0].submitted == items and spy.pools[0].shut_down
    real = executors.interpreter_pool_class()
    if real is None:
        pytest.skip("no InterpreterPoolExecutor on this Python to compare the stand-in with")
    real_func = TracedTask()
    assert _reference(real, real_func, items, 2, 60) == [task_value(n) for n in items]
    assert real_func.calls_here == []


def test_the_stand_in_passes_copies_and_refuses_what_cannot_cross():
    spy = PoolSpy()
    with spy.pool_class(1) as pool:
        here = [1, 2]
        assert pool.submit(here.append, 3).result(timeout=10) is None
        assert here == [1, 2]  # the list was pickled: the worker appended to its copy
        seen = pool.submit(sorted, [3, 1, 2]).result(timeout=10)
        offset = 1
        for task, args in [(lambda: 1, ()), (lambda n: n + offset, (1,)), (len, (threading.Lock(),))]:
            with pytest.raises(CannotCross):
                pool.submit(task, *args)
    assert seen == [1, 2, 3] and len(spy.crossing_errors) == 3 and "<lambda>" in spy.crossing_errors[0]


def test_the_stand_in_refuses_functions_of_main():
    def local(n):
        return n

    local.__module__ = "__main__"  # as if defined in a notebook
    with PoolSpy().pool_class(1) as pool, pytest.raises(CannotCross, match="__main__"):
        pool.submit(local, 1)


def test_the_stand_in_finishes_tasks_in_the_order_of_its_delays():
    spy = PoolSpy(delays=[0.3, 0.2, 0.1, 0.0])
    with spy.pool_class(1) as pool:
        futures = [pool.submit(task_value, n) for n in range(4)]
        finished = list(concurrent.futures.as_completed(futures, timeout=30))
    assert finished == futures[::-1]


def test_try_pool_function_records_a_right_answer_and_a_timeout():
    run = try_pool_function(_reference, workers=3, tasks=5, seed=1)
    assert run.finished and not run.error and run.returned == run.expected and len(run.expected) == 5
    assert [p.max_workers for p in run.pools] == [3] and run.submitted == run.items and run.pools[0].shut_down
    slow = try_pool_function(_reference, workers=1, timeout=0.2, slow=0.6, seed=1)
    assert slow.finished and slow.timed_out and slow.returned is None


def test_try_pool_function_gives_up_on_a_function_that_hangs():
    start = time.perf_counter()
    run = try_pool_function(lambda *args: time.sleep(3), limit=0.3)
    assert not run.finished and time.perf_counter() - start < 2.5


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"function": None}, TypeError),
        ({"workers": 0}, ValueError),
        ({"timeout": 0}, ValueError),
        ({"slow": -1}, ValueError),
        ({"tasks": "3"}, TypeError),
        ({"limit": 0}, ValueError),
    ],
)
def test_try_pool_function_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        try_pool_function(**{"function": _reference, **kwargs})


def test_pool_spy_rejects_bad_delays_and_pool_sizes():
    with pytest.raises(ValueError):
        PoolSpy(delays=[-1])
    with pytest.raises(ValueError):
        PoolSpy().pool_class(max_workers=0)


# --- dask.distributed -----------------------------------------------------------------------


def test_dask_runs_the_same_tasks_and_reports_a_run_result():
    result = isolated(run_on_dask, "countdown", 2, size=200_000, repeat=2, timeout=120)
    assert result.available and result.executor == "dask" and result.python == THIS
    assert (result.workers, result.tasks, len(result.wall_times), len(result.cpu_times)) == (2, 2, 2, 2)
    assert result.cpu > 0 and len(result.task_spans) == 2
    assert all(0 <= start <= end for start, end in result.task_spans)
    # A cluster of worker processes costs far more to start than a thread pool.
    threads = executors.run("sleep", "threads", 2, size=1, repeat=1)
    assert result.startup > threads.startup
    assert RunResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_dask_gives_up_at_its_own_timeout():
    # A 60 s task with the function's own timeout=0.5: run_on_dask raises TimeoutError (and closes
    # its cluster), which comes back as itself, long before the worker's own 90 s limit would kill it.
    start = time.perf_counter()
    with pytest.raises(TimeoutError) as raised:
        isolated(run_on_dask, "sleep", 1, size=60_000, repeat=1, run_timeout=0.5, timeout=90)
    assert not isinstance(raised.value, IsolatedTimeout), "run_on_dask's own time-out, not the worker's"
    assert time.perf_counter() - start < 60


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"workload": "echo"}, ValueError),
        ({"workload": "nope"}, ValueError),
        ({"workers": 0}, ValueError),
        ({"size": 0}, ValueError),
        ({"repeat": "3"}, TypeError),
        ({"address": 8786}, TypeError),
        ({"run_timeout": 0}, ValueError),
    ],
)
def test_dask_rejects_bad_arguments_before_starting_anything(kwargs, error):
    with pytest.raises(error):
        run_on_dask(**kwargs)
