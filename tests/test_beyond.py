import importlib.util
import json
import sys
import time

import pytest

from utils.engine import executors
from utils.engine.executors import RunResult
from utils.engine.isolation import IsolatedTimeout, isolated
from utils.lessons import beyond
from utils.lessons.beyond import (
    BACKPORT,
    STDLIB,
    SubinterpreterTour,
    interpreters_module,
    run_on_dask,
    subinterpreter_tour,
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
