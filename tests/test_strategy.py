import os
import re
import subprocess
import sys

import pytest

from utils.course import LESSONS
from utils.engine.environment import find_free_threaded_python, probe_python
from utils.engine.executors import EXECUTORS, RunResult, available_executors
from utils.lessons.strategy import (
    NEEDS,
    STRATEGIES,
    WORKS,
    Advisor,
    Recommendation,
    decision_table,
    describe,
    headline,
    interpret,
    recommend,
    run_all,
)

COPYING = {"processes", "subinterpreters", "cluster"}
LESSON_NUMBERS = {lesson.number for lesson in LESSONS}
THIS = ".".join(map(str, sys.version_info[:3]))


def other_python():
    """A free-threaded interpreter other than this one (found, not hard-coded), or None."""
    found = find_free_threaded_python()
    if found is None or os.path.realpath(found) == os.path.realpath(sys.executable):
        return None
    return found


ALL_NEED_SETS = [(), *((n,) for n in NEEDS), tuple(NEEDS)]


def keys(advice):
    return [r.strategy for r in advice]


# --- the guide -------------------------------------------------------------------------------


@pytest.mark.parametrize("work", WORKS)
@pytest.mark.parametrize("needs", ALL_NEED_SETS)
def test_every_answer_is_a_ranked_list_of_known_strategies(work, needs):
    advice = recommend(work, needs)
    assert advice and all(isinstance(r, Recommendation) for r in advice)
    assert all(r.strategy in STRATEGIES and r.lesson in LESSON_NUMBERS and r.why for r in advice)
    assert len(set(keys(advice))) == len(advice), "a strategy is recommended twice"
    assert advice == recommend(work, list(reversed(needs)) + list(needs)), "order and repeats of needs matter"


@pytest.mark.parametrize(
    "work, first",
    [
        ("cpu-python", "processes"),
        ("cpu-c-releases-gil", "threads"),
        ("io-few", "threads"),
        ("io-many", "asyncio"),
        ("io-and-cpu", "asyncio"),
    ],
)
def test_first_choice_without_needs(work, first):
    assert recommend(work)[0].strategy == first


def test_threads_are_never_advised_for_python_code_with_a_gil():
    for needs in ALL_NEED_SETS:
        assert "threads" not in keys(recommend("cpu-python", needs))


def test_unready_extensions_rule_out_subinterpreters_and_free_threading():
    for work in WORKS:
        advice = keys(recommend(work, ["unready-extensions", "shared-state"]))
        assert "subinterpreters" not in advice and "free-threaded" not in advice
    assert {"subinterpreters", "free-threaded"} <= set(keys(recommend("cpu-python")))


@pytest.mark.parametrize("need, word", [("shared-state", "share no objects"), ("large-data", "pickled")])
def test_copying_strategies_go_last_with_a_reason(need, word):
    for work in WORKS:
        advice = recommend(work, [need])
        copying = [i for i, r in enumerate(advice) if r.strategy in COPYING]
        others = [i for i, r in enumerate(advice) if r.strategy not in COPYING]
        assert not others or not copying or max(others) < min(copying), (work, keys(advice))
        assert all(word in advice[i].why for i in copying)
        assert all(word not in r.why for r in recommend(work))


def test_shared_state_in_python_code_points_to_free_threading():
    advice = recommend("cpu-python", ["shared-state"])
    assert advice[0].strategy == "free-threaded" and "lock" in advice[0].why


def test_short_jobs_start_with_sequential_and_push_start_up_back():
    advice = keys(recommend("cpu-python", ["short-job"]))
    assert advice[0] == "sequential" and advice[-1] == "processes"
    assert "sequential" not in keys(recommend("io-many", ["short-job"]))


def test_many_machines_puts_a_cluster_first_for_every_work():
    for work in WORKS:
        assert recommend(work, ["many-machines"])[0].strategy == "cluster"
        assert "cluster" not in keys(recommend(work))


@pytest.mark.parametrize(
    "work, needs, error",
    [
        ("gpu", (), ValueError),
        (3, (), TypeError),
        ("cpu-python", "shared-state", TypeError),
        ("cpu-python", ["speed"], ValueError),
        ("cpu-python", [1], TypeError),
        ("cpu-python", None, TypeError),
    ],
)
def test_bad_questions_are_rejected(work, needs, error):
    with pytest.raises(error):
        recommend(work, needs)


def test_describe_and_headline():
    advice = recommend("cpu-python")
    lines = describe(advice).splitlines()
    assert len(lines) == len(advice)
    assert lines[0] == f"1. processes: {advice[0].why} (lesson 08)"
    assert headline(advice).startswith("First choice: processes (lesson 08). Also consider: subinterpreters")
    assert headline([]) == "No recommendation."
    with pytest.raises(TypeError):
        describe([("processes", "why", 8)])


def test_decision_table_has_a_row_per_strategy_with_real_lessons():
    rows = decision_table().splitlines()
    assert len(rows) == 2 + len(STRATEGIES)
    for row, strategy in zip(rows[2:], STRATEGIES.values()):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 5 and cells[0] == strategy.title
        assert int(cells[4]) in LESSON_NUMBERS


# --- the advisor -----------------------------------------------------------------------------


def test_advisor_label_follows_the_widgets():
    advisor = Advisor()
    assert advisor.label.value == headline(recommend("cpu-python"))
    advisor.work.value = "io-many"
    assert advisor.label.value.startswith("First choice: asyncio")
    advisor.needs["many-machines"].value = True
    assert advisor.chosen_needs() == ("many-machines",)
    assert advisor.label.value.startswith("First choice: cluster")
    order = [m.group(1) for m in re.finditer(r"<li><b>([\w-]+)</b>", advisor.details.value)]
    assert order == keys(recommend("io-many", ["many-machines"]))
    advisor.needs["many-machines"].value = False
    assert advisor.label.value == headline(recommend("io-many"))


def test_advisor_starts_from_its_arguments_and_rejects_bad_ones():
    advisor = Advisor("cpu-python", needs=["shared-state"])
    assert advisor.needs["shared-state"].value and advisor.label.value.startswith("First choice: free-threaded")
    with pytest.raises(ValueError):
        Advisor("gpu")
    with pytest.raises(ValueError):
        Advisor(needs=["speed"])


# --- the capstone ----------------------------------------------------------------------------


def test_run_all_runs_every_available_executor_in_order_baseline_first():
    results = run_all("sleep", 2, size=10, repeat=1, timeout=60)
    assert [r.executor for r in results] == available_executors()
    assert all(r.available and len(r.wall_times) == 1 and r.python == THIS for r in results)


def test_run_all_always_starts_with_sequential():
    results = run_all("countdown", 2, size=20_000, repeat=2, executors=["threads", "threads"], timeout=60)
    assert [r.executor for r in results] == ["sequential", "threads"]
    assert all(len(r.wall_times) == 2 for r in results)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(executors="threads"), TypeError),
        (dict(executors=["gpu"]), ValueError),
        (dict(workers=0), ValueError),
        (dict(repeat=0), ValueError),
        (dict(timeout=0), ValueError),
        (dict(workload="nope"), ValueError),
        (dict(size=0), ValueError),
    ],
)
def test_run_all_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        run_all(**{"size": 10, "executors": ["threads"], **kwargs})


def test_run_all_on_another_interpreter_tries_every_executor():
    python = other_python()
    if python is None:
        pytest.skip("no free-threaded interpreter other than this one was found")
    results = run_all("sleep", 1, size=10, repeat=1, python=python, timeout=60)
    assert [r.executor for r in results] == list(EXECUTORS)
    assert {(r.python, r.free_threaded) for r in results} == {(probe_python(python).version, True)}
    # Whether that interpreter has subinterpreter pools, asked independently of utils.engine.executors: 3.14+,
    # or the interpreters-pep-734 backport with the _interpreters module it runs on (built in from 3.13).
    probe = (
        "import importlib.util as u, sys; print(sys.version_info >= (3, 14) or ("
        "u.find_spec('interpreters_backport') is not None and u.find_spec('_interpreters') is not None))"
    )
    has_pools = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60).stdout.strip()
    assert has_pools in ("True", "False")
    assert results[-1].label == "interpreters" and results[-1].available == (has_pools == "True")
    assert all(r.available for r in results[:-1])


def fake(executor, wall, cpu, **extra):
    return RunResult(
        "primes",
        executor,
        2,
        2,
        100,
        2,
        wall_times=[wall, wall],
        cpu_times=[cpu, cpu],
        python="3.99.0",
        cpu_count=2,
        **extra,
    )


def test_interpret_computes_its_numbers_from_the_results():
    text = interpret(
        [
            fake("sequential", 1.0, 1.0),
            fake("threads", 1.0, 1.0, startup=0.02),
            fake("processes", 0.5, 1.0, start_method="fork"),
            fake("interpreters", 0.0, 0.0, available=False, reason="needs 3.14"),
        ]
    )
    lines = text.splitlines()
    assert lines[0] == "primes, 2 tasks on 2 workers, Python 3.99.0 (standard build), 2 usable CPUs, GIL on."
    assert "threads: speedup 1.00x, effective parallelism 1.00 (about one CPU" in lines[2]
    assert lines[2].endswith("pool ready in 20 ms") and "pool ready" not in lines[1]
    assert "processes (fork): speedup 2.00x, effective parallelism 2.00 (more than one CPU" in lines[3]
    assert lines[4] == "- interpreters: not available here (needs 3.14)"
    assert lines[5] == "Fastest here: processes (fork), 0.500 s per repeat against 1.000 s sequential."
    assert "less than one CPU" in interpret([fake("sequential", 1.0, 0.3)])


@pytest.mark.parametrize(
    "results, error",
    [
        ([], TypeError),
        ("x", TypeError),
        ([object()], TypeError),
        ([fake("sequential", 1.0, 1.0, available=False)], ValueError),
        ([fake("sequential", 1.0, 1.0), fake("threads", 0.5, 1.0, free_threaded=True, gil_enabled=False)], ValueError),
    ],
)
def test_interpret_rejects_bad_results(results, error):
    with pytest.raises(error):
        interpret(results)


def test_free_threaded_threads_are_measured_like_the_other_executors():
    python = find_free_threaded_python()
    if python is None:
        pytest.skip("no free-threaded interpreter found")
    results = run_all("countdown", 2, size=200_000, repeat=2, executors=["threads"], python=python, timeout=60)
    assert [r.executor for r in results] == ["sequential", "threads"]
    threads = results[1]
    assert threads.free_threaded and not threads.gil_enabled, "the course's workloads import no GIL-enabling module"
    assert 0 < threads.parallelism < threads.workers + 0.2, threads.summary()
    assert (
        interpret(results).splitlines()[0].endswith(f"(free-threaded build), {threads.cpu_count} usable CPUs, GIL off.")
    )
