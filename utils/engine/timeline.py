"""Thread timelines: when did each thread make progress? (Beazley-style GIL pictures.)

Each worker thread runs an *instrumented* workload that notes the time (``perf_counter``)
after every small chunk of work: ``countdown`` notes it every ``chunk`` iterations,
``sha256`` after every 64 KiB block it hashes (the GIL is released while hashing). Consecutive
notes close together mean the thread was running between them; a long gap means it was
waiting (for the GIL, or for a CPU). From the notes we rebuild, per thread, the intervals in
which it ran.

    timeline = record_timeline("countdown", threads=2)
    timeline.lanes        # per thread: [[start, end], ...] in seconds from the common start
    timeline.overlap      # fraction of the time two or more threads ran at once

The instrumentation costs one list append and one clock read per chunk: see
:func:`instrumentation_overhead` (a few percent at the default chunk size).
:func:`run_together` (threads released by a barrier, the switch interval set, joined before a
deadline) also starts the threads that :mod:`utils.engine.gil_profile` runs under the profiler.
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from utils.engine import environment
from utils.engine.plaindata import PlainData
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import check_size

TIMELINE_WORKLOADS = ("countdown", "sha256")
#: Default sizes: about 0.2 s of work per thread on one core.
DEFAULT_SIZES = {"countdown": 8_000_000, "sha256": 5_000}
BLOCK = 64 * 1024
DEFAULT_CHUNK = 2_000
#: Each chunk counts down from ``_FLOOR + chunk`` to ``_FLOOR``: every value is a new int object, as in the
#: plain countdown of a large ``n``. Counting down to 0 would end each chunk among CPython's cached small ints
#: (-5 to 256; to 1024 on 3.15, as measured on 3.15.2), a cheaper step, so smaller chunks would run faster
#: and hide the cost of the notes.
_FLOOR = 1 << 20


def _countdown_stamped(size: int, chunk: int, stamps: list[float]) -> None:
    append, clock = stamps.append, time.perf_counter
    append(clock())
    for _ in range(max(1, size // chunk)):
        n = _FLOOR + chunk
        while n > _FLOOR:
            n -= 1
        append(clock())


def _sha256_stamped(size: int, chunk: int, stamps: list[float]) -> None:
    append, clock = stamps.append, time.perf_counter
    data = bytes(BLOCK)
    digest = hashlib.sha256()
    append(clock())
    for _ in range(size):
        digest.update(data)  # releases the GIL (64 KiB >= 2048 bytes)
        append(clock())


_STAMPED: dict[str, Callable[[int, int, list[float]], None]] = {
    "countdown": _countdown_stamped,
    "sha256": _sha256_stamped,
}


@dataclass
class Timeline(PlainData, environment.MadeOn):
    """Per-thread running intervals of one experiment; plain, JSON-serialisable data."""

    workload: str
    threads: int
    size: int
    switch_interval: float
    wall: float
    lanes: list[list[list[float]]]
    python: str = ""
    cpu_count: int = 1
    gil_enabled: bool = True
    gap_threshold: float = 0.0
    notes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def turns(self) -> int:
        """How many running intervals all threads had in total (a thread's turns on a CPU/the GIL)."""
        return sum(len(lane) for lane in self.lanes)

    @property
    def overlap(self) -> float:
        """Fraction of the wall time during which at least two threads were running."""
        events = sorted(
            [(s, 1) for lane in self.lanes for s, _ in lane] + [(e, -1) for lane in self.lanes for _, e in lane]
        )
        running, last, together = 0, 0.0, 0.0
        for when, change in events:
            if running >= 2:
                together += when - last
            running += change
            last = when
        return together / self.wall if self.wall > 0 else 0.0

    def busy(self) -> list[float]:
        """Seconds each thread spent running."""
        return [sum(e - s for s, e in lane) for lane in self.lanes]


def intervals(stamps: list[float], gap: float) -> list[list[float]]:
    """Merge consecutive stamps closer than ``gap`` seconds into running intervals."""
    if gap <= 0:
        raise ValueError(f"gap must be positive, got {gap}")
    result: list[list[float]] = []
    for previous, current in zip(stamps, stamps[1:]):
        if current - previous > gap:
            continue  # the thread waited between these two notes
        if result and result[-1][1] == previous:
            result[-1][1] = current
        else:
            result.append([previous, current])
    return result


def run_together(
    target: Callable[[int], Any],
    threads: int,
    *,
    switch_interval: float | None = None,
    timeout: float = 30.0,
    what: str = "worker",
) -> tuple[float, float]:
    """Run ``target(index)`` in ``threads`` threads named ``worker-<index>``, released together by a barrier.

    Sets the switch interval for the run (``None``: leave it), joins every thread before a common
    deadline ``timeout`` seconds after the release, and returns ``(start, wall)``: the release
    (``time.perf_counter()``) and the wall time from it to the last join. Raises TimeoutError if a
    thread is still running then (the daemon threads are left behind: run this in a fresh process),
    and RuntimeError naming the first exception a thread raised.
    Used by :func:`record_timeline` and by :func:`utils.engine.gil_profile.run_threads`.
    """
    if not callable(target):
        raise TypeError(f"target must be callable, not {type(target).__name__}")
    check_count("threads", threads, 1, 64)
    timeout = check_seconds("timeout", timeout)
    barrier = threading.Barrier(threads + 1, timeout=timeout)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as exc:  # reported below, after the join
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(i,), name=f"worker-{i}", daemon=True) for i in range(threads)]
    with environment.switch_interval(switch_interval):
        for thread in pool:
            thread.start()
        barrier.wait()
        start = time.perf_counter()
        deadline = start + timeout
        for thread in pool:
            thread.join(max(0.0, deadline - time.perf_counter()))
        wall = time.perf_counter() - start
    if any(thread.is_alive() for thread in pool):
        raise TimeoutError(f"{what} threads did not finish within {timeout:g} s")
    if errors:
        raise RuntimeError(f"a {what} thread failed: {errors[0]!r}")
    return start, wall


def record_timeline(
    workload: str = "countdown",
    threads: int = 2,
    size: int | None = None,
    *,
    switch_interval: float | None = None,
    chunk: int = DEFAULT_CHUNK,
    timeout: float = 30.0,
) -> Timeline:
    """Run ``threads`` threads of an instrumented workload at once and rebuild their timelines.

    ``workload`` is ``"countdown"`` (pure Python, holds the GIL) or ``"sha256"`` (releases it).
    ``size`` is the work per thread (countdown iterations, or 64 KiB blocks to hash).
    """
    if workload not in _STAMPED:
        raise ValueError(f"unknown timeline workload {workload!r}; choose one of {', '.join(TIMELINE_WORKLOADS)}")
    check_count("threads", threads, 1, 16)
    size = DEFAULT_SIZES[workload] if size is None else check_size(size)
    check_size(chunk, "chunk")
    check_seconds("timeout", timeout)

    stamps: list[list[float]] = [[] for _ in range(threads)]
    stamped = _STAMPED[workload]
    start, wall = run_together(
        lambda index: stamped(size, chunk, stamps[index]),
        threads,
        switch_interval=switch_interval,
        timeout=timeout,
        what=f"{workload} timeline",
    )

    steps = [b - a for lane in stamps for a, b in zip(lane, lane[1:])]
    # A gap of several typical steps means the thread was not running (the GIL is held for
    # 5 ms by default before it is handed over, far longer than a step).
    gap = max(4 * statistics.median(steps), 50e-6)
    return Timeline.made_on(
        environment.where_it_ran(),
        workload=workload,
        threads=threads,
        size=size,
        switch_interval=sys.getswitchinterval() if switch_interval is None else switch_interval,
        wall=wall,
        lanes=[[[s - start, e - start] for s, e in intervals(lane, gap)] for lane in stamps],
        gap_threshold=gap,
        notes=sum(len(lane) for lane in stamps),
    )


def instrumentation_overhead(size: int = 4_000_000, chunk: int = DEFAULT_CHUNK, repeat: int = 5) -> float:
    """Relative cost of the countdown instrumentation: instrumented / plain CPU time - 1 (0.03 = 3 %).

    Compares the instrumented loop noting the time every ``chunk`` iterations with the same loop
    noting it only once (the same code, so only the notes differ), by CPU time (not wall
    time) over alternating runs, so that a busy machine does not skew it.
    """
    from utils.engine.timing import measure

    check_size(size)
    check_size(chunk, "chunk")
    check_count("repeat", repeat, 1, 100)
    ratios = []
    for _ in range(repeat):
        plain = measure(_countdown_stamped, size, size, [], repeat=1, warmup=0).cpu
        stamped = measure(_countdown_stamped, size, chunk, [], repeat=1, warmup=0).cpu
        ratios.append(stamped / plain)
    return statistics.median(ratios) - 1
