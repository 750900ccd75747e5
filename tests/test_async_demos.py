import json
import os
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from thread_checks import threads_left, threads_now

from utils.engine import environment
from utils.engine.executors import RunResult
from utils.engine.isolation import isolated
from utils.lessons import async_demos
from utils.lessons.async_demos import (
    IdleMemory,
    TickerResult,
    idle_clients_memory,
    plot_echo_scaling,
    ticker_during_cpu_work,
)

SMALL = 3_000_000  # countdown size: a few tenths of a second at most


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --- the ticker -------------------------------------------------------------------------------


def test_cpu_work_in_the_loop_freezes_the_ticker():
    result = ticker_during_cpu_work("loop", SMALL)
    assert result.mode == "loop" and result.size == SMALL and result.work_seconds > 0
    # Only the tick that was waiting when the work began overlaps it, and it is late by (almost) all of it.
    assert result.ticks == 1
    assert result.worst >= 0.9 * result.work_seconds
    assert len(result.idle_latencies) >= 50


def test_the_ticker_keeps_ticking_when_the_work_leaves_the_loop():
    loop = ticker_during_cpu_work("loop", SMALL)
    elsewhere = ticker_during_cpu_work("processes", SMALL)
    assert elsewhere.ticks >= 10
    assert elsewhere.worst < loop.worst


def test_to_thread_uses_and_restores_the_switch_interval():
    before, threads = sys.getswitchinterval(), threads_now()
    result = ticker_during_cpu_work("to_thread", SMALL, switch_interval=0.002)
    assert result.switch_interval == pytest.approx(0.002)
    assert sys.getswitchinterval() == before
    assert result.ticks >= 2  # the loop's thread got the GIL back now and then
    assert not threads_left(threads)  # asyncio.run joined the default executor's thread
    assert result.gil_enabled == environment.gil_enabled()


def test_to_thread_lateness_follows_the_gil():
    # With a GIL the loop's thread waits about one switch interval for it at every tick (measured here:
    # 5-7 ms at 5 ms, under load); with the GIL off it does not wait (0.1-0.2 ms, like the idle loop).
    result = isolated(ticker_during_cpu_work, "to_thread", SMALL, timeout=60)
    if result.gil_enabled:
        assert result.median >= 0.5 * result.switch_interval, result.summary()
    else:
        assert result.median < 0.5 * result.switch_interval, result.summary()


def test_ticker_runs_in_a_fresh_process_and_round_trips():
    result = isolated(ticker_during_cpu_work, "loop", SMALL, timeout=60)
    assert isinstance(result, TickerResult) and result.mode == "loop"
    where = environment.where_it_ran()  # the worker runs this interpreter, with this process's CPU affinity
    assert (result.python, result.cpu_count) == (where.python, where.usable_cpus)
    assert TickerResult.from_dict(result.to_dict()) == result


def test_ticker_result_statistics_and_summary():
    result = TickerResult("to_thread", 10, 0.001, 0.5, latencies=[0.001, 0.005, 0.02], idle_latencies=[0.0001])
    assert result.ticks == 3
    assert result.median == pytest.approx(0.005)
    assert result.worst == pytest.approx(0.02)
    assert "asyncio.to_thread" in result.summary() and "20.0 ms" in result.summary()
    empty = TickerResult("loop", 10, 0.001, 0.5)
    assert empty.ticks == 0 and empty.median != empty.median  # NaN


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"mode": "threads"}, ValueError),
        ({"mode": 3}, TypeError),
        ({"size": 0}, ValueError),
        ({"size": 1.5}, TypeError),
        ({"tick": 0}, ValueError),
        ({"tick": "1ms"}, TypeError),
        ({"warmup_ticks": 0}, ValueError),
        ({"switch_interval": 5}, ValueError),
        ({"timeout": -1}, ValueError),
    ],
)
def test_ticker_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        ticker_during_cpu_work(**{"size": 1000, **kwargs})


def test_ticker_result_from_dict_rejects_strangers():
    with pytest.raises(ValueError, match="unknown TickerResult fields"):
        TickerResult.from_dict({"mode": "loop", "size": 1, "tick": 0.001, "work_seconds": 0.1, "colour": "red"})
    with pytest.raises(TypeError):
        TickerResult.from_dict([1, 2])


# --- memory per waiting client ----------------------------------------------------------------


def test_a_waiting_thread_costs_more_memory_than_a_waiting_task():
    # In fresh processes: glibc caches freed thread stacks, so a second run in one process would measure less.
    per = {kind: isolated(idle_clients_memory, kind, clients=200, timeout=60) for kind in ("threads", "asyncio")}
    assert isinstance(per["threads"], IdleMemory)
    assert (per["threads"].kind, per["threads"].clients, per["asyncio"].kind) == ("threads", 200, "asyncio")
    assert per["threads"].bytes_per_client > 3 * per["asyncio"].bytes_per_client


def test_bad_arguments_come_back_from_the_worker_as_themselves():
    with pytest.raises(ValueError, match="unknown kind"):
        isolated(idle_clients_memory, "processes", timeout=60)


def test_the_experiments_do_not_import_matplotlib():
    # Workers import this module: matplotlib is heavy, and on a free-threaded build an extension module
    # that does not declare free-threading support can re-enable the GIL. It is imported by the plot only.
    import subprocess

    code = "import sys, utils.lessons.async_demos; print(sorted(m for m in sys.modules if m.startswith('matplotlib')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def _without_proc(monkeypatch):
    exists = os.path.exists
    monkeypatch.setattr(os.path, "exists", lambda path: path != "/proc/self/statm" and exists(path))


def test_memory_falls_back_to_peak_rss_without_proc(monkeypatch):
    _without_proc(monkeypatch)  # as on macOS or a BSD: the resource module's peak RSS
    memory = idle_clients_memory("threads", 20)
    assert memory.available and memory.method == "peak RSS (resource.getrusage)"


def test_memory_on_windows_reads_the_working_set(monkeypatch):
    _without_proc(monkeypatch)
    monkeypatch.setattr(sys, "platform", "win32")
    readings = iter(range(0, 10**9, 4096))
    monkeypatch.setattr(async_demos, "_windows_working_set", lambda: lambda: next(readings))
    memory = idle_clients_memory("asyncio", 10)
    assert memory.available and "K32GetProcessMemoryInfo" in memory.method
    assert memory.bytes_per_client == pytest.approx(409.6)  # one 4 KiB step between the two readings, over 10 clients


def test_the_windows_reader_is_not_there_off_windows():
    if sys.platform == "win32":
        pytest.skip("this is Windows: the reader is real here")
    assert async_demos._windows_working_set() is None  # no ctypes.WinDLL


@pytest.mark.parametrize("platform", ["win32", "emscripten"])
def test_memory_says_clearly_when_it_cannot_be_measured(monkeypatch, platform):
    _without_proc(monkeypatch)
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(async_demos, "_windows_working_set", lambda: None)
    monkeypatch.setitem(sys.modules, "resource", None)  # `import resource` raises ImportError, as on Windows
    before = threads_now()
    memory = idle_clients_memory("threads", 50)
    assert not memory.available and memory.bytes_per_client != memory.bytes_per_client  # NaN
    assert ("Windows" in memory.reason) and memory.describe() == f"threads  not available: {memory.reason}"
    assert not threads_left(before)  # nothing was started
    assert IdleMemory.from_dict(json.loads(json.dumps(memory.to_dict()))).reason == memory.reason


def test_memory_describes_itself():
    memory = IdleMemory("asyncio", 10, 1536.0, "current RSS (/proc/self/statm)")
    assert memory.describe() == "asyncio    1.5 KiB per waiting client  (current RSS (/proc/self/statm))"


def test_memory_experiment_leaves_no_threads_behind():
    before = threads_now()
    idle_clients_memory("threads", 50)
    assert not threads_left(before)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"kind": "processes"}, ValueError),
        ({"kind": None}, TypeError),
        ({"clients": 0}, ValueError),
        ({"clients": async_demos.MAX_CLIENTS + 1}, ValueError),
        ({"clients": True}, TypeError),
        ({"timeout": 0}, ValueError),
    ],
)
def test_memory_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        idle_clients_memory(**kwargs)


# --- the plot ---------------------------------------------------------------------------------


def echo_result(executor, tasks, wall, cpu, size=20, workload="echo"):
    return RunResult(
        workload,
        executor,
        tasks if executor == "threads" else 1,
        tasks,
        size,
        1,
        wall_times=[wall],
        cpu_times=[cpu],
        python="3.12.1",
        cpu_count=2,
    )


def test_plot_has_one_line_per_executor_with_wall_and_cpu_per_round_trip():
    results = [
        echo_result(executor, n, wall, cpu)
        for n in (2, 8, 32)
        for executor, wall, cpu in (
            ("sequential", 0.025 * n, 0.001 * n),
            ("threads", 0.03, 0.0004 * n),
            ("asyncio", 0.04, 0.0008 * n),
        )
    ]
    fig = plot_echo_scaling(results, show=False)
    left, right = fig.axes
    assert [line.get_label() for line in left.lines] == ["sequential", "threads", "asyncio"]
    sequential, threads, _asyncio_line = left.lines
    assert list(sequential.get_xdata()) == [2, 8, 32]
    assert list(sequential.get_ydata()) == pytest.approx([50, 200, 800])  # ms
    assert list(threads.get_ydata()) == pytest.approx([30, 30, 30])
    # CPU time per round trip (µs): cpu / (tasks * size)
    assert list(right.lines[0].get_ydata()) == pytest.approx([50, 50, 50])
    assert list(right.lines[1].get_ydata()) == pytest.approx([20, 20, 20])
    assert list(right.lines[2].get_ydata()) == pytest.approx([40, 40, 40])
    assert left.get_xlabel() == right.get_xlabel() == "concurrent clients (tasks)"
    assert "wall time" in left.get_ylabel() and left.get_yscale() == "log"
    assert right.get_ylabel() == "CPU time per round trip (µs)"
    assert [t.get_text() for t in left.get_xticklabels()] == ["2", "8", "32"]
    title = fig._suptitle.get_text()
    assert "echo" in title and "20 round trips per client" in title
    assert "Python 3.12.1" in title and "2 CPUs" in title


def test_plot_leaves_out_unavailable_results_and_sorts_by_clients():
    missing = RunResult("echo", "interpreters", 2, 2, 20, 1, available=False, reason="no", python="3.12.1")
    results = [echo_result("threads", 8, 0.03, 0.01), echo_result("threads", 2, 0.02, 0.01), missing]
    fig = plot_echo_scaling(results, show=False)
    assert len(fig.axes[0].lines) == 1
    assert list(fig.axes[0].lines[0].get_xdata()) == [2, 8]


@pytest.mark.parametrize(
    "results, error",
    [
        ([], ValueError),
        (None, TypeError),
        ("echo", TypeError),
        ([{"wall": 1}], TypeError),
        ([RunResult("echo", "threads", 2, 2, 20, 1, available=False, python="3.12.1")], ValueError),
        ([echo_result("threads", 2, 1, 1), echo_result("threads", 2, 1, 1, workload="sleep")], ValueError),
        ([echo_result("threads", 2, 1, 1), echo_result("threads", 8, 1, 1, size=40)], ValueError),
    ],
)
def test_plot_rejects_bad_input(results, error):
    with pytest.raises(error):
        plot_echo_scaling(results, show=False)
