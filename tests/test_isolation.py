import os
import sys
import time

import pytest

from utils.engine.isolation import IsolatedRunError, call_isolated, run_isolated, timeline_isolated

PYENV = "/root/.pyenv/versions"
THIS = ".".join(map(str, sys.version_info[:3]))
# Another CPython, if this machine has one (pyenv here); the test is skipped elsewhere.
OTHER_PYTHONS = [f"{PYENV}/{v}/bin/python" for v in ("3.12.1", "3.10.13") if v != THIS and os.path.exists(f"{PYENV}/{v}/bin/python")]


def test_returns_the_same_result_data_as_in_process():
    result = run_isolated("countdown", "threads", 2, size=200_000, repeat=2, timeout=60)
    assert result.available and result.executor == "threads" and len(result.wall_times) == 2
    assert result.python == ".".join(map(str, sys.version_info[:3]))


def test_errors_in_the_worker_name_their_cause():
    with pytest.raises(IsolatedRunError, match="ValueError: unknown workload 'nope'"):
        run_isolated("nope", timeout=60)


def test_a_hung_worker_is_killed_at_the_timeout():
    start = time.perf_counter()
    with pytest.raises(IsolatedRunError, match="did not finish within 1 s"):
        call_isolated("utils.engine.workloads:sleep", {"size": 30_000}, timeout=1)
    assert time.perf_counter() - start < 15


def test_a_crashed_worker_is_reported():
    with pytest.raises(IsolatedRunError, match="worker process .* failed"):
        call_isolated("utils.engine.workloads:sleep", {"size": 1}, python="/bin/false", timeout=10)


@pytest.mark.parametrize(
    "target, kwargs, python, error",
    [
        ("no-colon", {}, None, ValueError),
        ("utils.engine.workloads:sleep", [], None, TypeError),
        ("utils.engine.workloads:sleep", {"size": object()}, None, TypeError),
        ("utils.engine.workloads:sleep", {"size": 1}, "/no/such/python", ValueError),
    ],
)
def test_bad_arguments(target, kwargs, python, error):
    with pytest.raises(error):
        call_isolated(target, kwargs, python=python, timeout=10)


@pytest.mark.parametrize("python", OTHER_PYTHONS[:1] or [None])
def test_runs_on_another_interpreter(python):
    if python is None:
        pytest.skip("no other CPython found at the pyenv paths")
    result = run_isolated("countdown", "sequential", 1, size=100_000, repeat=1, python=python, timeout=60)
    assert result.python != THIS and python.split("/")[-3] == result.python


def test_timeline_in_a_fresh_process():
    timeline = timeline_isolated("countdown", 2, 500_000, switch_interval=0.001, timeout=60)
    assert timeline.threads == 2 and len(timeline.lanes) == 2 and timeline.switch_interval == 0.001
    with pytest.raises(IsolatedRunError, match="unknown timeline workload"):
        timeline_isolated("primes", timeout=60)
