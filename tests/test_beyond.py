import importlib.util
import json
import os
import sys
import time

import pytest

from utils.lessons import beyond
from utils.engine import environment, executors
from utils.lessons.beyond import (
    BACKPORT,
    STDLIB,
    FreeThreadedRun,
    SubinterpreterTour,
    dask_isolated,
    free_threaded_run,
    gil_option_probe,
    interpreters_module,
    run_on_dask,
    subinterpreter_tour,
    tour_isolated,
)
from utils.engine.executors import RunResult
from utils.engine.isolation import IsolatedRunError
from utils.lessons.races import RaceResult

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
    tour = tour_isolated(n=500, timeout=60)
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
    assert tour.received == tour.sent + [4] and tour.sent_after == tour.sent  # a copy went over
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


@pytest.mark.parametrize("kwargs, error", [({"n": 0}, ValueError), ({"n": "5"}, TypeError),
                                           ({"timeout": -1}, ValueError), ({"timeout": "1"}, TypeError)])
def test_tour_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        subinterpreter_tour(**kwargs)


# --- the free-threaded build ----------------------------------------------------------------


@pytest.mark.parametrize("via", ["option", "env"])
def test_gil_option_does_what_the_docs_say(via):
    on, off = gil_option_probe(1, via=via), gil_option_probe(0, via=via)
    if sys.version_info < (3, 13):  # an unknown -X option is ignored; PYTHON_GIL means nothing
        assert on.started and off.started and on.gil_enabled is None and off.gil_enabled is None
    elif environment.free_threaded_build():
        assert on.started and on.gil_enabled is True
        assert off.started and off.gil_enabled is False
    else:
        assert on.started and on.gil_enabled is True
        assert not off.started and "not supported by this build" in off.error
        assert "refused" in off.describe()


@pytest.mark.parametrize("kwargs, error", [
    ({"gil": 2}, ValueError), ({"gil": True}, ValueError), ({"gil": 0, "via": "flag"}, ValueError),
    ({"gil": 0, "python": "/no/such/python"}, ValueError), ({"gil": 0, "timeout": 0}, ValueError),
])
def test_gil_probe_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        gil_option_probe(**kwargs)


def test_no_free_threaded_python_says_how_to_get_one(monkeypatch):
    monkeypatch.setattr(environment, "find_free_threaded_python", lambda: None)
    run = free_threaded_run()
    assert run == FreeThreadedRun(found=False)
    assert "GIL_COURSE_PYTHON" in run.describe() and "No free-threaded Python" in run.describe()


def test_found_interpreter_runs_the_experiment_and_the_races(monkeypatch):
    # No free-threaded build here: stand this interpreter in for it and check the structure.
    monkeypatch.setattr(environment, "find_free_threaded_python", lambda: sys.executable)
    run = free_threaded_run(size=200_000, repeat=2, race_iterations=20_000, timeout=60)
    assert run.found and run.python == sys.executable
    result = run.result
    assert isinstance(result, RunResult) and result.available
    assert (result.executor, result.workers, len(result.wall_times)) == ("threads", 2, 2)
    assert result.python == THIS and result.free_threaded == environment.free_threaded_build()
    assert [r.variant for r in run.races] == ["plain", "append"]
    assert all(isinstance(r, RaceResult) and r.expected == 4 * 20_000 for r in run.races)
    assert run.races[1].lost == 0  # list.append never loses an item, GIL or per-object lock
    text = run.describe()
    assert os.path.basename(sys.executable) in text and "threads" in text and "append" in text
    assert "(this kernel itself)" in text


@pytest.mark.parametrize("kwargs, error", [({"workers": 0}, ValueError), ({"python": 5}, TypeError),
                                           ({"workload": "nope"}, ValueError), ({"repeat": 0}, ValueError)])
def test_free_threaded_run_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        free_threaded_run(**kwargs)


# --- dask.distributed -----------------------------------------------------------------------


def test_dask_runs_the_same_tasks_and_reports_a_run_result():
    result = dask_isolated("countdown", 2, size=200_000, repeat=2, timeout=120)
    assert result.available and result.executor == "dask" and result.python == THIS
    assert (result.workers, result.tasks, len(result.wall_times), len(result.cpu_times)) == (2, 2, 2, 2)
    assert result.cpu > 0 and len(result.task_spans) == 2
    assert all(0 <= start <= end for start, end in result.task_spans)
    # A cluster of worker processes costs far more to start than a thread pool.
    threads = executors.run("sleep", "threads", 2, size=1, repeat=1)
    assert result.startup > threads.startup
    assert RunResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_dask_gives_up_at_its_own_timeout():
    # A 60 s task with run_timeout=0.5: run_on_dask raises TimeoutError (and closes its cluster)
    # long before the process's own 90 s limit would kill it.
    start = time.perf_counter()
    with pytest.raises(IsolatedRunError, match="raised TimeoutError"):
        dask_isolated("sleep", 1, size=60_000, repeat=1, timeout=90, run_timeout=0.5)
    assert time.perf_counter() - start < 60


@pytest.mark.parametrize("kwargs, error", [
    ({"workload": "echo"}, ValueError), ({"workload": "nope"}, ValueError), ({"workers": 0}, ValueError),
    ({"size": 0}, ValueError), ({"repeat": "3"}, TypeError), ({"address": 8786}, TypeError),
    ({"timeout": 0}, ValueError),
])
def test_dask_rejects_bad_arguments_before_starting_anything(kwargs, error):
    with pytest.raises(error):
        run_on_dask(**kwargs)
