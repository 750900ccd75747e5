"""Timings for lesson 09: several threads calling one operation, and sha256 over blocks of many sizes.

:func:`measure_threads` starts ``threads`` threads that each call an operation ``calls`` times and
reports wall time, CPU time and **effective parallelism** (CPU time / wall time,
:class:`utils.engine.timing.RepeatedRuns`). Careful numbers come from a fresh process:
``isolated(measure_threads, "numpy", 100_000, 10_000)`` or ``isolated(hash_block_sweep, [1024, 65536])``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from utils.engine import environment
from utils.engine.timing import RepeatedRuns
from utils.engine.validation import check_count, check_seconds
from utils.lessons.release.operations import MiB, get_operation, prepare
from utils.lessons.release.rules import hashlib_releases_gil

#: Block sizes for the hashlib threshold experiment (bytes).
DEFAULT_BLOCKS = (256, 1024, 2047, 2048, 2049, 4096, 65536)


@dataclass
class ThreadRun(RepeatedRuns, environment.MadeOn):
    """``threads`` threads each calling ``operation`` ``calls`` times, repeated; plain data.

    Built with ``ThreadRun.made_on(environment.where_it_ran(), ...)``: ``cpu_count`` is the usable CPUs.
    """

    operation: str
    size: int
    calls: int
    threads: int
    repeat: int
    label: str = ""
    blas_threads: int | None = 1
    wall_times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)
    python: str = ""
    gil_enabled: bool = True
    cpu_count: int = 1
    available: bool = True
    reason: str = ""
    free_threaded_build: bool = False

    @property
    def free_threaded(self) -> bool:
        """The build the run was measured on (the :class:`~utils.engine.environment.WhereItRan` name)."""
        return self.free_threaded_build

    def summary(self) -> str:
        """One line for a learner."""
        name = f"{self.label} x{self.calls:,}, {self.threads} thread{'' if self.threads == 1 else 's'}"
        if not self.available:
            return f"{name}: not available: {self.reason}"
        return (
            f"{name:<58} wall {self.wall:6.3f} s (spread {self.spread:.0%})  CPU {self.cpu:6.3f} s  "
            f"effective parallelism {self.parallelism:4.2f}"
        )


def measure_threads(
    operation: str,
    size: int,
    calls: int,
    threads: int = 2,
    repeat: int = 3,
    *,
    blas_threads: int | None = 1,
    timeout: float = 60.0,
) -> ThreadRun:
    """Start ``threads`` threads that each call ``operation`` ``calls`` times; time it ``repeat`` times.

    Each thread gets its own data (its own hash object, array, ...). Wall time is
    ``time.perf_counter``, CPU time is ``time.process_time`` (all threads of the process).
    For numpy operations, ``blas_threads`` caps BLAS's own thread pool with
    ``threadpoolctl.threadpool_limits`` (default 1, so only our threads do work; None leaves the
    library's default). Raises TimeoutError if a repeat takes longer than ``timeout`` seconds.
    """
    op = get_operation(operation)
    check_count(f"size of {operation}", size, 1, op.max_size)
    check_count("calls", calls, 1, 10**7)
    check_count("threads", threads, 1, 64)
    check_count("repeat", repeat, 1, 100)
    if blas_threads is not None:
        check_count("blas_threads", blas_threads, 1, 1024)
    timeout = check_seconds("timeout", timeout)
    where = environment.where_it_ran()
    result = ThreadRun.made_on(
        where,
        operation=operation,
        size=size,
        calls=calls,
        threads=threads,
        repeat=repeat,
        label=op.label(size),
        blas_threads=blas_threads,
        free_threaded_build=where.free_threaded,  # this class's name for WhereItRan.free_threaded
    )
    steps = []
    for _ in range(threads):
        _, step, reason = prepare(operation, size)
        if step is None:
            result.available, result.reason = False, reason
            return result
        step()  # warm-up, untimed
        steps.append(step)

    def work(step: Callable[[], Any]) -> None:
        for _ in range(calls):
            step()

    limits = _blas_limits(blas_threads) if op.uses_numpy else None
    try:
        for _ in range(repeat):
            workers = [threading.Thread(target=work, args=(step,), daemon=True) for step in steps]
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=max(0.0, wall0 + timeout - time.perf_counter()))
            wall1, cpu1 = time.perf_counter(), time.process_time()
            if any(worker.is_alive() for worker in workers):
                raise TimeoutError(f"{threads} threads x {calls} calls of {operation} did not finish in {timeout:g} s")
            result.wall_times.append(wall1 - wall0)
            result.cpu_times.append(cpu1 - cpu0)
    finally:
        if limits is not None:
            limits.unregister()
    return result


def _blas_limits(blas_threads: int | None) -> Any:
    if blas_threads is None:
        return None
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=blas_threads, user_api="blas")


def hash_block_sweep(
    blocks: Sequence[int] = DEFAULT_BLOCKS,
    total_bytes: int = 128 * MiB,
    threads: int = 2,
    repeat: int = 3,
    *,
    timeout: float = 60.0,
) -> list[ThreadRun]:
    """Threads hashing ``total_bytes`` each, in blocks of each size in ``blocks``: one :class:`ThreadRun` per block.

    The runs come in the order given; each is :func:`measure_threads` of the ``sha256`` operation with
    ``total_bytes // block`` calls (``timeout`` per repeat). Run it in a fresh process:
    ``isolated(hash_block_sweep, blocks)``.
    """
    if isinstance(blocks, (int, str, bytes)) or not isinstance(blocks, (list, tuple)) or not blocks:
        raise TypeError("blocks must be a non-empty list of block sizes (bytes)")
    check_count("total_bytes", total_bytes, 1, 1024 * MiB)
    for block in blocks:
        check_count("block", block, 1, total_bytes)
    return [
        measure_threads("sha256", block, total_bytes // block, threads, repeat, timeout=timeout) for block in blocks
    ]


def sweep_releases(run: ThreadRun) -> bool:
    """Whether the blocks of a sha256 ``run`` let other threads run: the GIL is off, or hashlib releases it.

    Uses :func:`hashlib_releases_gil` for the Python the run was measured on (``run.python``).
    """
    if not isinstance(run, ThreadRun) or run.operation != "sha256":
        raise TypeError("run must be a ThreadRun of the sha256 operation (see hash_block_sweep)")
    if not run.gil_enabled:
        return True
    return hashlib_releases_gil(run.size, version=run.python, free_threaded=run.free_threaded_build)
