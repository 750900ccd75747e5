import sys

import pytest

from utils.engine import environment
from utils.engine.environment import free_threaded_build, gil_enabled
from utils.engine.isolation import isolated
from utils.lessons import release
from utils.lessons.release import (
    HASHLIB_GIL_MINSIZE,
    OPERATIONS,
    Probe,
    ThreadRun,
    get_operation,
    hash_block_sweep,
    hashlib_keeps_releasing,
    hashlib_releases_gil,
    hashlib_rule,
    libc_path,
    measure_threads,
    plot_block_sweep,
    probe,
    probe_callable,
    record_hash_updates,
    sweep_releases,
)

needs_gil = pytest.mark.skipif(not gil_enabled(), reason="the GIL is off: every thread runs whenever it likes")
#: A standard build (or a free-threaded one from 3.15): hashlib's size rule shows. On 3.13t/3.14t with the GIL
#: switched back on, every update releases it (hashlib_releases_gil).
SIZE_RULE_SHOWS = gil_enabled() and (not free_threaded_build() or sys.version_info >= (3, 15))
needs_size_rule = pytest.mark.skipif(
    not SIZE_RULE_SHOWS, reason="no GIL, or a 3.13t/3.14t hash object that always locks"
)
needs_libc = pytest.mark.skipif(libc_path() is None, reason="no C library with usleep for ctypes here")
FAST = 0.2  # seconds a probe of a call that holds the GIL lasts in these tests


# --- operations ----------------------------------------------------------------------------


def test_operations_are_named_and_documented():
    for name, op in OPERATIONS.items():
        assert op.name == name and op.source and op.unit
        assert op.label(10) and "{" not in op.label(10)
    sha256 = get_operation("sha256")
    assert [sha256.expected(size) for size in (2047, 2048, 2049)] == [
        hashlib_releases_gil(size) for size in (2047, 2048, 2049)
    ]
    assert get_operation("numpy").expected(500) is False and get_operation("numpy").expected(501) is True
    assert get_operation("matmul").expected(100) is None


@pytest.mark.parametrize("version", [(3, 10), (3, 11), (3, 12), (3, 13), (3, 14), "3.14.10"])
def test_hashlib_releases_for_at_least_2048_bytes_up_to_314(version):
    assert HASHLIB_GIL_MINSIZE == 2048
    rule = [hashlib_releases_gil(size, version=version, free_threaded=False) for size in (1, 2047, 2048, 2049, 1 << 20)]
    assert rule == [False, False, True, True, True]
    assert hashlib_keeps_releasing(version=version)
    assert hashlib_rule(version=version).startswith("at least 2048 bytes")
    # free-threaded 3.13/3.14: a hash object locks (and so releases the GIL) from creation
    assert all(hashlib_releases_gil(size, version=version, free_threaded=True) for size in (1, 2047, 2048))


@pytest.mark.parametrize("version", [(3, 15), (3, 16), "3.15.2"])
@pytest.mark.parametrize("free_threaded", [False, True])
def test_hashlib_releases_for_more_than_2048_bytes_from_315(version, free_threaded):
    rule = [hashlib_releases_gil(size, version=version, free_threaded=free_threaded) for size in (1, 2047, 2048, 2049)]
    assert rule == [False, False, False, True]  # gh-135239: `(SIZE) > HASHLIB_GIL_MINSIZE`
    assert not hashlib_keeps_releasing(version=version)
    assert hashlib_rule(version=version).startswith("more than 2048 bytes")


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(size=-1), ValueError),
        (dict(size=2.5), TypeError),
        (dict(size=10, version="three"), ValueError),
        (dict(size=10, version=3.15), TypeError),
        (dict(size=10, version=(3,)), TypeError),
        (dict(size=10, free_threaded="yes"), TypeError),
    ],
)
def test_hashlib_rule_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        hashlib_releases_gil(**kwargs)


def test_hashlib_exposes_its_threshold_from_314():
    _hashlib = pytest.importorskip("_hashlib")
    if sys.version_info >= (3, 14):  # gh-132993
        assert _hashlib._GIL_MINSIZE == HASHLIB_GIL_MINSIZE
    else:
        assert not hasattr(_hashlib, "_GIL_MINSIZE")


@pytest.mark.parametrize("name, error", [("nope", ValueError), (3, TypeError), (None, TypeError)])
def test_unknown_operations_are_rejected(name, error):
    with pytest.raises(error, match="operation"):
        get_operation(name)


@pytest.mark.parametrize(
    "operation, size, error",
    [
        ("sha256", 0, ValueError),
        ("sha256", 2.5, TypeError),
        ("sha256", True, TypeError),
        ("python", 10**8, ValueError),
        ("nope", 10, ValueError),
    ],
)
def test_bad_sizes_are_rejected_before_anything_runs(operation, size, error):
    with pytest.raises(error):
        probe(operation, size, seconds=FAST)
    with pytest.raises(error):
        measure_threads(operation, size, calls=1)


# --- probes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation, size, released",
    [
        ("python", 10_000, False),
        ("zlib", 64 * 1024, True),
        ("sha256", 1024, False),
        ("sha256", 2047, False),
        ("sha256", 2049, True),
        ("sha256", 1 << 20, True),
        ("numpy", 500, False),
        ("numpy", 501, True),
        ("numpy-object", 1000, False),
    ],
)
def test_probe_tells_whether_a_call_releases_the_gil(operation, size, released):
    if free_threaded_build() and gil_enabled():  # PYTHON_GIL=1 on a free-threaded build
        if operation.startswith("numpy"):
            pytest.skip("numpy built for free-threading detaches the thread state in more places")
        if operation == "sha256" and sys.version_info < (3, 15):
            released = True  # 3.13t/3.14t: the hash object locks, and releases the GIL, from creation
    result = probe(operation, size, seconds=FAST)
    assert result.available and result.agrees
    # With a GIL the probe makes at least one call while it watches the other thread; without one the
    # other thread may run before the first call ends (seen on 3.13t), so a call count says nothing.
    assert result.calls >= 1 or not result.gil_enabled
    if result.gil_enabled:
        assert result.other_thread_ran is released and result.released is released
        if not released:  # held for the whole probe: it ran until its time was up
            assert result.seconds >= FAST
        assert result.describe().endswith("yes: the GIL was released" if released else "no: the GIL was held")
    else:  # no GIL to hold: the other thread ran, and the probe does not claim a release
        assert result.other_thread_ran and result.released is None
        assert result.describe().endswith("yes: no GIL here, nothing to release")


@needs_size_rule
def test_a_2048_byte_update_releases_the_gil_up_to_314_and_keeps_it_from_315():
    result = probe("sha256", HASHLIB_GIL_MINSIZE, seconds=FAST)
    if sys.version_info >= (3, 15):  # gh-135239: only for more than 2048 bytes
        assert result.released is False and result.seconds >= FAST
    else:  # 3.10-3.14: at least 2048 bytes
        assert result.released is True
    assert result.agrees


@needs_size_rule
def test_a_hash_object_keeps_releasing_after_one_large_update_up_to_314():
    primed = probe("sha256-primed", 1024, seconds=FAST)
    fresh = probe("sha256", 1024, seconds=FAST)
    assert fresh.released is False
    assert primed.released is (sys.version_info < (3, 15))  # use_mutex stays on up to 3.14; gone in 3.15
    assert primed.agrees and fresh.agrees


@needs_libc
def test_ctypes_cdll_releases_the_gil_and_pydll_does_not():
    cdll, pydll = probe("cdll-usleep", 1000, seconds=FAST), probe("pydll-usleep", 1000, seconds=FAST)
    assert cdll.other_thread_ran and cdll.agrees and pydll.agrees
    if pydll.gil_enabled:
        assert cdll.released is True and pydll.released is False
    else:  # no GIL for PyDLL to keep: the other thread runs during the sleep too
        assert pydll.other_thread_ran and pydll.released is None


def test_probe_restores_the_switch_interval():
    before = sys.getswitchinterval()
    probe("python", 1000, seconds=0.05)
    assert sys.getswitchinterval() == before


@pytest.mark.parametrize("seconds", [0, -1, 5.0, "1"])
def test_bad_probe_durations_are_rejected(seconds):
    with pytest.raises((TypeError, ValueError), match="seconds"):
        probe("python", 1000, seconds=seconds)


def test_probe_describe_is_stable_text():
    held = Probe(
        "sha256",
        256,
        "hashlib sha256 update, 256-byte blocks",
        other_thread_ran=False,
        calls=123_456,
        seconds=0.5,
        expected=False,
    )
    assert held.describe().endswith("no: the GIL was held") and "123" not in held.describe()
    missing = Probe("cdll-usleep", 10, "usleep", available=False, reason="OSError: no libc")
    assert "not available: OSError: no libc" in missing.describe() and missing.agrees
    assert missing.released is None


def test_probe_describe_says_when_there_is_no_gil():
    ran = Probe("python", 10, "pure-Python loop", other_thread_ran=True, expected=False, gil_enabled=False)
    assert ran.describe().endswith("yes: no GIL here, nothing to release") and "released" not in ran.describe()
    assert ran.released is None and ran.agrees
    late = Probe("python", 10, "pure-Python loop", other_thread_ran=False, expected=False, gil_enabled=False)
    assert "no GIL here" in late.describe() and "held" not in late.describe()
    assert not late.agrees  # without a GIL nothing should have stopped the other thread
    held = Probe("python", 10, "pure-Python loop", other_thread_ran=False, expected=False)
    assert held.released is False and held.agrees


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
    monkeypatch.setattr(release.operations, "libc_path", lambda: None)
    result = probe("cdll-usleep", 1000, seconds=FAST)
    assert not result.available and "no C library" in result.reason
    run = measure_threads("pydll-usleep", 1000, calls=1)
    assert not run.available and run.wall_times == [] and "not available" in run.summary()


def test_probes_run_in_a_fresh_process_and_come_back_as_probes():
    probes = [
        isolated(probe, name, size, seconds=FAST, timeout=60) for name, size in (("python", 1000), ("sha256", 1 << 16))
    ]
    assert [type(p) for p in probes] == [Probe, Probe] and [p.operation for p in probes] == ["python", "sha256"]
    assert all(p.agrees for p in probes) and probes[0].python == probes[1].python == sys.version.split()[0]
    if probes[0].gil_enabled:
        assert [p.released for p in probes] == [False, True]
    else:
        assert [p.other_thread_ran for p in probes] == [True, True] and probes[0].released is None


def test_bad_probe_arguments_come_back_from_the_fresh_process_as_themselves():
    with pytest.raises(ValueError, match="unknown operation"):
        isolated(probe, "nope", 10, timeout=60)
    with pytest.raises(ValueError, match="size of sha256"):
        isolated(probe, "sha256", 0, timeout=60)


# --- timings -------------------------------------------------------------------------------


def test_measure_threads_returns_one_timing_per_repeat():
    run = measure_threads("sha256", 1 << 16, calls=16, threads=2, repeat=3)
    assert run.available and len(run.wall_times) == len(run.cpu_times) == 3
    assert 0 < run.parallelism <= run.threads * 1.1  # CPU time of the process: at most one CPU per thread
    assert "effective parallelism" in run.summary() and run.label.startswith("hashlib")
    assert ThreadRun.from_dict(run.to_dict()) == run


def test_a_run_and_a_probe_record_where_they_ran():
    run = measure_threads("python", 1_000, calls=1, threads=1, repeat=1)
    where = environment.where_it_ran()
    assert run.ran_on == where and run.free_threaded_build == run.free_threaded == where.free_threaded
    assert run.cpu_count == environment.usable_cpus()
    probed = probe("python", 1000, seconds=0.05)
    assert (probed.python, probed.gil_enabled) == (where.python, where.gil_enabled)


@needs_gil
def test_pure_python_threads_never_use_much_more_than_one_cpu():
    run = measure_threads("python", 200_000, calls=5, threads=2, repeat=3)
    assert run.parallelism < 1.3  # the GIL: one thread at a time (plus a little bookkeeping)


@needs_libc
def test_cdll_sleeps_overlap_and_pydll_sleeps_queue():
    sleep = 0.1
    cdll = measure_threads("cdll-usleep", int(sleep * 1e6), calls=1, threads=2, repeat=3)
    pydll = measure_threads("pydll-usleep", int(sleep * 1e6), calls=1, threads=2, repeat=3)
    assert cdll.wall < 1.5 * sleep  # both sleeps at once
    if pydll.gil_enabled:
        assert pydll.wall >= 1.95 * sleep  # one after the other: the GIL is held while sleeping
    else:
        assert pydll.wall < 1.5 * sleep  # no GIL for PyDLL to hold: the sleeps overlap too


def test_blas_limit_is_applied_and_undone():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    pytest.importorskip("numpy")

    def blas_threads():
        return [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]

    before = blas_threads()
    if not before:
        pytest.skip("numpy has no BLAS that threadpoolctl can see")
    limits = release.threads._blas_limits(1)
    assert blas_threads() == [1] * len(before)
    limits.unregister()
    assert blas_threads() == before
    assert release.threads._blas_limits(None) is None


def test_a_slow_run_times_out():
    with pytest.raises(TimeoutError, match="did not finish"):
        measure_threads("python", 10**6, calls=10, threads=1, repeat=1, timeout=0.01)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(calls=0), ValueError),
        (dict(threads=0), ValueError),
        (dict(repeat=0), ValueError),
        (dict(blas_threads=0), ValueError),
        (dict(timeout=0), ValueError),
        (dict(calls=1.5), TypeError),
    ],
)
def test_bad_measurement_arguments_are_rejected(kwargs, error):
    with pytest.raises(error):
        measure_threads(**{"operation": "python", "size": 10, "calls": 1, **kwargs})


def test_block_sweep_keeps_the_order_and_hashes_the_same_bytes_per_block():
    runs = isolated(hash_block_sweep, [4096, 1024], total_bytes=1 << 20, threads=2, repeat=1, timeout=60)
    assert [type(r) for r in runs] == [ThreadRun, ThreadRun] and [r.size for r in runs] == [4096, 1024]
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


def _sha_run(size, parallelism, python="3.14.0", gil_enabled=True):
    return ThreadRun(
        "sha256",
        size,
        10,
        2,
        1,
        label="x",
        wall_times=[1.0],
        cpu_times=[parallelism],
        python=python,
        gil_enabled=gil_enabled,
        cpu_count=2,
    )


def _threshold_lines(ax):
    return [list(line.get_xdata()) for line in ax.get_lines() if line.get_linestyle() == "--"]


def test_plot_has_one_bar_per_block_and_marks_the_threshold():
    import matplotlib

    matplotlib.use("Agg")
    fig = plot_block_sweep([_sha_run(4096, 1.9), _sha_run(1024, 1.0), _sha_run(2048, 1.5)], show=False)
    ax = fig.axes[0]
    assert [round(p.get_height(), 2) for p in ax.patches] == [1.0, 1.5, 1.9]  # sorted by block size
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1,024", "2,048", "4,096"]
    assert _threshold_lines(ax) == [[0.5, 0.5]]  # 3.14: between 1,024 and 2,048
    assert "Python 3.14.0" in ax.get_title() and "2 CPUs" in ax.get_title()


def test_plot_puts_the_threshold_above_2048_from_315():
    import matplotlib

    matplotlib.use("Agg")
    runs = [_sha_run(size, 1.0, python="3.15.2") for size in (1024, 2048, 2049, 4096)]
    ax = plot_block_sweep(runs, show=False).axes[0]
    assert _threshold_lines(ax) == [[1.5, 1.5]]  # between 2,048 (kept) and 2,049 (released)
    assert [sweep_releases(r) for r in runs] == [False, False, True, True]
    assert "> 2048" in ax.get_legend().get_texts()[0].get_text()


def test_plot_has_no_threshold_line_without_a_gil():
    import matplotlib

    matplotlib.use("Agg")
    runs = [_sha_run(size, 1.9, python="3.13.5", gil_enabled=False) for size in (256, 4096)]
    ax = plot_block_sweep(runs, show=False).axes[0]
    assert _threshold_lines(ax) == [] and "GIL off" in ax.get_title()
    assert all(sweep_releases(r) for r in runs)


def test_plot_has_no_threshold_line_when_all_blocks_are_on_one_side():
    import matplotlib

    matplotlib.use("Agg")
    fig = plot_block_sweep([_sha_run(4096, 1.9), _sha_run(8192, 1.9)], show=False)
    assert not any(line.get_linestyle() == "--" for line in fig.axes[0].get_lines())


@pytest.mark.parametrize("runs", [[], _sha_run(1024, 1.0), [ThreadRun("zlib", 10, 1, 2, 1)], ["x"]])
def test_plot_rejects_anything_but_sha256_runs(runs):
    with pytest.raises(TypeError):
        plot_block_sweep(runs, show=False)


def test_probe_callable_tells_holding_from_releasing():
    import hashlib

    block = bytes(1 << 20)
    big = probe_callable(lambda: hashlib.sha256(block).digest(), label="big blocks")
    loop = probe_callable(lambda: sum(range(20_000)), label="Python loop")
    assert big.other_thread_ran
    if loop.gil_enabled:
        assert big.released is True and loop.released is False
    else:  # no GIL: the loop does not stop the other thread either, and nothing is said to be released
        assert loop.other_thread_ran and loop.released is None and "no GIL" in loop.describe()
    with pytest.raises(TypeError, match="callable"):
        probe_callable(42)


# --- recording the blocks a function hashes -------------------------------------------------


def test_record_hash_updates_sees_every_block_and_changes_nothing():
    import hashlib
    import io

    def chunked(data, chunk):
        stream, digest = io.BytesIO(data), hashlib.sha256()
        while block := stream.read(chunk):
            digest.update(block)
        return digest.hexdigest()

    data = bytes(range(256)) * 40  # 10,240 bytes
    original = hashlib.sha256
    digest, sizes = record_hash_updates(chunked, data, 3000)
    assert digest == hashlib.sha256(data).hexdigest() and sizes == [3000, 3000, 3000, 1240]
    assert hashlib.sha256 is original
    _, sizes = record_hash_updates(lambda: hashlib.new("sha256", data).copy().update(b"abc"))
    assert sizes == [10_240, 3]
    if sys.version_info >= (3, 11):  # hashlib.file_digest is new in 3.11; it goes through hashlib.new
        _, sizes = record_hash_updates(lambda: hashlib.file_digest(io.BytesIO(data), "sha256").hexdigest())
        assert sizes == [10_240]
    _, sizes = record_hash_updates(lambda: sum(data))
    assert sizes == []


def test_record_hash_updates_restores_hashlib_after_an_error():
    import hashlib

    original_sha256, original_new = hashlib.sha256, hashlib.new
    with pytest.raises(ZeroDivisionError):
        record_hash_updates(lambda: 1 / 0)
    assert hashlib.sha256 is original_sha256 and hashlib.new is original_new
    with pytest.raises(TypeError, match="callable"):
        record_hash_updates("digest")
    with pytest.raises(ValueError, match="timeout"):
        record_hash_updates(len, b"", timeout=0)


# --- the package and the profiler's view (lesson 09) ----------------------------------------


def test_the_package_exports_every_public_name_and_each_module_has_one_concern():
    assert sorted(release.__all__) == sorted(set(release.__all__))
    assert all(hasattr(release, name) for name in release.__all__)
    assert release.probe.__module__ == "utils.lessons.release.probing"  # what isolated() imports in the worker
    assert release.hash_block_sweep.__module__ == "utils.lessons.release.threads"


def test_sha256_threads_on_1_and_64_kib_blocks_in_the_profilers_gil_markers():
    from utils.engine.gil_profile import find_profiler_python, profile_threads

    python = find_profiler_python()
    if python is None:
        pytest.skip("no CPython 3.15+ here: the sampling profiler (PEP 799) is new in 3.15")
    total = 48 * 1024 * 1024  # about 0.1 s of hashing per thread: many switch intervals

    def profile(block):
        return profile_threads("sha256", threads=2, size=total // block, block=block, python=python, timeout=120)

    small, large = profile(1024), profile(65536)
    assert small.available and large.available, small.reason or large.reason
    if small.free_threaded:
        pytest.skip("a free-threaded 3.15t: no GIL for the threads to take turns on")
    # the profiled Python's rule (3.15+: more than 2048 bytes): 1 KiB keeps the GIL, 64 KiB releases it
    assert not hashlib_releases_gil(1024, version=small.python) and hashlib_releases_gil(65536, version=large.python)
    # With the GIL kept, one thread waits while the other hashes. A thread can start late on a busy
    # machine and find the other one done, so the waits are judged together, over at most two profiles.
    for _ in range(2):
        if sum(small.share(i, "Waiting for GIL") for i in range(2)) > 0.2:
            break
        small = profile(1024)
    assert sum(small.share(i, "Waiting for GIL") for i in range(2)) > 0.2, small.describe()
    assert all(large.share(i, "No GIL") > 0.5 for i in range(2))
