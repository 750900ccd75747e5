"""Workloads: the work an experiment runs, each a plain module-level function of one ``size``.

Every workload is importable and picklable (so process pools, spawn, forkserver and
subinterpreters can run it) and uses only the standard library (so it also runs on a bare
free-threaded interpreter). Kinds:

- ``cpu``: pure-Python bytecode; holds the GIL while it runs (``countdown``, ``primes``).
- ``cpu-releases-gil``: C code that releases the GIL around its inner loop: ``sha256``
  (hashlib releases it for data of 2048 bytes or more up to 3.14, more than 2048 bytes from
  3.15, gh-135239; ``HASHLIB_GIL_MINSIZE`` in CPython's ``Modules/hashlib.h``) and ``zlib`` (``Modules/zlibmodule.c`` releases it
  around ``deflate``).
- ``io``: waiting, during which the GIL is released: ``sleep`` (``time.sleep``) and ``echo``
  (round trips to a local echo server, see :mod:`utils.engine.echo`).

Use :func:`get_workload` to look one up by name and :func:`run_task` to run one task and
record its timing (what the executors in :mod:`utils.engine.executors` call in each worker).
"""

from __future__ import annotations

import hashlib
import math
import random
import socket
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

MiB = 1024 * 1024
#: hashlib's GIL threshold (Modules/hashlib.h): released for >= this many bytes up to 3.14, > from 3.15.
HASHLIB_GIL_MINSIZE = 2048
#: The largest size any workload accepts: far beyond a lesson's needs, small enough to stop typos
#: like an extra three zeros from running for hours.
MAX_SIZE = 10**9


def countdown(size: int) -> int:
    """Count down from ``size`` to zero in pure Python (the classic GIL benchmark, Beazley 2010)."""
    n = size
    while n > 0:
        n -= 1
    return n


def primes(size: int) -> int:
    """Count the primes below ``size`` by trial division: pure-Python, CPU-bound, realistic."""
    count = 0
    for candidate in range(2, size):
        limit = math.isqrt(candidate)
        for divisor in range(2, limit + 1):
            if candidate % divisor == 0:
                break
        else:
            count += 1
    return count


@lru_cache(maxsize=4)
def _text_like(nbytes: int) -> bytes:
    # Reproducible pseudo-random "words": compressible, but with no long repeats, so zlib works for real.
    rng = random.Random(nbytes)
    return "".join(rng.choices("etaoin shrdlu", k=nbytes)).encode()


def sha256(size: int, block: int = MiB) -> str:
    """Hash ``size`` blocks of ``block`` bytes with SHA-256; releases the GIL for ``block`` >= 2048 (3.10-3.14) or > 2048 (3.15+)."""
    _check_positive("block", block)
    data = bytes(block)
    digest = hashlib.sha256()
    for _ in range(size):
        digest.update(data)
    return digest.hexdigest()


def zlib_compress(size: int) -> int:
    """Compress ``size`` blocks of 256 KiB with zlib (level 6); releases the GIL while compressing."""
    data = _text_like(256 * 1024)
    total = 0
    for _ in range(size):
        total += len(zlib.compress(data, 6))
    return total


def sleep(size: int) -> int:
    """Sleep ``size`` milliseconds (``time.sleep`` releases the GIL while waiting)."""
    time.sleep(size / 1000)
    return size


async def sleep_async(size: int) -> int:
    """The asyncio form of :func:`sleep`."""
    import asyncio

    await asyncio.sleep(size / 1000)
    return size


def echo(size: int, address: tuple[str, int], timeout: float = 10.0) -> int:
    """Make ``size`` round trips (send 64 bytes, read them back) to the echo server at ``address``."""
    payload = b"x" * 64
    with socket.create_connection(tuple(address), timeout=timeout) as conn:
        for _ in range(size):
            conn.sendall(payload)
            received = 0
            while received < len(payload):
                chunk = conn.recv(len(payload) - received)
                if not chunk:
                    raise ConnectionError("the echo server closed the connection")
                received += len(chunk)
    return size


async def echo_async(size: int, address: tuple[str, int], timeout: float = 10.0) -> int:
    """The asyncio form of :func:`echo`."""
    import asyncio

    reader, writer = await asyncio.wait_for(asyncio.open_connection(*address), timeout)
    try:
        payload = b"x" * 64
        for _ in range(size):
            writer.write(payload)
            await writer.drain()
            await asyncio.wait_for(reader.readexactly(len(payload)), timeout)
    finally:
        writer.close()
    return size


@dataclass(frozen=True)
class Workload:
    """A named workload: its function, what kind of work it is, and a default size that takes about 0.2 s of CPU on a 2020s laptop core."""

    name: str
    func: Callable[..., Any]
    kind: str
    default_size: int
    size_unit: str
    description: str
    async_func: Callable[..., Any] | None = None
    needs_echo_server: bool = False
    releases_gil: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "releases_gil", self.kind != "cpu")


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("countdown", countdown, "cpu", 10_000_000, "iterations", "count down in a Python loop"),
        Workload("primes", primes, "cpu", 150_000, "upper bound", "count primes by trial division"),
        Workload("sha256", sha256, "cpu-releases-gil", 320, "MiB", "SHA-256 over 1 MiB blocks (hashlib)"),
        Workload("zlib", zlib_compress, "cpu-releases-gil", 20, "blocks of 256 KiB", "zlib compression"),
        Workload("sleep", sleep, "io", 200, "ms", "time.sleep", async_func=sleep_async),
        Workload(
            "echo",
            echo,
            "io",
            200,
            "round trips",
            "round trips to a local echo server",
            async_func=echo_async,
            needs_echo_server=True,
        ),
    )
}


def get_workload(name: str) -> Workload:
    """The workload called ``name``; a clear error for anything else."""
    if not isinstance(name, str):
        raise TypeError(f"workload must be a name (str), not {type(name).__name__}")
    try:
        return WORKLOADS[name]
    except KeyError:
        raise ValueError(f"unknown workload {name!r}; choose one of {', '.join(WORKLOADS)}") from None


def check_size(size: int, what: str = "size") -> int:
    """Validate a workload size: a whole number from 1 to :data:`MAX_SIZE`."""
    _check_positive(what, size)
    if size > MAX_SIZE:
        raise ValueError(f"{what}={size} is absurdly large (at most {MAX_SIZE:,})")
    return size


def _check_positive(what: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be a whole number, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{what} must be at least 1, got {value}")


def run_task(name: str, size: int, kwargs: dict | None = None) -> dict:
    """Run one task of workload ``name`` and return its record as plain data.

    The record holds the result, the task's own CPU time (``time.thread_time``: CPU used by
    the thread that ran it, GIL held or not) and its start and end on the ``perf_counter``
    clock (system-wide on Linux, so records from several processes line up).
    """
    workload = get_workload(name)
    check_size(size)
    start_cpu = time.thread_time()
    start = time.perf_counter()
    result = workload.func(size, **(kwargs or {}))
    end = time.perf_counter()
    return {
        "result": result,
        "cpu": time.thread_time() - start_cpu,
        "start": start,
        "end": end,
    }
