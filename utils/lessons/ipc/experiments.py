"""What a process pool pays to move work and data between processes (lesson 08).

- :func:`task_overhead`: many tiny tasks, one after another and on a pool with several
  ``chunksize`` values (``Executor.map``);
- :func:`ipc_cost`: payloads of growing size to a worker and back, beside pickling alone and a thread;
- :func:`shared_vs_copy`: slices of one buffer sent as copies, or read in ``multiprocessing.shared_memory``.

Run them in a fresh process (``utils.engine.isolation.isolated(task_overhead, ...)``) so that a
notebook kernel's own threads do not distort them; they return plain data classes.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import pickle
import statistics
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing import shared_memory
from typing import Any

from utils.engine import environment
from utils.engine.plaindata import PlainData
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import check_size, primes
from utils.lessons.ipc.workers import check_start_method, checksum, checksum_shared, echo, process_pool

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


# --- Argument checks ----------------------------------------------------------------------------


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


# --- Experiment 1: many tiny tasks -----------------------------------------------------------------


@dataclass
class TaskOverhead(PlainData, environment.MadeOn):
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
        for chunksize, wall in zip(self.chunksizes, self.pooled, strict=True):
            rows[f"chunksize={chunksize}"] = wall / self.tasks * 1e6
        return rows

    def describe(self) -> str:
        lines = [
            f"{self.tasks} tasks of primes({self.size}), {self.workers} worker processes ({self.start_method}), "
            f"median of {len(self.sequential_times)}:"
        ]
        for label, us in self.per_task_us().items():
            wall = us * self.tasks / 1e6
            lines.append(f"  {label:<16} wall {wall * 1000:8.1f} ms   {us:8.1f} µs per task")
        return "\n".join(lines)


def task_overhead(
    tasks: int = 2000,
    size: int = 50,
    *,
    workers: int = 2,
    chunksizes: Sequence[int] = (1, 10, 100),
    start_method: str | None = None,
    repeat: int = 5,
    timeout: float = 60.0,
) -> TaskOverhead:
    """Run ``tasks`` tasks of ``primes(size)`` one after another, then with ``Executor.map`` on a
    ``workers``-process pool for each ``chunksize``; ``repeat`` rounds, each timing every variant
    once (interleaved), medians reported.

    Run it in a fresh process (``isolated(task_overhead, ...)``), so a notebook kernel's own
    threads do not distort it.
    """
    check_count("tasks", tasks, 1, MAX_TASKS)
    check_size(size)
    check_count("workers", workers, 1, 64)
    chunksizes = _check_chunksizes(chunksizes, tasks)
    start_method = check_start_method(start_method)
    check_count("repeat", repeat, 1, MAX_REPEAT)
    timeout = check_seconds("timeout", timeout)

    sizes = [size] * tasks
    expected = primes(size) * tasks

    def run_map(pool: cf.ProcessPoolExecutor, chunksize: int) -> None:
        total = sum(pool.map(primes, sizes, chunksize=chunksize, timeout=timeout))
        if total != expected:
            raise RuntimeError(f"the pool returned a wrong total: {total} != {expected}")

    sequential_times: list[float] = []
    pool_times: list[list[float]] = [[] for _ in chunksizes]
    with process_pool(workers, start_method, timeout) as pool:
        # Interleaved: each round times every variant once, so a burst of load elsewhere on the
        # machine slows all of them alike instead of one.
        for _ in range(repeat):
            sequential_times.append(_timed(lambda: [primes(s) for s in sizes]))
            for times, chunksize in zip(pool_times, chunksizes, strict=True):
                times.append(_timed(lambda c=chunksize: run_map(pool, c)))
    return TaskOverhead.made_on(
        environment.where_it_ran(),
        tasks=tasks,
        size=size,
        workers=workers,
        start_method=start_method,
        chunksizes=chunksizes,
        sequential_times=sequential_times,
        pool_times=pool_times,
    )


# --- Experiment 2: large arguments -----------------------------------------------------------------


def make_payload(kind: str, megabytes: float) -> bytes | list[float]:
    """A payload whose pickle is about ``megabytes`` MiB: ``bytes``, or a list of floats."""
    _check_kinds([kind])
    nbytes = int(_check_megabytes("megabytes", megabytes) * MiB)
    if kind == "bytes":
        return b"x" * nbytes  # written, so every page is real memory
    return list(map(float, range(max(1, nbytes // FLOAT_PICKLE_BYTES))))


@dataclass
class IpcCost(PlainData, environment.MadeOn):
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
        return [t * 1000 / mb for t, mb in zip(self.round_trip[kind], self.pickled_mb[kind], strict=True)]

    def describe(self) -> str:
        lines = [f"Round trip to one worker process ({self.start_method}) and back, median of {self.repeat}:"]
        lines.append(f"  {'payload':<16}{'pickle MiB':>11}{'round trip':>13}{'pickling':>11}{'per MiB':>10}")
        for kind in self.kinds:
            for mb, trip, pick, per in zip(
                self.pickled_mb[kind], self.round_trip[kind], self.pickling[kind], self.ms_per_mb(kind), strict=True
            ):
                lines.append(f"  {kind:<16}{mb:>11.2f}{trip * 1000:>10.1f} ms{pick * 1000:>8.1f} ms{per:>7.2f} ms")
        if self.thread_round_trip:
            trips = ", ".join(f"{t * 1e6:.0f} µs" for t in self.thread_round_trip)
            lines.append(f"  bytes to a thread and back (no copy): {trips}")
        return "\n".join(lines)


def ipc_cost(
    sizes: Sequence[float] = (0.125, 0.5, 2, 8),
    kinds: Sequence[str] = KINDS,
    *,
    start_method: str | None = None,
    repeat: int = 3,
    timeout: float = 60.0,
) -> IpcCost:
    """Send payloads of ``sizes`` MiB (of each kind) to a one-worker process pool and back.

    Run it in a fresh process (``isolated(ipc_cost, ...)``), so a notebook kernel's own
    threads do not distort it.
    """
    sizes = _check_sizes(sizes)
    kinds = _check_kinds(kinds)
    start_method = check_start_method(start_method)
    check_count("repeat", repeat, 1, MAX_REPEAT)
    timeout = check_seconds("timeout", timeout)

    result = IpcCost.made_on(
        environment.where_it_ran(), sizes=sizes, kinds=kinds, start_method=start_method, repeat=repeat
    )
    with process_pool(1, start_method, timeout) as pool, cf.ThreadPoolExecutor(1) as threads:
        threads.submit(echo, None).result(timeout=timeout)  # start the thread before timing
        for kind in kinds:
            result.pickled_mb[kind], result.round_trip[kind], result.pickling[kind] = [], [], []
            for mb in sizes:
                payload = make_payload(kind, mb)
                result.pickled_mb[kind].append(len(pickle.dumps(payload)) / MiB)
                result.pickling[kind].append(
                    _median_time(lambda p=payload: pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(p)))), repeat)[0]
                )

                def process_trip(payload: Any = payload) -> None:
                    back = pool.submit(echo, payload).result(timeout=timeout)
                    if len(back) != len(payload):
                        raise RuntimeError("the payload came back changed")

                result.round_trip[kind].append(_median_time(process_trip, repeat)[0])
                if kind == "bytes":
                    trip = _median_time(lambda p=payload: threads.submit(echo, p).result(timeout=timeout), repeat)[0]
                    result.thread_round_trip.append(trip)
    return result


# --- Experiment 3: shared memory instead of copies ----------------------------------------------


@dataclass
class SharedVsCopy(PlainData, environment.MadeOn):
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
        return "\n".join(
            [
                f"CRC-32 of {self.megabytes:g} MiB in {self.workers} worker processes ({self.start_method}), "
                f"median of {len(self.copy_times)}:",
                f"  slices sent as copies:      {self.copy * 1000:8.1f} ms",
                f"  slices read in shared memory: {self.shared * 1000:6.1f} ms",
                f"  same checksums both ways: {self.checksums_match}",
            ]
        )


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
) -> SharedVsCopy:
    """Checksum one buffer in ``workers`` processes: slices sent as copies vs read in shared memory.

    The shared-memory block is created before the pool starts (so the workers share the parent's
    resource tracker), and closed and unlinked at the end, also on errors.
    Run it in a fresh process (``isolated(shared_vs_copy, ...)``).
    """
    nbytes = int(_check_megabytes("megabytes", megabytes) * MiB)
    check_count("workers", workers, 1, 64)
    start_method = check_start_method(start_method)
    check_count("repeat", repeat, 1, MAX_REPEAT)
    timeout = check_seconds("timeout", timeout)

    data = bytes(range(256)) * (nbytes // 256) + bytes(nbytes % 256)
    parts = _slices(nbytes, workers)
    expected = [zlib.crc32(data[a:b]) for a, b in parts]
    chunks = [data[a:b] for a, b in parts]  # prepared before the clock starts
    block = shared_memory.SharedMemory(create=True, size=nbytes)
    try:
        block.buf[:nbytes] = data
        with process_pool(workers, start_method, timeout) as pool:

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
    return SharedVsCopy.made_on(
        environment.where_it_ran(),
        megabytes=float(megabytes),
        workers=workers,
        start_method=start_method,
        copy_times=copy_times,
        shared_times=shared_times,
        checksums_match=match,
    )
