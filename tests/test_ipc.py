import concurrent.futures as cf
import gc
import json
import multiprocessing
import multiprocessing.connection
import pickle
import subprocess
import sys
import threading
import time
import types
import zlib
from multiprocessing import shared_memory

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from utils.engine import environment
from utils.engine.isolation import isolated
from utils.engine.workloads import sleep
from utils.lessons import ipc
from utils.lessons.ipc import (
    IpcCost,
    SharedVsCopy,
    TaskOverhead,
    experiments,
)

THIS = ".".join(map(str, sys.version_info[:3]))
POOL_MODULES = ("concurrent.futures", "multiprocessing")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def unimportable_square():
    """A function whose module exists only in this process: a stand-in for one defined in a notebook."""
    name = "gil_course_not_importable"
    module = types.ModuleType(name)

    def square(x):
        return x * x

    square.__module__, square.__qualname__ = name, "square"
    module.square = square
    sys.modules[name] = module
    yield square
    del sys.modules[name]


@pytest.fixture
def created_blocks(monkeypatch):
    """Names of the shared-memory blocks the code under test creates (not other programs' files in /dev/shm)."""
    names = []

    class Recording(shared_memory.SharedMemory):
        def __init__(self, name=None, create=False, size=0, **kwargs):
            super().__init__(name, create, size, **kwargs)
            if create:
                names.append(self.name)

    monkeypatch.setattr(shared_memory, "SharedMemory", Recording)
    return names


def still_there(name: str) -> bool:
    """Is the shared-memory block ``name`` still in the system (not unlinked)?"""
    try:
        block = shared_memory.SharedMemory(name=name)
    except FileNotFoundError:
        return False
    block.close()
    return True


def test_worker_functions():
    assert ipc.echo(b"abc") == b"abc" and ipc.square(7) == 49
    assert ipc.checksum(b"hello") == zlib.crc32(b"hello")
    block = shared_memory.SharedMemory(create=True, size=1000)
    try:
        block.buf[:1000] = bytes(range(200)) * 5
        assert ipc.checksum_shared(block.name, 100, 700) == zlib.crc32(bytes(block.buf[100:700]))
    finally:
        block.close()
        block.unlink()
    for func in (ipc.echo, ipc.square, ipc.checksum, ipc.checksum_shared):
        assert pickle.loads(pickle.dumps(func)) is func  # importable: every start method can load them


def test_payload_sizes_match_their_pickles():
    assert len(ipc.make_payload("bytes", 2)) == 2 * ipc.MiB
    for kind in ipc.KINDS:
        pickled = len(pickle.dumps(ipc.make_payload(kind, 1)))
        assert 0.99 * ipc.MiB <= pickled <= 1.01 * ipc.MiB, (kind, pickled)
    assert all(isinstance(x, float) for x in ipc.make_payload("list", 0.01))


def test_task_overhead_structure_and_chunking():
    result = ipc.task_overhead(tasks=1000, size=50, chunksizes=[1, 100], start_method="fork", repeat=2)
    assert result.start_method == "fork" and result.chunksizes == [1, 100] and result.python == THIS
    assert len(result.sequential_times) == 2 and [len(t) for t in result.pool_times] == [2, 2]
    assert list(result.per_task_us()) == ["sequential", "chunksize=1", "chunksize=100"]
    # One message per task against one per 100 tasks: a wide margin, even on a busy machine.
    assert result.pooled[1] < result.pooled[0]
    assert result.speedup(100) > result.speedup(1)
    with pytest.raises(ValueError, match="was not measured"):
        result.speedup(7)
    assert TaskOverhead.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    assert "chunksize=100" in result.describe()
    # Where it ran comes from the course's one record: cpu_count is the usable CPUs, not os.cpu_count().
    assert isinstance(result, environment.MadeOn) and result.cpu_count == environment.usable_cpus()
    assert result.ran_on.python == THIS and result.ran_on.usable_cpus == result.cpu_count


def test_ipc_cost_grows_with_size_and_threads_copy_nothing():
    result = ipc.ipc_cost(sizes=[0.1, 4], kinds=["bytes", "list"], start_method="fork", repeat=2)
    assert result.kinds == ["bytes", "list"] and result.sizes == [0.1, 4.0]
    for kind in result.kinds:
        assert result.pickled_mb[kind] == pytest.approx([0.1, 4], rel=0.02)
        assert result.round_trip[kind][1] > result.round_trip[kind][0]  # 40 times the data
        assert all(t > 0 for t in result.pickling[kind])
        assert len(result.ms_per_mb(kind)) == 2
    assert len(result.thread_round_trip) == 2
    assert result.round_trip["bytes"][1] > 5 * result.thread_round_trip[1]
    with pytest.raises(ValueError):
        result.ms_per_mb("dict")
    assert IpcCost.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    assert "to a thread" in result.describe()


def test_shared_memory_experiment_checksums_and_unlinks(created_blocks):
    result = ipc.shared_vs_copy(megabytes=8, workers=2, start_method="fork", repeat=2)
    assert result.checksums_match and len(result.copy_times) == len(result.shared_times) == 2
    assert result.copy > 0 and result.shared > 0
    assert SharedVsCopy.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    assert len(created_blocks) == 1, created_blocks
    assert not still_there(created_blocks[0]), "a shared-memory block was left behind"


def test_shared_memory_is_unlinked_when_the_pool_fails(monkeypatch, created_blocks):
    def broken_pool(*args, **kwargs):
        raise RuntimeError("no pool today")

    monkeypatch.setattr(experiments, "process_pool", broken_pool)
    with pytest.raises(RuntimeError, match="no pool today"):
        ipc.shared_vs_copy(megabytes=1, repeat=1)
    assert len(created_blocks) == 1 and not still_there(created_blocks[0])


def test_isolated_runs_come_back_as_results():
    result = isolated(ipc.task_overhead, tasks=20, size=20, chunksizes=[1, 5], repeat=1, timeout=60)
    assert isinstance(result, TaskOverhead) and result.python == THIS and result.tasks == 20
    cost = isolated(ipc.ipc_cost, sizes=[0.1], kinds=["bytes", "list"], repeat=1, timeout=60)
    assert isinstance(cost, IpcCost) and set(cost.round_trip) == {"bytes", "list"} and len(cost.thread_round_trip) == 1
    shared = isolated(ipc.shared_vs_copy, megabytes=1, repeat=1, timeout=60)
    assert isinstance(shared, SharedVsCopy) and shared.checksums_match and len(shared.copy_times) == 1


def test_a_function_workers_cannot_import(unimportable_square):
    data = pickle.dumps(unimportable_square)
    assert ipc.unpickle_in_fresh_interpreter(data) == "failed: ModuleNotFoundError"
    assert ipc.unpickle_in_fresh_interpreter(pickle.dumps(ipc.square)) == "loaded"
    start = time.perf_counter()
    assert ipc.call_in_new_pool(unimportable_square, 3, "spawn", timeout=30) == "failed: BrokenProcessPool"
    assert ipc.call_in_new_pool(unimportable_square, 3, "fork", timeout=30) == "returned 9"  # a copy of this process
    assert ipc.call_in_new_pool(ipc.square, 3, "spawn", timeout=30) == "returned 9"
    assert time.perf_counter() - start < 30


def test_a_broken_pool_leaves_no_garbage_behind(unimportable_square):
    """A broken pool is gone when call_in_new_pool returns: its manager thread has ended, and nothing is left
    in reference cycles for a later collection (which may run inside the resource tracker and make it
    warn about leaked semaphores)."""
    gc.collect()
    threads_before = set(threading.enumerate())
    gc.disable()  # nothing but call_in_new_pool itself may collect
    try:
        outcome = ipc.call_in_new_pool(unimportable_square, 3, "spawn", timeout=30)
        managers = [t for t in threading.enumerate() if type(t).__name__ == "_ExecutorManagerThread"]
        deadline = time.monotonic() + 10  # the queues' feeder threads may still be finishing
        while any(t.is_alive() for t in set(threading.enumerate()) - threads_before) and time.monotonic() < deadline:
            time.sleep(0.01)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        garbage = sorted({type(o).__name__ for o in gc.garbage if type(o).__module__.startswith(POOL_MODULES)})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert outcome == "failed: BrokenProcessPool"
    assert not managers, "the broken pool's manager thread was still running"
    assert not garbage, garbage


def test_a_task_that_outlives_its_timeout_is_killed():
    start = time.perf_counter()
    assert ipc.call_in_new_pool(sleep, 20_000, "fork", timeout=0.5) == "failed: TimeoutError"
    assert time.perf_counter() - start < 10


def test_plots():
    overhead = TaskOverhead(100, 50, 2, "fork", [1, 10], [0.01, 0.012], [[0.03, 0.031], [0.008, 0.009]], "3.11.7", 2)
    fig = ipc.plot_task_overhead(overhead, show=False)
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == pytest.approx([11, 30.5, 8.5])
    assert "Python 3.11.7, 2 CPUs" in ax.get_title()
    cost = IpcCost(
        [1, 4],
        ["bytes"],
        "fork",
        1,
        {"bytes": [1, 4]},
        {"bytes": [0.01, 0.04]},
        {"bytes": [0.002, 0.008]},
        [1e-5, 1e-5],
        "3.11.7",
        2,
    )
    fig = ipc.plot_ipc_cost(cost, show=False)
    left, right = fig.axes
    assert len(left.lines) == 3 and len(right.lines) == 1
    assert list(right.lines[0].get_ydata()) == pytest.approx([10, 10])
    with pytest.raises(TypeError):
        ipc.plot_task_overhead(cost, show=False)
    with pytest.raises(TypeError):
        ipc.plot_ipc_cost(overhead, show=False)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: ipc.task_overhead(tasks=0), ValueError),
        (lambda: ipc.task_overhead(tasks=10, chunksizes=[0]), ValueError),
        (lambda: ipc.task_overhead(tasks=10, chunksizes=[11]), ValueError),
        (lambda: ipc.task_overhead(chunksizes="10"), TypeError),
        (lambda: ipc.task_overhead(start_method="thread"), ValueError),
        (lambda: ipc.task_overhead(repeat=0), ValueError),
        (lambda: ipc.ipc_cost(sizes=[]), ValueError),
        (lambda: ipc.ipc_cost(sizes=[0]), ValueError),
        (lambda: ipc.ipc_cost(sizes=[1000]), ValueError),
        (lambda: ipc.ipc_cost(sizes=["1"]), TypeError),
        (lambda: ipc.ipc_cost(sizes=4), TypeError),
        (lambda: ipc.ipc_cost(kinds=["dict"]), ValueError),
        (lambda: ipc.ipc_cost(kinds="bytes"), TypeError),
        (lambda: ipc.ipc_cost(timeout=0), ValueError),
        (lambda: ipc.shared_vs_copy(megabytes=-1), ValueError),
        (lambda: ipc.shared_vs_copy(workers=0), ValueError),
        (lambda: ipc.make_payload("bytes", float("nan")), ValueError),
        (lambda: ipc.call_in_new_pool(42, 3, "spawn"), TypeError),
        (lambda: ipc.call_in_new_pool(ipc.square, 3, None), ValueError),
        (lambda: ipc.call_in_new_pool(ipc.square, 3, "threads"), ValueError),
        (lambda: ipc.unpickle_in_fresh_interpreter("text"), TypeError),
    ],
)
def test_bad_arguments(call, error):
    with pytest.raises(error):
        call()


def test_importing_starts_nothing_and_skips_matplotlib():
    code = "import sys, threading, utils.lessons.ipc; print('matplotlib' in sys.modules, threading.active_count())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.split()
    assert out == ["False", "1"]


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")  # fork, up to 3.13
def test_started_processes_sees_the_start_method_a_pool_really_used():
    methods = multiprocessing.get_all_start_methods()
    other = "forkserver" if "forkserver" in methods and methods[0] != "forkserver" else "spawn"
    with (
        ipc.started_processes() as used,
        cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(other)) as pool,
    ):
        assert list(pool.map(ipc.square, [1, 2, 3], timeout=30)) == [1, 4, 9]
    assert used == [other, other]
    with ipc.started_processes() as used:
        multiprocessing.get_context(other)  # built, never passed: the pool starts with the default
        with cf.ProcessPoolExecutor(1) as pool:
            assert pool.submit(ipc.square, 2).result(timeout=30) == 4
    assert used == [methods[0]]
    with ipc.started_processes() as after:
        pass
    assert after == [] and used == [methods[0]]  # the wrappers are gone: nothing more was recorded


def test_started_processes_restores_the_process_classes_on_errors():
    from multiprocessing import context

    before = dict(vars(context.SpawnProcess))["_Popen"]
    with pytest.raises(RuntimeError, match="boom"), ipc.started_processes():
        raise RuntimeError("boom")
    assert dict(vars(context.SpawnProcess))["_Popen"] is before


def test_a_start_method_the_platform_lacks_is_reported_not_raised(monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])  # as on Windows
    assert ipc.call_in_new_pool(ipc.square, 3, "fork").startswith("not available on this platform")
    with pytest.raises(ValueError):
        ipc.call_in_new_pool(ipc.square, 3, "threads")  # not a start method anywhere


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")  # fork, up to 3.13
def test_recording_pools_sees_the_context_the_workers_and_the_shutdown():
    default = multiprocessing.get_all_start_methods()[0]
    init = cf.ProcessPoolExecutor.__init__
    with ipc.recording_pools() as pools:
        with cf.ProcessPoolExecutor(2, multiprocessing.get_context("spawn")) as pool:  # the context passed positionally
            assert pool.submit(ipc.square, 3).result(timeout=30) == 9
        multiprocessing.get_context("spawn")  # built, never passed
        left_running = cf.ProcessPoolExecutor(max_workers=1)
        assert left_running.submit(ipc.square, 4).result(timeout=30) == 16
    first, second = pools
    assert (first.given_start_method, first.start_method, first.max_workers, first.shut_down) == (
        "spawn",
        "spawn",
        2,
        True,
    )
    assert (second.given_start_method, second.start_method, second.max_workers) == (None, default, 1)
    assert not second.shut_down
    workers = list(left_running._processes.values())
    ipc.stop_pools(pools)
    # Judged by each worker's sentinel (its end of a pipe closes when it exits), not is_alive(): that asks
    # waitpid, which answers "alive" forever if something else in this process has reaped the child (3.10, fork).
    deadline = time.monotonic() + 15
    while not all(multiprocessing.connection.wait([w.sentinel], timeout=0) for w in workers):
        assert time.monotonic() < deadline, f"workers still running 15 s after stop_pools: {workers}"
        time.sleep(0.05)
    assert workers
    assert cf.ProcessPoolExecutor.__init__ is init  # the wrapper is gone


def test_recording_pools_restores_the_pool_class_on_errors():
    init, shutdown = cf.ProcessPoolExecutor.__init__, cf.ProcessPoolExecutor.shutdown
    with pytest.raises(RuntimeError, match="boom"), ipc.recording_pools():
        assert cf.ProcessPoolExecutor.__init__ is not init
        raise RuntimeError("boom")
    assert cf.ProcessPoolExecutor.__init__ is init and cf.ProcessPoolExecutor.shutdown is shutdown


def test_call_with_deadline_returns_raises_or_gives_up():
    assert ipc.call_with_deadline(ipc.square, 5) == ("returned", 25)
    assert ipc.call_with_deadline(ipc.square, "x") == (
        "raised",
        "TypeError",
        "can't multiply sequence by non-int of type 'str'",
    )
    start = time.perf_counter()
    assert ipc.call_with_deadline(time.sleep, 3, deadline=0.2) == ("hung",)
    assert time.perf_counter() - start < 2
    with pytest.raises(TypeError):
        ipc.call_with_deadline(42)
    with pytest.raises(ValueError):
        ipc.call_with_deadline(ipc.square, 1, deadline=0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux rows of the table")
def test_documented_defaults_agree_with_this_interpreter():
    """The facts assignment 08 grades against, checked on the running Python where they apply."""
    row = "Linux, Python 3.14" if sys.version_info >= (3, 14) else "Linux, Python 3.13"
    assert multiprocessing.get_all_start_methods()[0] == ipc.DEFAULT_START_METHODS[row]
    assert set(ipc.NOTEBOOK_FUNCTION_RUNS) == set(multiprocessing.get_all_start_methods())


def test_wrong_keys_compares_values_and_their_types():
    truth = {"fork": True, "spawn": False}
    assert ipc.wrong_keys({"fork": True, "spawn": False}, truth) == []
    assert ipc.wrong_keys({"fork": "True", "spawn": 0}, truth) == ["fork", "spawn"]
    assert ipc.wrong_keys({"spawn": False}, truth) == ["fork"]
    with pytest.raises(TypeError):
        ipc.wrong_keys(["fork"], truth)
