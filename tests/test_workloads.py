import pickle

import pytest

from utils.engine import workloads
from utils.engine.workloads import WORKLOADS, check_size, get_workload, run_task


def test_registry_is_consistent():
    for name, w in WORKLOADS.items():
        assert w.name == name
        assert w.kind in {"cpu", "cpu-releases-gil", "io"}
        assert w.releases_gil == (w.kind != "cpu")
        assert w.default_size >= 1
        assert pickle.loads(pickle.dumps(w.func)) is w.func  # importable, so process pools can run it
    assert {"countdown", "primes", "sha256", "zlib", "sleep", "echo"} <= set(WORKLOADS)


def test_results_are_correct():
    assert workloads.countdown(1000) == 0
    assert workloads.primes(30) == 10  # 2 3 5 7 11 13 17 19 23 29
    assert workloads.primes(2) == 0
    import hashlib

    assert workloads.sha256(2, block=4096) == hashlib.sha256(bytes(8192)).hexdigest()
    assert workloads.zlib_compress(2) > 0
    assert workloads.sleep(1) == 1


def test_gil_threshold_constant_matches_the_docs():
    assert workloads.HASHLIB_GIL_MINSIZE == 2048


def test_run_task_records_time_and_cpu():
    record = run_task("countdown", 200_000)
    assert record["result"] == 0
    assert record["end"] >= record["start"]
    assert 0 < record["cpu"] <= (record["end"] - record["start"]) * 1.5 + 0.01
    sleeping = run_task("sleep", 30)
    assert sleeping["end"] - sleeping["start"] >= 0.03
    assert sleeping["cpu"] < 0.02


@pytest.mark.parametrize("name, error", [("nope", ValueError), (3, TypeError)])
def test_unknown_workloads_are_rejected(name, error):
    with pytest.raises(error, match="workload"):
        get_workload(name)


@pytest.mark.parametrize(
    "size, error",
    [(0, ValueError), (-5, ValueError), (1.5, TypeError), (True, TypeError), (10**12, ValueError), ("10", TypeError)],
)
def test_bad_sizes_are_rejected(size, error):
    with pytest.raises(error, match="size"):
        check_size(size)
    with pytest.raises(error, match="size"):
        run_task("countdown", size)
