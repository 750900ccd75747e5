import sys

import pytest

from utils import release
from utils.environment import gil_enabled
from utils.release import (
    HASHLIB_GIL_MINSIZE,
    OPERATIONS,
    Probe,
    ThreadRun,
    get_operation,
    hash_block_sweep,
    libc_path,
    measure_isolated,
    measure_threads,
    plot_block_sweep,
    probe,
    probe_isolated,
)

needs_gil = pytest.mark.skipif(not gil_enabled(), reason="the GIL is off: every thread runs whenever it likes")
needs_libc = pytest.mark.skipif(libc_path() is None, reason="no C library with usleep for ctypes here")
FAST = 0.2  # seconds a probe of a call that holds the GIL lasts in these tests


# --- operations ----------------------------------------------------------------------------


def test_operations_are_named_and_documented():
    for name, op in OPERATIONS.items():
        assert op.name == name and op.source and op.unit
        assert op.label(10) and "{" not in op.label(10)
    assert get_operation("sha256").expected(HASHLIB_GIL_MINSIZE - 1) is False
    assert get_operation("sha256").expected(HASHLIB_GIL_MINSIZE) is True
    assert get_operation("numpy").expected(500) is False and get_operation("numpy").expected(501) is True
    assert get_operation("matmul").expected(100) is None


@pytest.mark.parametrize("name, error", [("nope", ValueError), (3, TypeError), (None, TypeError)])
def test_unknown_operations_are_rejected(name, error):
    with pytest.raises(error, match="operation"):
        get_operation(name)


@pytest.mark.parametrize(
    "operation, size, error",
    [("sha256", 0, ValueError), ("sha256", 2.5, TypeError), ("sha256", True, TypeError),
     ("python", 10**8, ValueError), ("nope", 10, ValueError)],
)
def test_bad_sizes_are_rejected_before_anything_runs(operation, size, error):
    with pytest.raises(error):
        probe(operation, size, seconds=FAST)
    with pytest.raises(error):
        measure_threads(operation, size, calls=1)


# --- probes --------------------------------------------------------------------------------


@needs_gil
@pytest.mark.parametrize(
    "operation, size, released",
    [("python", 10_000, False), ("zlib", 64 * 1024, True),
     ("sha256", HASHLIB_GIL_MINSIZE - 1, False), ("sha256", HASHLIB_GIL_MINSIZE, True), ("sha256", 1 << 20, True),
     ("numpy", 500, False), ("numpy", 501, True), ("numpy-object", 1000, False)],
)
def test_probe_tells_whether_a_call_releases_the_gil(operation, size, released):
    result = probe(operation, size, seconds=FAST)
    assert result.available and result.other_thread_ran is released
    assert result.agrees and result.calls >= 1
    if not released:  # held for the whole probe: it ran until its time was up
        assert result.seconds >= FAST
    assert ("yes" if released else "no") in result.describe()


@needs_gil
@needs_libc
def test_ctypes_cdll_releases_the_gil_and_pydll_does_not():
    assert probe("cdll-usleep", 1000, seconds=FAST).other_thread_ran
    assert not probe("pydll-usleep", 1000, seconds=FAST).other_thread_ran


def test_probe_restores_the_switch_interval():
    before = sys.getswitchinterval()
    probe("python", 1000, seconds=0.05)
    assert sys.getswitchinterval() == before


@pytest.mark.parametrize("seconds", [0, -1, 5.0, "1"])
def test_bad_probe_durations_are_rejected(seconds):
    with pytest.raises((TypeError, ValueError), match="seconds"):
        probe("python", 1000, seconds=seconds)


def test_probe_describe_is_stable_text():
    held = Probe("sha256", 256, "hashlib sha256 update, 256-byte blocks", other_thread_ran=False, calls=123_456,
                 seconds=0.5, expected=False)
    assert held.describe().endswith("no: the GIL was held") and "123" not in held.describe()
    missing = Probe("cdll-usleep", 10, "usleep", available=False, reason="OSError: no libc")
    assert "not available: OSError: no libc" in missing.describe() and missing.agrees


def test_agrees_compares_with_the_documented_behaviour():
    base = dict(operation="sha256", size=4096, label="x", expected=True)
    assert Probe(**base, other_thread_ran=True).agrees
    assert not Probe(**base, other_thread_ran=False).agrees
    no_gil = dict(base, expected=False, gil_enabled=False)
    assert Probe(**no_gil, other_thread_ran=True).agrees  # without a GIL the other thread always runs
    assert Probe("matmul", 10, "x", expected=None, other_thread_ran=False).agrees


def test_probe_data_round_trips_and_rejects_unknown_fields():
    result = Probe("python", 10, "x", other_thread_ran=True, calls=3)
    assert Probe.from_dict(result.to_dict()) == result
    with pytest.raises(ValueError, match="unknown Probe fields"):
        Probe.from_dict({**result.to_dict(), "colour": "red"})
    with pytest.raises(TypeError):
        Probe.from_dict([1, 2])


def test_a_missing_c_library_makes_the_operation_unavailable_not_an_error(monkeypatch):
    monkeypatch.setattr(release, "libc_path", lambda: None)
    result = probe("cdll-usleep", 1000, seconds=FAST)
    assert not result.available and "no C library" in result.reason
    run = measure_threads("pydll-usleep", 1000, calls=1)
    assert not run.available and run.wall_times == [] and "not available" in run.summary()


@needs_gil
def test_probe_isolated_runs_all_checks_in_one_fresh_process():
    probes = probe_isolated([("python", 1000), ("sha256", 1 << 16)], seconds=FAST, timeout=60)
    assert [p.operation for p in probes] == ["python", "sha256"]
    assert [p.other_thread_ran for p in probes] == [False, True]
    assert all(p.agrees for p in probes)


@pytest.mark.parametrize(
    "checks, error",
    [([], ValueError), ("sha256", TypeError), ([("sha256",)], TypeError), ([("sha256", 0)], ValueError),
     ([("nope", 10)], ValueError)],
)
def test_bad_probe_lists_are_rejected_before_starting_a_process(checks, error):
    with pytest.raises(error):
        probe_isolated(checks)


# --- timings -------------------------------------------------------------------------------


def test_measure_threads_returns_one_timing_per_repeat():
    run = measure_threads("sha256", 1 << 16, calls=16, threads=2, repeat=3)
    assert run.available and len(run.wall_times) == len(run.cpu_times) == 3
    assert run.wall > 0 and run.cpu > 0 and run.parallelism > 0 and run.spread >= 0
    assert "effective parallelism" in run.summary() and run.label.startswith("hashlib")
    assert ThreadRun.from_dict(run.to_dict()) == run


@needs_gil
def test_pure_python_threads_never_use_much_more_than_one_cpu():
    run = measure_threads("python", 200_000, calls=5, threads=2, repeat=3)
    assert run.parallelism < 1.3  # the GIL: one thread at a time (plus a little bookkeeping)


@needs_gil
@needs_libc
def test_cdll_sleeps_overlap_and_pydll_sleeps_queue():
    sleep = 0.1
    cdll = measure_threads("cdll-usleep", int(sleep * 1e6), calls=1, threads=2, repeat=3)
    pydll = measure_threads("pydll-usleep", int(sleep * 1e6), calls=1, threads=2, repeat=3)
    assert cdll.wall < 1.5 * sleep  # both sleeps at once
    assert pydll.wall >= 1.95 * sleep  # one after the other: the GIL is held while sleeping


def test_blas_limit_is_applied_and_undone():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    pytest.importorskip("numpy")

    def blas_threads():
        return [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]

    before = blas_threads()
    if not before:
        pytest.skip("numpy has no BLAS that threadpoolctl can see")
    limits = release._blas_limits(1)
    assert blas_threads() == [1] * len(before)
    limits.unregister()
    assert blas_threads() == before
    assert release._blas_limits(None) is None


def test_a_slow_run_times_out():
    with pytest.raises(TimeoutError, match="did not finish"):
        measure_threads("python", 10**6, calls=10, threads=1, repeat=1, timeout=0.01)


@pytest.mark.parametrize(
    "kwargs, error",
    [(dict(calls=0), ValueError), (dict(threads=0), ValueError), (dict(repeat=0), ValueError),
     (dict(blas_threads=0), ValueError), (dict(timeout=0), ValueError), (dict(calls=1.5), TypeError)],
)
def test_bad_measurement_arguments_are_rejected(kwargs, error):
    with pytest.raises(error):
        measure_threads(**{"operation": "python", "size": 10, "calls": 1, **kwargs})


@pytest.mark.parametrize(
    "specs, error",
    [([], ValueError), ({"operation": "python"}, TypeError), ([["python", 10, 1]], TypeError),
     ([dict(operation="python", size=10)], ValueError), ([dict(operation="python", size=10, calls=1, colour=1)], ValueError)],
)
def test_bad_spec_lists_are_rejected_before_starting_a_process(specs, error):
    with pytest.raises(error):
        measure_isolated(specs)


def test_block_sweep_keeps_the_order_and_hashes_the_same_bytes_per_block():
    runs = hash_block_sweep(blocks=(4096, 1024), total_bytes=1 << 20, threads=2, repeat=1, timeout=60)
    assert [r.size for r in runs] == [4096, 1024]
    assert [r.size * r.calls for r in runs] == [1 << 20, 1 << 20]
    assert all(r.available and r.threads == 2 and len(r.wall_times) == 1 for r in runs)


@pytest.mark.parametrize("blocks", [4096, [], "4096"])
def test_block_sweep_rejects_bad_blocks(blocks):
    with pytest.raises(TypeError, match="blocks"):
        hash_block_sweep(blocks=blocks)


def test_block_sweep_rejects_blocks_larger_than_the_data():
    with pytest.raises(ValueError, match="block"):
        hash_block_sweep(blocks=[2 << 20], total_bytes=1 << 20)


# --- plot ----------------------------------------------------------------------------------


def _sha_run(size, parallelism):
    return ThreadRun("sha256", size, 10, 2, 1, label="x", wall_times=[1.0], cpu_times=[parallelism],
                     python="3.x", cpu_count=2)


def test_plot_has_one_bar_per_block_and_marks_the_threshold():
    import matplotlib

    matplotlib.use("Agg")
    fig = plot_block_sweep([_sha_run(4096, 1.9), _sha_run(1024, 1.0), _sha_run(2048, 1.5)], show=False)
    ax = fig.axes[0]
    assert [round(p.get_height(), 2) for p in ax.patches] == [1.0, 1.5, 1.9]  # sorted by block size
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1,024", "2,048", "4,096"]
    assert any(list(l.get_xdata()) == [0.5, 0.5] for l in ax.get_lines())  # between 1,024 and 2,048
    assert "Python 3.x" in ax.get_title() and "2 CPUs" in ax.get_title()


def test_plot_has_no_threshold_line_when_all_blocks_are_on_one_side():
    import matplotlib

    matplotlib.use("Agg")
    fig = plot_block_sweep([_sha_run(4096, 1.9), _sha_run(8192, 1.9)], show=False)
    assert not any(l.get_linestyle() == "--" for l in fig.axes[0].get_lines())


@pytest.mark.parametrize("runs", [[], _sha_run(1024, 1.0), [ThreadRun("zlib", 10, 1, 2, 1)], ["x"]])
def test_plot_rejects_anything_but_sha256_runs(runs):
    with pytest.raises(TypeError):
        plot_block_sweep(runs, show=False)


def test_probe_callable_tells_holding_from_releasing():
    import hashlib

    from utils.release import probe_callable

    block = bytes(1 << 20)
    assert probe_callable(lambda: hashlib.sha256(block).digest(), label="big blocks").other_thread_ran
    assert not probe_callable(lambda: sum(range(20_000)), label="Python loop").other_thread_ran
    with pytest.raises(TypeError, match="callable"):
        probe_callable(42)
