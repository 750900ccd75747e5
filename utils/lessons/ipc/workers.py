"""Pools for lesson 08, and the functions their workers run.

The task functions are importable (so every start method can load them); :func:`process_pool`
always shuts its pool down, killing its workers first when something failed; every wait has a
timeout. Importing this module starts nothing.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import sys
import warnings
import zlib
from collections.abc import Callable, Iterator
from multiprocessing import shared_memory
from typing import Any

from utils.engine.executors import check_executor, stopping

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


def quiet_worker() -> None:
    """Pool initializer: silence the worker's stderr, so a worker that dies prints no traceback
    into the notebook (the parent still learns about it as ``BrokenProcessPool``)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the worker


def check_start_method(start_method: str | None) -> str:
    check_executor("processes", start_method)
    return start_method or multiprocessing.get_all_start_methods()[0]


# --- Pools that always shut down ------------------------------------------------------------------


@contextlib.contextmanager
def process_pool(
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
