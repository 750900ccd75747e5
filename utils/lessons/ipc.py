"""What a process pool pays to move work and data between processes (lesson 08).

Processes side-step the GIL because each has its own interpreter, but they share no objects:
every task, argument and result crosses from one process to another as a pickle, through a
pipe (``multiprocessing`` docs, *Exchanging objects between processes*; ``concurrent.futures``
docs, ``ProcessPoolExecutor``). This module measures what that costs:

- :func:`task_overhead`: many tiny tasks, run one after another and on a process pool with
  several ``chunksize`` values (``Executor.map``): the per-task overhead, and how chunking hides it;
- :func:`ipc_cost`: a payload of growing size sent to a worker and back (the worker returns it
  unchanged), for ``bytes`` and for a list of floats, beside pickling alone and beside a thread,
  which receives a reference and copies nothing;
- :func:`shared_vs_copy`: workers checksum one large buffer, either receiving their slice as a
  pickled copy or attaching to it in ``multiprocessing.shared_memory`` (3.8+) by name;
- :func:`call_in_new_pool` and :func:`unpickle_in_fresh_interpreter`: what happens to a function
  that a worker cannot import (one defined in a notebook) under each start method.

The three experiments run in a fresh process by default (``isolated=True``, through
:func:`utils.engine.isolation.call_isolated`), so the notebook kernel's own threads do not distort them,
and return plain data classes (``to_dict`` / ``from_dict``). Every pool is shut down and every
shared-memory block unlinked, also on errors; every wait has a timeout. Importing this module
starts nothing and imports no plotting library.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import gc
import math
import multiprocessing
import os
import pickle
import platform
import statistics
import subprocess
import sys
import time
import warnings
import zlib
from dataclasses import dataclass, field
from multiprocessing import shared_memory
from typing import Any, Callable, Iterator, Sequence

from utils.engine.plaindata import PlainData
from utils.engine import environment
from utils.engine.executors import check_executor, stopping
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import check_size, primes

__all__ = [
    "KINDS",
    "IpcCost",
    "SharedVsCopy",
    "TaskOverhead",
    "call_in_new_pool",
    "checksum",
    "checksum_shared",
    "echo",
    "ipc_cost",
    "make_payload",
    "plot_ipc_cost",
    "plot_task_overhead",
    "shared_vs_copy",
    "square",
    "task_overhead",
    "unpickle_in_fresh_interpreter",
]

MiB = 1024 * 1024
#: Payload kinds for :func:`ipc_cost`: raw bytes, or a list of Python floats.
KINDS = ("bytes", "list")
#: Bytes a float takes in a pickle: the BINFLOAT opcode and 8 bytes (``Lib/pickle.py``).
FLOAT_PICKLE_BYTES = 9
#: The largest payload or buffer the experiments accept, in MiB.
MAX_MEGABYTES = 256.0
MAX_SIZES = 8
MAX_REPEAT = 20
MAX_TASKS = 100_000


# --- Functions that run in the workers (importable, so every start method can load them) --------


def echo(payload: Any) -> Any:
    """Return ``payload`` unchanged: a task that is all transport and no work."""
    return payload


def square(x: int) -> int:
    """``x * x``, importable from a module (unlike the same function defined in a notebook)."""
    return x * x


def checksum(data: bytes) -> int:
    """CRC-32 of ``data`` (a fast C loop, so moving the data dominates the cost)."""
    return zlib.crc32(data)


def checksum_shared(name: str, start: int, stop: int) -> int:
    """CRC-32 of bytes ``start:stop`` of the shared-memory block ``name``, attached without a copy."""
    # From 3.13, track=False keeps this process's resource tracker out of a block it did not create.
    options = {"track": False} if sys.version_info >= (3, 13) else {}
    block = shared_memory.SharedMemory(name=name, **options)
    try:
        view = block.buf[start:stop]
        try:
            return zlib.crc32(view)
        finally:
            view.release()
    finally:
        block.close()


def _quiet_worker() -> None:
    """Pool initializer: silence the worker's stderr, so a worker that dies prints no traceback
    into the notebook (the parent still learns about it as ``BrokenProcessPool``)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = open(os.devnull, "w")


# --- Argument checks ----------------------------------------------------------------------------


def _check_start_method(start_method: str | None) -> str:
    check_executor("processes", start_method)
    return start_method or multiprocessing.get_all_start_methods()[0]


def _check_megabytes(what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of MiB, not {type(value).__name__}")
    if not (0 < value <= MAX_MEGABYTES) or math.isnan(value):
        raise ValueError(f"{what} must be more than 0 and at most {MAX_MEGABYTES:g} MiB, got {value}")
    return float(value)


def _check_sizes(sizes: Sequence[float]) -> list[float]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (list, tuple)):
        raise TypeError("sizes must be a list of MiB, e.g. [0.25, 1, 4, 16]")
    if not 1 <= len(sizes) <= MAX_SIZES:
        raise ValueError(f"sizes must hold 1 to {MAX_SIZES} sizes, got {len(sizes)}")
    return [_check_megabytes("each size", s) for s in sizes]


def _check_kinds(kinds: Sequence[str]) -> list[str]:
    if isinstance(kinds, str) or not isinstance(kinds, (list, tuple)):
        raise TypeError(f"kinds must be a list of names, e.g. {list(KINDS)}")
    if not kinds:
        raise ValueError("kinds must name at least one payload kind")
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"unknown payload kind {kind!r}; choose from {', '.join(KINDS)}")
    return list(dict.fromkeys(kinds))


def _check_chunksizes(chunksizes: Sequence[int], tasks: int) -> list[int]:
    if isinstance(chunksizes, (str, bytes)) or not isinstance(chunksizes, (list, tuple)):
        raise TypeError("chunksizes must be a list of whole numbers, e.g. [1, 10, 100]")
    if not 1 <= len(chunksizes) <= MAX_SIZES:
        raise ValueError(f"chunksizes must hold 1 to {MAX_SIZES} values, got {len(chunksizes)}")
    return [check_count("each chunksize", c, 1, tasks) for c in chunksizes]


# --- Pools that always shut down ------------------------------------------------------------------


@contextlib.contextmanager
def _process_pool(
    workers: int, start_method: str, timeout: float, initializer: Callable[[], None] | None = None
) -> Iterator[cf.ProcessPoolExecutor]:
    """A started, warmed-up pool; shut down on exit, its workers killed first if something failed."""
    pool = cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context(start_method), initializer=initializer
    )
    with stopping(pool):  # on a failure: workers killed, no waiting for a task that overran
        with warnings.catch_warnings():
            # 3.12+ warns when a process with threads forks (DeprecationWarning): that is the
            # lesson's topic, not a failure of the experiment.
            warnings.simplefilter("ignore", DeprecationWarning)
            warm = [pool.submit(echo, None) for _ in range(workers)]
        for future in warm:
            future.result(timeout=timeout)
        yield pool


def _timed(func: Callable[[], Any]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _median_time(func: Callable[[], Any], repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def _where() -> dict[str, Any]:
    return {"python": platform.python_version(), "cpu_count": environment.usable_cpus()}


def _isolated(target: str, kwargs: dict[str, Any], timeout: float) -> dict:
    from utils.engine.isolation import call_isolated  # not at import time: utils.engine.isolation imports executors

    # The fresh process gets its own timeout for each wait; give it room for start-up on top.
    return call_isolated(target, dict(kwargs, isolated=False), timeout=timeout * 3 + 30)


# --- Experiment 1: many tiny tasks -----------------------------------------------------------------


@dataclass
class TaskOverhead(PlainData):
    """``tasks`` tiny ``primes(size)`` tasks: sequential, and on a pool with each ``chunksize``."""

    tasks: int
    size: int
    workers: int
    start_method: str
    chunksizes: list[int]
    sequential_times: list[float]
    pool_times: list[list[float]]
    python: str = ""
    cpu_count: int = 1

    @property
    def sequential(self) -> float:
        """Median wall time of running the tasks one after another in one process (seconds)."""
        return statistics.median(self.sequential_times)

    @property
    def pooled(self) -> list[float]:
        """Median wall time on the pool, one per chunksize (seconds)."""
        return [statistics.median(times) for times in self.pool_times]

    def speedup(self, chunksize: int) -> float:
        """Sequential wall time / pool wall time for ``chunksize`` (above 1: the pool won)."""
        if chunksize not in self.chunksizes:
            raise ValueError(f"chunksize {chunksize} was not measured; measured: {self.chunksizes}")
        return self.sequential / self.pooled[self.chunksizes.index(chunksize)]

    def per_task_us(self) -> dict[str, float]:
        """Wall time per task in microseconds: 'sequential' and 'chunksize=N' for each N."""
        rows = {"sequential": self.sequential / self.tasks * 1e6}
        for chunksize, wall in zip(self.chunksizes, self.pooled):
            rows[f"chunksize={chunksize}"] = wall / self.tasks * 1e6
        return rows

    def describe(self) -> str:
        lines = [f"{self.tasks} tasks of primes({self.size}), {self.workers} worker processes ({self.start_method}), "
                 f"median of {len(self.sequential_times)}:"]
        for label, us in self.per_task_us().items():
            wall = us * self.tasks / 1e6
            lines.append(f"  {label:<16} wall {wall * 1000:8.1f} ms   {us:8.1f} µs per task")
        return "\n".join(lines)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskOverhead:
        return cls(**data)


def task_overhead(
    tasks: int = 2000,
    size: int = 50,
    *,
    workers: int = 2,
    chunksizes: Sequence[int] = (1, 10, 100),
    start_method: str | None = None,
    repeat: int = 5,
    timeout: float = 60.0,
    isolated: bool = True,
) -> TaskOverhead:
    """Run ``tasks`` tasks of ``primes(size)`` one after another, then with ``Executor.map`` on a
    ``workers``-process pool for each ``chunksize``; ``repeat`` rounds, each timing every variant
    once (interleaved), medians reported.

    With ``isolated=True`` (the default) the measurement runs in a fresh process.
    """
    check_count("tasks", tasks, 1, MAX_TASKS)
    check_size(size)
    check_count("workers", workers, 1, 64)
    chunksizes = _check_chunksizes(chunksizes, tasks)
    start_method = _check_start_method(start_method)
    check_count("repeat", repeat, 1, MAX_REPEAT)
    timeout = check_seconds("timeout", timeout)
    if isolated:
        kwargs = dict(tasks=tasks, size=size, workers=workers, chunksizes=chunksizes,
                      start_method=start_method, repeat=repeat, timeout=timeout)
        return TaskOverhead.from_dict(_isolated("utils.lessons.ipc:task_overhead", kwargs, timeout))

    sizes = [size] * tasks
    expected = primes(size) * tasks

    def run_map(pool: cf.ProcessPoolExecutor, chunksize: int) -> None:
        total = sum(pool.map(primes, sizes, chunksize=chunksize, timeout=timeout))
        if total != expected:
            raise RuntimeError(f"the pool returned a wrong total: {total} != {expected}")

    sequential_times: list[float] = []
    pool_times: list[list[float]] = [[] for _ in chunksizes]
    with _process_pool(workers, start_method, timeout) as pool:
        # Interleaved: each round times every variant once, so a burst of load elsewhere on the
        # machine slows all of them alike instead of one.
        for _ in range(repeat):
            sequential_times.append(_timed(lambda: [primes(s) for s in sizes]))
            for times, chunksize in zip(pool_times, chunksizes):
                times.append(_timed(lambda c=chunksize: run_map(pool, c)))
    return TaskOverhead(tasks, size, workers, start_method, chunksizes, sequential_times, pool_times, **_where())


# --- Experiment 2: large arguments -----------------------------------------------------------------


def make_payload(kind: str, megabytes: float) -> bytes | list[float]:
    """A payload whose pickle is about ``megabytes`` MiB: ``bytes``, or a list of floats."""
    _check_kinds([kind])
    nbytes = int(_check_megabytes("megabytes", megabytes) * MiB)
    if kind == "bytes":
        return b"x" * nbytes  # written, so every page is real memory
    return list(map(float, range(max(1, nbytes // FLOAT_PICKLE_BYTES))))


@dataclass
class IpcCost(PlainData):
    """Round trips of payloads of growing size to a worker process, and what pickling alone costs.

    For each kind, lists run parallel to ``sizes``: ``pickled_mb`` (size of the pickle in MiB),
    ``round_trip`` (median seconds to send the payload to a worker process and get it back),
    ``pickling`` (median seconds of the two dumps and two loads a round trip needs, in one process).
    ``thread_round_trip``: the same round trip of the ``bytes`` payloads through a thread pool.
    """

    sizes: list[float]
    kinds: list[str]
    start_method: str
    repeat: int
    pickled_mb: dict[str, list[float]] = field(default_factory=dict)
    round_trip: dict[str, list[float]] = field(default_factory=dict)
    pickling: dict[str, list[float]] = field(default_factory=dict)
    thread_round_trip: list[float] = field(default_factory=list)
    python: str = ""
    cpu_count: int = 1

    def ms_per_mb(self, kind: str) -> list[float]:
        """Round-trip milliseconds per MiB of pickle, for each size."""
        if kind not in self.round_trip:
            raise ValueError(f"kind {kind!r} was not measured; measured: {self.kinds}")
        return [t * 1000 / mb for t, mb in zip(self.round_trip[kind], self.pickled_mb[kind])]

    def describe(self) -> str:
        lines = [f"Round trip to one worker process ({self.start_method}) and back, median of {self.repeat}:"]
        lines.append(f"  {'payload':<16}{'pickle MiB':>11}{'round trip':>13}{'pickling':>11}{'per MiB':>10}")
        for kind in self.kinds:
            for mb, trip, pick, per in zip(self.pickled_mb[kind], self.round_trip[kind], self.pickling[kind],
                                           self.ms_per_mb(kind)):
                lines.append(f"  {kind:<16}{mb:>11.2f}{trip * 1000:>10.1f} ms{pick * 1000:>8.1f} ms{per:>7.2f} ms")
        if self.thread_round_trip:
            trips = ", ".join(f"{t * 1e6:.0f} µs" for t in self.thread_round_trip)
            lines.append(f"  bytes to a thread and back (no copy): {trips}")
        return "\n".join(lines)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IpcCost:
        return cls(**data)


def ipc_cost(
    sizes: Sequence[float] = (0.125, 0.5, 2, 8),
    kinds: Sequence[str] = KINDS,
    *,
    start_method: str | None = None,
    repeat: int = 3,
    timeout: float = 60.0,
    isolated: bool = True,
) -> IpcCost:
    """Send payloads of ``sizes`` MiB (of each kind) to a one-worker process pool and back.

    With ``isolated=True`` (the default) the measurement runs in a fresh process.
    """
    sizes = _check_sizes(sizes)
    kinds = _check_kinds(kinds)
    start_method = _check_start_method(start_method)
    check_count("repeat", repeat, 1, MAX_REPEAT)
    timeout = check_seconds("timeout", timeout)
    if isolated:
        kwargs = dict(sizes=sizes, kinds=kinds, start_method=start_method, repeat=repeat, timeout=timeout)
        return IpcCost.from_dict(_isolated("utils.lessons.ipc:ipc_cost", kwargs, timeout))

    result = IpcCost(sizes, kinds, start_method, repeat, **_where())
    with _process_pool(1, start_method, timeout) as pool, cf.ThreadPoolExecutor(1) as threads:
        threads.submit(echo, None).result(timeout=timeout)  # start the thread before timing
        for kind in kinds:
            result.pickled_mb[kind], result.round_trip[kind], result.pickling[kind] = [], [], []
            for mb in sizes:
                payload = make_payload(kind, mb)
                result.pickled_mb[kind].append(len(pickle.dumps(payload)) / MiB)
                result.pickling[kind].append(
                    _median_time(lambda: pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(payload)))), repeat)[0]
                )

                def process_trip(payload: Any = payload) -> None:
                    back = pool.submit(echo, payload).result(timeout=timeout)
                    if len(back) != len(payload):
                        raise RuntimeError("the payload came back changed")

                result.round_trip[kind].append(_median_time(process_trip, repeat)[0])
                if kind == "bytes":
                    trip = _median_time(lambda: threads.submit(echo, payload).result(timeout=timeout), repeat)[0]
                    result.thread_round_trip.append(trip)
                del payload
    return result


# --- Experiment 3: shared memory instead of copies ----------------------------------------------


@dataclass
class SharedVsCopy(PlainData):
    """``workers`` processes checksum a ``megabytes`` MiB buffer, one slice each, two ways:
    each slice sent as a pickled ``bytes`` copy, or read in place from shared memory."""

    megabytes: float
    workers: int
    start_method: str
    copy_times: list[float]
    shared_times: list[float]
    checksums_match: bool
    python: str = ""
    cpu_count: int = 1

    @property
    def copy(self) -> float:
        """Median wall time when every slice is sent as a copy (seconds)."""
        return statistics.median(self.copy_times)

    @property
    def shared(self) -> float:
        """Median wall time when the workers read the slices in shared memory (seconds)."""
        return statistics.median(self.shared_times)

    def describe(self) -> str:
        return "\n".join([
            f"CRC-32 of {self.megabytes:g} MiB in {self.workers} worker processes ({self.start_method}), "
            f"median of {len(self.copy_times)}:",
            f"  slices sent as copies:      {self.copy * 1000:8.1f} ms",
            f"  slices read in shared memory: {self.shared * 1000:6.1f} ms",
            f"  same checksums both ways: {self.checksums_match}",
        ])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SharedVsCopy:
        return cls(**data)


def _slices(nbytes: int, parts: int) -> list[tuple[int, int]]:
    step = -(-nbytes // parts)
    return [(start, min(start + step, nbytes)) for start in range(0, nbytes, step)]


def shared_vs_copy(
    megabytes: float = 64,
    *,
    workers: int = 2,
    start_method: str | None = None,
    repeat: int = 3,
    timeout: float = 60.0,
    isolated: bool = True,
) -> SharedVsCopy:
    """Checksum one buffer in ``workers`` processes: slices sent as copies vs read in shared memory.

    The shared-memory block is created before the pool starts (so the workers share the parent's
    resource tracker), and closed and unlinked at the end, also on errors.
    With ``isolated=True`` (the default) the measurement runs in a fresh process.
    """
    nbytes = int(_check_megabytes("megabytes", megabytes) * MiB)
    check_count("workers", workers, 1, 64)
    start_method = _check_start_method(start_method)
    check_count("repeat", repeat, 1, MAX_REPEAT)
    timeout = check_seconds("timeout", timeout)
    if isolated:
        kwargs = dict(megabytes=megabytes, workers=workers, start_method=start_method, repeat=repeat, timeout=timeout)
        return SharedVsCopy.from_dict(_isolated("utils.lessons.ipc:shared_vs_copy", kwargs, timeout))

    data = bytes(range(256)) * (nbytes // 256) + bytes(nbytes % 256)
    parts = _slices(nbytes, workers)
    expected = [zlib.crc32(data[a:b]) for a, b in parts]
    chunks = [data[a:b] for a, b in parts]  # prepared before the clock starts
    block = shared_memory.SharedMemory(create=True, size=nbytes)
    try:
        block.buf[:nbytes] = data
        with _process_pool(workers, start_method, timeout) as pool:
            def by_copy() -> list[int]:
                return [f.result(timeout=timeout) for f in [pool.submit(checksum, c) for c in chunks]]

            def in_shared_memory() -> list[int]:
                futures = [pool.submit(checksum_shared, block.name, a, b) for a, b in parts]
                return [f.result(timeout=timeout) for f in futures]

            match = by_copy() == expected and in_shared_memory() == expected
            copy_times, shared_times = [], []
            for _ in range(repeat):  # interleaved, like task_overhead
                copy_times.append(_timed(by_copy))
                shared_times.append(_timed(in_shared_memory))
    finally:
        block.close()
        block.unlink()
    return SharedVsCopy(float(megabytes), workers, start_method, copy_times, shared_times, match, **_where())


# --- Functions a worker cannot import --------------------------------------------------------------


def call_in_new_pool(func: Callable[[Any], Any], arg: Any, start_method: str, *, timeout: float = 30.0) -> str:
    """Run ``func(arg)`` in a new one-worker process pool with ``start_method``; say what happened.

    Returns ``"returned <value>"``, or ``"failed: <exception name>"`` when the worker could not run
    the task (a function it cannot import breaks the pool: ``BrokenProcessPool``). The worker's
    stderr is silenced, so its traceback does not land in a notebook.
    """
    if not callable(func):
        raise TypeError(f"func must be callable, not {type(func).__name__}")
    if start_method is None:
        raise ValueError("name a start method: 'fork', 'spawn' or 'forkserver'")
    start_method = _check_start_method(start_method)
    timeout = check_seconds("timeout", timeout)
    pool = None
    try:
        with _process_pool(1, start_method, timeout, initializer=_quiet_worker) as pool:
            value = pool.submit(func, arg).result(timeout=timeout)
    except Exception as exc:  # the outcome is the answer: BrokenProcessPool, PicklingError, TimeoutError, ...
        outcome = f"failed: {type(exc).__name__}"
        exc.__traceback__ = None  # its frames would keep the pool's futures (and the exception) in a cycle
    else:
        outcome = f"returned {value!r}"
    pool = None  # noqa: F841 - drop the last reference before collecting
    _collect_pool_garbage()
    return outcome


def _collect_pool_garbage() -> None:
    """Free a finished pool's reference cycles now, at a safe point.

    A broken pool stays in reference cycles (its manager thread, queues and futures, and the
    exception's traceback). Left to a later, automatic collection, its semaphores may be finalized
    while ``multiprocessing``'s resource tracker is registering the next pool's; up to 3.13 the
    tracker then warns "ResourceTracker called reentrantly for resource cleanup ... might leak" on
    stderr, into a notebook cell (``ResourceTracker._send`` in ``Lib/multiprocessing/resource_tracker.py``;
    seen here on 3.13t; 3.14 queues such messages instead).
    """
    gc.collect()


_UNPICKLE = """
import pickle, sys
try:
    pickle.loads(sys.stdin.buffer.read())
except Exception as exc:
    print("failed:", type(exc).__name__)
else:
    print("loaded")
"""


def unpickle_in_fresh_interpreter(data: bytes, *, timeout: float = 30.0) -> str:
    """Unpickle ``data`` in a new interpreter (as a spawned worker does); "loaded" or "failed: <error>"."""
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes (a pickle), not {type(data).__name__}")
    timeout = check_seconds("timeout", timeout)
    from utils.engine.isolation import PACKAGE_PARENT

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, env.get("PYTHONPATH")]))
    try:
        done = subprocess.run([sys.executable, "-c", _UNPICKLE], input=bytes(data), capture_output=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return "failed: timed out"
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"failed: exit code {done.returncode}"


# --- Plots (matplotlib is imported only here) ------------------------------------------------------




def plot_task_overhead(result: TaskOverhead, *, show: bool = True) -> Any:
    """Bars: wall time of the tiny tasks, sequential and on the pool for each chunksize."""
    if not isinstance(result, TaskOverhead):
        raise TypeError(f"result must be a TaskOverhead, not {type(result).__name__}")
    import matplotlib.pyplot as plt

    from utils.ui.plots import finish

    labels = ["sequential"] + [f"pool\nchunksize={c}" for c in result.chunksizes]
    walls = [result.sequential * 1000] + [w * 1000 for w in result.pooled]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    bars = ax.bar(labels, walls, color=["#7f7f7f"] + ["#2ca02c"] * len(result.chunksizes))
    for bar, us in zip(bars, result.per_task_us().values()):
        ax.annotate(f"{us:.0f} µs/task", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=9)
    ax.set_ylabel("wall time (ms)")
    ax.set_ylim(0, max(walls) * 1.2)
    ax.set_title(f"{result.tasks} tiny tasks (primes({result.size})), {result.workers} workers "
                 f"(Python {result.python}, {result.cpu_count} CPUs)", fontsize=10)
    return finish(fig, show)


def plot_ipc_cost(result: IpcCost, *, show: bool = True) -> Any:
    """Round-trip time against payload size (log-log), per kind, beside pickling alone and a thread."""
    if not isinstance(result, IpcCost):
        raise TypeError(f"result must be an IpcCost, not {type(result).__name__}")
    import matplotlib.pyplot as plt

    from utils.ui.plots import finish
    from matplotlib.ticker import NullLocator

    colors = {"bytes": "#2ca02c", "list": "#d62728"}
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.6))
    for kind in result.kinds:
        mb = result.pickled_mb[kind]
        left.plot(mb, [t * 1000 for t in result.round_trip[kind]], "o-", color=colors[kind],
                  label=f"{kind}: round trip to a process")
        left.plot(mb, [t * 1000 for t in result.pickling[kind]], "o:", color=colors[kind],
                  label=f"{kind}: pickling alone")
        right.plot(mb, result.ms_per_mb(kind), "o-", color=colors[kind], label=kind)
    if result.thread_round_trip:
        left.plot(result.pickled_mb["bytes"] if "bytes" in result.pickled_mb else result.sizes,
                  [t * 1000 for t in result.thread_round_trip], "s--", color="#1f77b4",
                  label="bytes: round trip to a thread")
    left.set(xscale="log", yscale="log", xlabel="payload (MiB of pickle)", ylabel="time (ms)")
    right.set(xscale="log", xlabel="payload (MiB of pickle)", ylabel="round trip per MiB (ms)")
    right.set_ylim(bottom=0)
    for ax in (left, right):
        ax.set_xticks(result.sizes, [f"{mb:g}" for mb in result.sizes])
        ax.xaxis.set_minor_locator(NullLocator())
    left.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.18), ncol=2)
    right.legend(fontsize=8)
    fig.suptitle(f"Sending data to a worker process and back ({result.start_method}; "
                 f"Python {result.python}, {result.cpu_count} CPUs)", fontsize=11)
    return finish(fig, show)
