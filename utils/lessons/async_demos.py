"""Lesson 10 (asyncio): what one event loop in one thread can and cannot do.

Three experiments, the first two meant to run in a fresh process through
:func:`utils.engine.isolation.isolated` (the Jupyter kernel runs an event loop and threads of its
own, which would distort them), e.g. ``isolated(ticker_during_cpu_work, "to_thread")``:

- :func:`ticker_during_cpu_work`: a coroutine that sleeps 1 ms again and again (the *ticker*)
  records how late each tick wakes up while a CPU-bound function (``countdown``) runs

  - ``"loop"``: called directly in a coroutine, i.e. in the event loop's own thread;
  - ``"to_thread"``: in another thread with ``asyncio.to_thread`` (3.9+), which still shares
    the GIL with the loop's thread;
  - ``"processes"``: in a ``ProcessPoolExecutor`` through ``loop.run_in_executor``, which
    has a GIL of its own.

- :func:`idle_clients_memory`: how much resident memory (RSS) each waiting client costs, as a
  thread blocked on a ``threading.Event`` or as an asyncio task awaiting an ``asyncio.Event``
  (Linux, Windows and other Unix systems; elsewhere its result says it is not available).

- :func:`plot_echo_scaling`: wall time and CPU time per round trip of the ``echo`` workload
  (``utils.engine.workloads``) against the number of concurrent clients, one line per executor.

matplotlib is imported only inside the plot function: the workers that run the experiments never load it.

Sources: asyncio docs (https://docs.python.org/3.13/library/asyncio.html), ``asyncio.to_thread``
(3.9+), ``loop.run_in_executor``; PEP 3156 (the event loop), PEP 492 (``async``/``await``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from utils.engine import environment
from utils.engine.executors import RunResult, check_results
from utils.engine.plaindata import PlainData
from utils.engine.timing import median_and_spread
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import check_size, countdown, get_workload

#: Where the CPU-bound function runs in :func:`ticker_during_cpu_work`.
MODES = ("loop", "to_thread", "processes")
#: How a waiting client is represented in :func:`idle_clients_memory`.
CLIENT_KINDS = ("threads", "asyncio")
if TYPE_CHECKING:  # matplotlib is imported where a plot is drawn, not here
    from matplotlib.figure import Figure

#: The most clients :func:`idle_clients_memory` will create (threads are real OS threads).
MAX_CLIENTS = 2000


@dataclass
class TickerResult(PlainData, environment.MadeOn):
    """How late a 1 ms ticker woke up while CPU-bound work ran (plain, JSON-serialisable data).

    ``latencies`` holds, for every tick that overlapped the CPU work, how much later than
    asked it woke up (seconds); ``idle_latencies`` the same for the ticks before the work
    started (the loop's own resolution, the baseline).
    """

    mode: str
    size: int
    tick: float
    work_seconds: float
    latencies: list[float] = field(default_factory=list)
    idle_latencies: list[float] = field(default_factory=list)
    switch_interval: float = 0.005
    python: str = ""
    cpu_count: int = 1
    gil_enabled: bool = True  # in the process that ran the experiment (False: free-threaded, GIL off)

    @property
    def ticks(self) -> int:
        """How many ticks overlapped the CPU work."""
        return len(self.latencies)

    @property
    def median(self) -> float:
        """Median lateness of the ticks during the work (seconds)."""
        return median_and_spread(self.latencies)[0]  # NaN if no tick overlapped the work

    @property
    def worst(self) -> float:
        """Largest lateness of a tick during the work (seconds)."""
        return max(self.latencies) if self.latencies else math.nan

    @property
    def label(self) -> str:
        return {"loop": "in the loop", "to_thread": "asyncio.to_thread", "processes": "process pool"}[self.mode]

    def summary(self) -> str:
        """One line for a learner."""
        return (
            f"{self.label:<18} work {self.work_seconds * 1000:6.0f} ms  ticks during it {self.ticks:4d}  "
            f"lateness: median {self.median * 1000:7.2f} ms, worst {self.worst * 1000:7.1f} ms"
        )


def check_mode(mode: str) -> str:
    """Reject anything but one of :data:`MODES`."""
    if not isinstance(mode, str):
        raise TypeError(f"mode must be a name (str), not {type(mode).__name__}")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    return mode


def ticker_during_cpu_work(
    mode: str = "loop",
    size: int = 15_000_000,
    *,
    tick: float = 0.001,
    warmup_ticks: int = 50,
    switch_interval: float | None = None,
    timeout: float = 60.0,
) -> TickerResult:
    """Run ``countdown(size)`` in ``mode`` while a ticker awaits ``asyncio.sleep(tick)`` in a loop.

    The ticker first ticks ``warmup_ticks`` times with nothing else to do (its idle latencies),
    then the CPU-bound work starts. ``switch_interval`` (seconds, default: leave it) is set for
    the run, which matters for ``"to_thread"``. For a clean measurement call it in a fresh
    process: ``isolated(ticker_during_cpu_work, mode, ...)`` (:mod:`utils.engine.isolation`).
    """
    check_mode(mode)
    check_size(size)
    check_seconds("tick", tick, 1e-4, 0.1, allow_low=True)
    check_count("warmup_ticks", warmup_ticks, 1, 10_000)
    timeout = check_seconds("timeout", timeout)
    pool: cf.ProcessPoolExecutor | None = None
    try:
        if mode == "processes":
            pool = cf.ProcessPoolExecutor(max_workers=1)
            pool.submit(countdown, 1).result(timeout=timeout)  # start the worker before timing
        with environment.switch_interval(switch_interval):
            work, latencies, idle = asyncio.run(
                asyncio.wait_for(_ticker_experiment(mode, size, tick, warmup_ticks, pool), timeout)
            )
            interval = sys.getswitchinterval()
    except asyncio.TimeoutError:
        raise TimeoutError(f"the ticker experiment ({mode}) did not finish within {timeout:g} s") from None
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return TickerResult.made_on(
        environment.where_it_ran(),  # after the run: the GIL's state then (it can be switched on at run time)
        mode=mode,
        size=size,
        tick=tick,
        work_seconds=work,
        latencies=latencies,
        idle_latencies=idle,
        switch_interval=interval,
    )


async def _ticker(tick: float, stop: asyncio.Event, record: list[tuple[float, float]]) -> None:
    while not stop.is_set():
        begin = time.perf_counter()
        await asyncio.sleep(tick)
        record.append((begin, time.perf_counter()))


async def _ticker_experiment(
    mode: str, size: int, tick: float, warmup_ticks: int, pool: cf.Executor | None
) -> tuple[float, list[float], list[float]]:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    record: list[tuple[float, float]] = []
    ticker = asyncio.create_task(_ticker(tick, stop, record))
    while len(record) < warmup_ticks:
        await asyncio.sleep(tick)
    start = time.perf_counter()
    if mode == "loop":
        countdown(size)  # no await inside: nothing else in this thread runs until it returns
    elif mode == "to_thread":
        await asyncio.to_thread(countdown, size)
    else:
        await loop.run_in_executor(pool, countdown, size)
    end = time.perf_counter()
    done = len(record)
    while len(record) < done + 2:  # the tick that was waiting when the work ended gets recorded
        await asyncio.sleep(tick)
    stop.set()
    await ticker
    during = [e - b - tick for b, e in record if b < end and e > start]
    idle = [e - b - tick for b, e in record if e <= start]
    return end - start, during, idle


@dataclass
class IdleMemory(PlainData):
    """Resident memory added per waiting client, and how RSS was read (plain, JSON-serialisable data).

    Where this system offers no way to read the process's resident memory, ``available`` is False,
    ``bytes_per_client`` is NaN and ``reason`` says why.
    """

    kind: str
    clients: int
    bytes_per_client: float
    method: str
    available: bool = True
    reason: str = ""

    def describe(self) -> str:
        """One line for a learner: the memory per waiting client and how it was read, or why it was not."""
        if not self.available:
            return f"{self.kind:8} not available: {self.reason}"
        return f"{self.kind:8} {self.bytes_per_client / 1024:5.1f} KiB per waiting client  ({self.method})"


def idle_clients_memory(kind: str = "threads", clients: int = 500, *, timeout: float = 10.0) -> IdleMemory:
    """Resident memory (RSS) added per waiting client: a blocked thread, or an asyncio task.

    Starts ``clients`` threads that each wait on a ``threading.Event`` (``kind="threads"``), or
    ``clients`` asyncio tasks that each await an ``asyncio.Event`` (``kind="asyncio"``), measures
    the growth of the process's RSS while all of them wait, then releases and joins them.
    RSS is read from ``/proc/self/statm`` (Linux); on Windows it is the working set that
    ``K32GetProcessMemoryInfo`` reports (through ``ctypes``); on other Unix systems the peak RSS of
    ``resource.getrusage``. Where none of these exists the result has ``available=False`` and a
    ``reason`` (nothing is started). Run it in a fresh process (``isolated(idle_clients_memory, kind)``):
    RSS is a property of the whole process.
    """
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a name (str), not {type(kind).__name__}")
    if kind not in CLIENT_KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(CLIENT_KINDS)}")
    check_count("clients", clients, 1, MAX_CLIENTS)
    timeout = check_seconds("timeout", timeout)
    reader, method = _rss_reader()
    if reader is None:
        return IdleMemory(kind, clients, math.nan, "", available=False, reason=method)
    if kind == "threads":
        grown = _threads_waiting(clients, reader, timeout)
    else:
        grown = asyncio.run(asyncio.wait_for(_tasks_waiting(clients, reader), timeout))
    return IdleMemory(kind=kind, clients=clients, bytes_per_client=grown / clients, method=method)


def _rss_reader() -> tuple[Callable[[], int] | None, str]:
    """A function reading this process's resident memory (bytes) and its name, or ``(None, why not)``."""
    if os.path.exists("/proc/self/statm"):
        page = os.sysconf("SC_PAGE_SIZE")

        def current() -> int:
            with open("/proc/self/statm") as statm:
                return int(statm.read().split()[1]) * page

        return current, "current RSS (/proc/self/statm)"
    if sys.platform == "win32":
        working_set = _windows_working_set()
        if working_set is None:
            return None, "cannot read the working set on this Windows (K32GetProcessMemoryInfo is missing)"
        return working_set, "current working set (K32GetProcessMemoryInfo)"
    try:
        import resource
    except ImportError:
        return None, (
            f"cannot measure resident memory on {sys.platform}: it needs /proc (Linux), "
            "K32GetProcessMemoryInfo (Windows) or the resource module (other Unix systems)"
        )
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere

    def peak() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit

    return peak, "peak RSS (resource.getrusage)"


def _windows_working_set() -> Callable[[], int] | None:
    """The process's current working set (Windows' resident memory, bytes) as a function, or None.

    ``K32GetProcessMemoryInfo`` (kernel32, Windows 7+) fills a ``PROCESS_MEMORY_COUNTERS`` whose
    ``WorkingSetSize`` is the memory resident now (Microsoft's psapi.h documentation). Written from that
    documentation; the course's machines run Linux, where this returns None (there is no ``ctypes.WinDLL``).
    """
    try:
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        get_info = kernel32.K32GetProcessMemoryInfo
    except (ImportError, AttributeError, OSError, ValueError):
        return None

    class Counters(ctypes.Structure):
        _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD)] + [
            (name, ctypes.c_size_t)
            for name in (
                "PeakWorkingSetSize",
                "WorkingSetSize",
                "QuotaPeakPagedPoolUsage",
                "QuotaPagedPoolUsage",
                "QuotaPeakNonPagedPoolUsage",
                "QuotaNonPagedPoolUsage",
                "PagefileUsage",
                "PeakPagefileUsage",
            )
        ]

    get_info.argtypes = [wintypes.HANDLE, ctypes.POINTER(Counters), wintypes.DWORD]
    get_info.restype = wintypes.BOOL
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    process = kernel32.GetCurrentProcess()

    def current() -> int:
        counters = Counters()
        counters.cb = ctypes.sizeof(Counters)
        if not get_info(process, ctypes.byref(counters), counters.cb):
            raise OSError(ctypes.get_last_error(), "K32GetProcessMemoryInfo failed")  # type: ignore[attr-defined]
        return int(counters.WorkingSetSize)

    return current


def _threads_waiting(clients: int, rss: Callable[[], int], timeout: float) -> int:
    release = threading.Event()
    all_waiting = threading.Barrier(clients + 1, timeout=timeout)

    def client() -> None:
        try:
            all_waiting.wait()
        except threading.BrokenBarrierError:
            return
        release.wait(timeout)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    before = rss()
    try:
        for thread in threads:
            thread.start()
        all_waiting.wait()
        after = rss()
    finally:
        all_waiting.abort()
        release.set()
        for thread in threads:
            if thread.ident is not None:
                thread.join(timeout)
    return after - before


async def _tasks_waiting(clients: int, rss: Callable[[], int]) -> int:
    release = asyncio.Event()
    waiting = 0

    async def client() -> None:
        nonlocal waiting
        waiting += 1
        await release.wait()

    before = rss()
    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    try:
        while waiting < clients:
            await asyncio.sleep(0)
        after = rss()
    finally:
        release.set()
        await asyncio.gather(*tasks)
    return after - before


def plot_echo_scaling(results: Sequence[RunResult], *, show: bool = True) -> Figure:
    """Wall time and CPU time per round trip against the number of concurrent clients (tasks).

    ``results`` are :class:`RunResult` of one workload (normally ``echo``) on several executors
    and task counts; each executor gets one line. The client axis and the wall-time axis are logarithmic.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    from utils.ui.plots import COLORS, caption, finish

    results = [r for r in check_results(results) if r.available]
    if not results:
        raise ValueError("none of the results is available: nothing to plot")
    workloads = {r.workload for r in results}
    if len(workloads) > 1:
        raise ValueError(f"results mix workloads {sorted(workloads)}; plot one workload at a time")
    sizes = {r.size for r in results}
    if len(sizes) > 1:
        raise ValueError(f"results mix sizes {sorted(sizes)}; use the same size for every run")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for executor in dict.fromkeys(r.executor for r in results):
        mine = sorted((r for r in results if r.executor == executor), key=lambda r: r.tasks)
        clients = [r.tasks for r in mine]
        color = COLORS.get(executor, "#333333")
        left.plot(clients, [r.wall * 1000 for r in mine], "o-", color=color, label=executor)
        right.plot(clients, [r.cpu / (r.tasks * r.size) * 1e6 for r in mine], "o-", color=color, label=executor)
    unit = get_workload(results[0].workload).size_unit
    left.set_yscale("log")
    left.set_ylabel("wall time (ms, log scale)")
    right.set_ylim(bottom=0)
    right.set_ylabel("CPU time per round trip (µs)" if unit == "round trips" else f"CPU time per {unit} (µs)")
    ticks = sorted({r.tasks for r in results})
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel("concurrent clients (tasks)")
        ax.legend(fontsize=8)
    top = results[0]
    fig.suptitle(f"{top.workload}: {top.size} {unit} per client ({caption(top)})")
    return finish(fig, show)
