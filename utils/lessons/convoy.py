"""The convoy effect: how CPU-bound threads stretch the latency of an I/O-bound thread (lesson 06).

An I/O thread (here, the main thread of the process) makes ``requests`` small requests and
times each one; meanwhile ``cpu_threads`` threads spin in pure Python. Every blocking call of
the I/O thread releases the GIL (``Py_BEGIN_ALLOW_THREADS``; on a socket with a timeout,
``sendall`` and ``recv`` each release it around a ``poll`` and around the system call,
``sock_call_ex`` and ``internal_select`` in ``Modules/socketmodule.c``), and a waiting CPU thread
may take it. Each time the I/O thread then needs the GIL back, ``take_gil`` (``Python/ceval_gil.c``,
3.2+) first waits one *switch interval* (5 ms by default) and, if no other switch happened
meanwhile, sets a drop request that the CPU thread honours at its next eval-breaker check. The
GIL keeps no queue: with several waiting threads, the one the OS wakes first gets it, so a
thread can wait many intervals. This is the "convoy effect" of bpo-7946 (python/cpython#52194).
With the GIL off (a free-threaded build) nothing waits for it.

    result = io_latencies(requests=100, cpu_threads=1)                    # in this process
    result = isolated(io_latencies, requests=100, cpu_threads=1)          # in a fresh process (lessons)
    result.median, result.p95, result.cpu_rate, result.breakdown()
    profile = profile_call(convoy_threads, seconds=0.3)   # the same, as CPython 3.15's profiler sees it
    made_up_pairs(5)                   # generated (alone, loaded) pairs to test a slowdown function on

(``isolated`` is :func:`utils.engine.isolation.isolated`, ``profile_call`` is in :mod:`utils.engine.gil_profile`.)

Requests are round trips of 64 bytes to a local echo server (:class:`utils.engine.echo.EchoServer`,
127.0.0.1 only, always stopped) or short ``time.sleep`` calls. Every blocking step has a time-out.
"""

from __future__ import annotations

import math
import os
import random
import socket
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from utils.engine import environment
from utils.engine.echo import EchoServer
from utils.engine.plaindata import PlainData
from utils.engine.validation import check_count, check_seconds

IO_KINDS = ("echo", "sleep")
#: Switch intervals (seconds) swept by default: 0.5, 1, 5 (the default) and 20 ms.
DEFAULT_INTERVALS = (0.0005, 0.001, 0.005, 0.02)
#: Iterations of the CPU threads' inner loop per counted chunk of work.
CHUNK = 1_000
PAYLOAD = b"x" * 64
#: Lowest OS priority (highest nice value) on Linux.
LOWEST_PRIORITY = 19


@dataclass
class LatencyResult(PlainData, environment.MadeOn):
    """Latencies (seconds) of one I/O thread's requests, and the CPU threads' work meanwhile.

    Built with ``LatencyResult.made_on(environment.where_it_ran(), ...)``: ``python``, ``cpu_count``
    (usable CPUs) and ``gil_enabled`` say where it ran (:class:`utils.engine.environment.MadeOn`).
    """

    io: str
    requests: int
    cpu_threads: int
    switch_interval: float
    latencies: list[float]
    wall: float
    cpu_chunks: list[int] = field(default_factory=list)
    cpu_nice: int = 0
    wait: float = 0.0
    python: str = ""
    cpu_count: int = 1
    gil_enabled: bool = True
    #: seconds each echo request spent in ``sendall`` (part of its latency); empty for ``io="sleep"``
    send_times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median latency (seconds)."""
        return statistics.median(self.latencies)

    @property
    def p95(self) -> float:
        """95th percentile latency (seconds, nearest rank)."""
        return percentile(self.latencies, 95)

    @property
    def throughput(self) -> float:
        """Requests completed per second of wall time."""
        return self.requests / self.wall

    @property
    def cpu_rate(self) -> float:
        """Pure-Python loop iterations per second done by all CPU threads together."""
        return sum(self.cpu_chunks) * CHUNK / self.wall

    def waited_in_send(self) -> int:
        """Echo requests whose ``sendall`` took at least half a switch interval.

        Sending 64 bytes takes microseconds; a ``sendall`` that took that long gave the GIL up and
        then waited for it to come back (``take_gil`` waits a whole interval before it asks).
        """
        return sum(t >= self.switch_interval / 2 for t in self.send_times)

    def breakdown(self) -> str:
        """Where the time of the echo requests went: in ``sendall``, or in ``recv`` (times in ms)."""
        if not self.send_times:
            raise ValueError("only echo requests are timed in parts (io='echo')")
        receive = [total - sent for total, sent in zip(self.latencies, self.send_times)]
        return (
            f"{self.label}: sendall median {statistics.median(self.send_times) * 1000:.3f} ms "
            f"({self.waited_in_send()} of {len(self.send_times)} waited half an interval or more), "
            f"recv median {statistics.median(receive) * 1000:.3f} ms"
        )

    @property
    def label(self) -> str:
        if self.cpu_threads == 0:
            return "alone"
        threads = f"{self.cpu_threads} CPU thread{'s' if self.cpu_threads > 1 else ''}"
        return f"with {threads}" + (f" (nice {self.cpu_nice})" if self.cpu_nice else "")

    def summary(self) -> str:
        """One line for a learner (times in ms)."""
        return (
            f"{self.label:<28} median {self.median * 1000:7.3f} ms   p95 {self.p95 * 1000:7.3f} ms   "
            f"{self.throughput:8.0f} requests/s"
        )


@dataclass
class Sweep(PlainData):
    """I/O latency and CPU-thread work for several switch intervals (one fresh process).

    ``cpu_alone_rates[i]`` is the work rate of one CPU thread alone, measured just before and
    just after ``results[i]`` (the mean), so that a change in the machine's load affects both alike.
    """

    results: list[LatencyResult]
    cpu_alone_rates: list[float]

    @property
    def cpu_shares(self) -> list[float]:
        """Each run's CPU work rate as a share of one CPU thread alone."""
        return [r.cpu_rate / alone for r, alone in zip(self.results, self.cpu_alone_rates)]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of ``values`` by the nearest-rank method."""
    if len(values) == 0:
        raise ValueError("percentile of no values")
    if not 0 < q <= 100:
        raise ValueError(f"q must be in (0, 100], got {q}")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def expected_latency(io: str, wait: float, interval: float) -> tuple[float, float]:
    """The range (seconds) one request's latency should fall in, with the GIL and one CPU thread.

    ``io="sleep"``: the sleep releases the GIL once, and the thread waits one switch interval to
    get it back: ``wait + interval`` (both ends). ``io="echo"``: ``sendall`` and ``recv`` release
    the GIL, and each time the CPU thread takes it, the I/O thread waits about one interval to get
    it back. A request lost it at least once: so it takes at least the server's delay, and at
    least one interval (when the GIL is lost inside ``sendall``, the reply arrives during that
    wait); typically at most the delay plus two intervals (lost while waiting for the reply, then
    again at the read). More CPU threads, or a busy machine, can add intervals.
    """
    if io not in IO_KINDS:
        raise ValueError(f"io must be one of {IO_KINDS}, got {io!r}")
    check_seconds("wait", wait, 0.0, 1.0, allow_low=True)
    check_seconds("interval", interval, 0.0, 1.0)
    if io == "sleep":
        return wait + interval, wait + interval
    return max(wait, interval), wait + 2 * interval


def slowdown(alone: LatencyResult, loaded: LatencyResult) -> float:
    """How many times the median latency grew from ``alone`` to ``loaded``."""
    for name, value in (("alone", alone), ("loaded", loaded)):
        if not isinstance(value, LatencyResult):
            raise TypeError(f"{name} must be a LatencyResult, not {type(value).__name__}")
    return loaded.median / alone.median


def made_up_pairs(count: int = 5, *, seed: int | None = None) -> list[tuple[LatencyResult, LatencyResult]]:
    """``count`` made-up ``(alone, loaded)`` pairs to test a slowdown function on: generated, NOT measured.

    Each list has a body around a base latency and a slow tail, in random order and of odd or even
    length; the loaded base is 2-6 times the alone one. In every pair the ratio of the medians differs
    by more than 10 % from its inverse, the ratio of the means, the ratio of the p95s, the difference
    of the medians and the ratio of the middle items of the unsorted lists, so a function computing
    any of those instead of :func:`slowdown` is caught. Used by assignment 06's check.
    """
    check_count("count", count, 1, 1000)
    rng = random.Random(seed)
    pairs: list[tuple[LatencyResult, LatencyResult]] = []
    while len(pairs) < count:
        base = rng.uniform(0.001, 0.002)
        alone, loaded = (_made_up(rng, threads, scale) for threads, scale in ((0, base), (1, base * rng.uniform(2, 6))))
        if _tells_apart(alone, loaded):
            pairs.append((alone, loaded))
    return pairs


def _made_up(rng: random.Random, cpu_threads: int, base: float) -> LatencyResult:
    n = rng.randrange(21, 61)
    tail = max(3, n // 8)
    latencies = [base * rng.uniform(0.8, 1.2) for _ in range(n - tail)] + [
        base * rng.uniform(3, 10) for _ in range(tail)
    ]
    rng.shuffle(latencies)
    return LatencyResult("echo", n, cpu_threads, 0.005, latencies, wall=sum(latencies), python="made up")


def _tells_apart(alone: LatencyResult, loaded: LatencyResult) -> bool:
    right = slowdown(alone, loaded)
    middle = [r.latencies[len(r.latencies) // 2] for r in (alone, loaded)]
    others = (
        1 / right,
        statistics.fmean(loaded.latencies) / statistics.fmean(alone.latencies),
        loaded.p95 / alone.p95,
        loaded.median - alone.median,
        middle[1] / middle[0],
    )
    return all(abs(other - right) > 0.1 * right for other in others)


def nice_supported() -> bool:
    """True where one thread's OS priority can be lowered on its own (Linux: nice per thread)."""
    return sys.platform.startswith("linux") and hasattr(os, "setpriority") and hasattr(threading, "get_native_id")


def _spin(stop: threading.Event, chunks: list[int], index: int, nice: int, started: threading.Barrier) -> None:
    """CPU-bound work: pure-Python loops, counting chunks of CHUNK iterations until ``stop``."""
    if nice:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)  # this thread only (Linux)
    started.wait(timeout=10)
    while not stop.is_set():
        for _ in range(CHUNK):
            pass
        chunks[index] += 1


def _echo_requests(
    address: tuple[str, int], requests: int, deadline: float, request_timeout: float, stop_at: float = math.inf
) -> tuple[list[float], list[float]]:
    """Latencies of ``requests`` round trips (fewer if ``stop_at`` comes first), and the part of each in ``sendall``."""
    latencies, sends = [], []
    clock = time.perf_counter
    with socket.create_connection(address, timeout=request_timeout) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sendall(PAYLOAD)  # one warm-up round trip
        _read_exactly(conn, len(PAYLOAD))
        for _ in range(requests):
            if clock() >= stop_at:
                break
            if clock() > deadline:
                raise TimeoutError(f"the requests did not finish within the time-out ({len(latencies)} done)")
            start = clock()
            conn.sendall(PAYLOAD)
            sent = clock()
            _read_exactly(conn, len(PAYLOAD))
            latencies.append(clock() - start)
            sends.append(sent - start)
    return latencies, sends


def _read_exactly(conn: socket.socket, size: int) -> None:
    received = 0
    while received < size:
        chunk = conn.recv(size - received)
        if not chunk:
            raise ConnectionError("the echo server closed the connection")
        received += len(chunk)


def _sleep_requests(requests: int, seconds: float, deadline: float) -> list[float]:
    latencies = []
    clock = time.perf_counter
    for _ in range(requests):
        if clock() > deadline:
            raise TimeoutError(f"the requests did not finish within the time-out ({len(latencies)} done)")
        start = clock()
        time.sleep(seconds)
        latencies.append(clock() - start)
    return latencies


def _measure(
    io: str,
    address: tuple[str, int] | None,
    requests: int,
    cpu_threads: int,
    cpu_nice: int,
    wait: float,
    timeout: float,
) -> LatencyResult:
    """Run the requests with ``cpu_threads`` spinning threads; the switch interval is already set."""
    stop = threading.Event()
    chunks = [0] * cpu_threads
    started = threading.Barrier(cpu_threads + 1)
    threads = [
        threading.Thread(target=_spin, args=(stop, chunks, i, cpu_nice, started), daemon=True, name=f"cpu-{i}")
        for i in range(cpu_threads)
    ]
    deadline = time.perf_counter() + timeout
    for t in threads:
        t.start()
    try:
        started.wait(timeout=10)
        time.sleep(0.02)  # let the CPU threads get going
        before = list(chunks)
        start = time.perf_counter()
        if io == "echo":
            assert address is not None
            latencies, sends = _echo_requests(address, requests, deadline, min(10.0, timeout))
        else:
            latencies, sends = _sleep_requests(requests, wait, deadline), []
        wall = time.perf_counter() - start
        done = [after - first for after, first in zip(chunks, before)]
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    return LatencyResult.made_on(
        environment.where_it_ran(),
        io=io,
        requests=requests,
        cpu_threads=cpu_threads,
        switch_interval=sys.getswitchinterval(),
        latencies=latencies,
        wall=wall,
        cpu_chunks=done,
        cpu_nice=cpu_nice,
        wait=wait,
        send_times=sends,
    )


def _check(io: str, requests: int, cpu_threads: int, cpu_nice: int, wait: float, timeout: float) -> None:
    if io not in IO_KINDS:
        raise ValueError(f"io must be one of {IO_KINDS}, got {io!r}")
    check_count("requests", requests, 1, 100_000)
    check_count("cpu_threads", cpu_threads, 0, 64)
    check_count("cpu_nice", cpu_nice, 0, LOWEST_PRIORITY)
    if cpu_nice and not nice_supported():
        raise ValueError("cpu_nice needs Linux, where one thread's priority can be lowered on its own")
    check_seconds("wait", wait, 0.0, 0.1, allow_low=True)
    check_seconds("timeout", timeout)


def io_latencies(
    requests: int = 100,
    cpu_threads: int = 0,
    switch_interval: float | None = None,
    *,
    io: str = "echo",
    wait: float = 0.001,
    cpu_nice: int = 0,
    timeout: float = 60.0,
) -> LatencyResult:
    """Time ``requests`` requests of an I/O thread while ``cpu_threads`` threads spin in pure Python.

    ``io="echo"``: round trips of 64 bytes to a local echo server (started and stopped here)
    that waits ``wait`` seconds before each reply, like a service that takes that long to
    answer; ``io="sleep"``: ``time.sleep(wait)`` calls. ``switch_interval`` (seconds) is set
    for the run and restored after. ``cpu_nice`` (Linux only) lowers the CPU threads' OS
    priority (nice value 1-19). Raises TimeoutError if the requests take longer than ``timeout``.
    """
    _check(io, requests, cpu_threads, cpu_nice, wait, timeout)
    with environment.switch_interval(switch_interval):
        if io == "sleep":
            return _measure(io, None, requests, cpu_threads, cpu_nice, wait, timeout)
        with EchoServer(delay=wait) as address:
            return _measure(io, address, requests, cpu_threads, cpu_nice, wait, timeout)


def cpu_alone_rate(seconds: float = 0.2) -> float:
    """Iterations per second of one spinning CPU thread with no I/O thread beside it."""
    check_seconds("seconds", seconds, 0.0, 10.0)
    stop, chunks, started = threading.Event(), [0], threading.Barrier(2)
    thread = threading.Thread(target=_spin, args=(stop, chunks, 0, 0, started), daemon=True)
    thread.start()
    try:
        started.wait(timeout=10)
        time.sleep(0.02)
        first, start = chunks[0], time.perf_counter()
        time.sleep(seconds)
        done, wall = chunks[0] - first, time.perf_counter() - start
    finally:
        stop.set()
        thread.join(timeout=10)
    return done * CHUNK / wall


def sweep_switch_interval(
    intervals: Sequence[float] = DEFAULT_INTERVALS,
    requests: int = 40,
    *,
    cpu_threads: int = 1,
    io: str = "echo",
    wait: float = 0.001,
    timeout: float = 60.0,
) -> Sweep:
    """:func:`io_latencies` for each switch interval (one echo server for all), plus the CPU rate alone."""
    if isinstance(intervals, (str, bytes)) or not isinstance(intervals, (list, tuple)) or not intervals:
        raise TypeError("intervals must be a non-empty list of seconds")
    for value in intervals:
        check_seconds("switch interval", value, 1e-6, 1.0, allow_low=True)
    check_count("cpu_threads", cpu_threads, 1, 64)
    _check(io, requests, cpu_threads, 0, wait, timeout)
    deadline = time.perf_counter() + timeout
    results, rates = [], []
    server = EchoServer(delay=wait) if io == "echo" else None
    try:
        address = server.start() if server else None
        for interval in sorted(intervals):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"the sweep did not finish within {timeout:g} s")
            with environment.switch_interval(interval):
                before = cpu_alone_rate(0.1)
                results.append(_measure(io, address, requests, cpu_threads, 0, wait, remaining))
                rates.append((before + cpu_alone_rate(0.1)) / 2)
    finally:
        if server:
            server.stop()
    return Sweep(results, rates)


#: Names of the two threads of :func:`convoy_threads`, as a profiler shows them.
IO_THREAD, CPU_THREAD = "io", "cpu"


def convoy_threads(
    seconds: float = 0.3, *, wait: float = 0.001, switch_interval: float | None = None, timeout: float = 30.0
) -> LatencyResult:
    """The convoy as two named threads, for a profiler to watch: ``"io"`` and ``"cpu"``, for ``seconds``.

    Thread ``"io"`` makes echo round trips of 64 bytes to a local echo server (which waits ``wait``
    seconds before each reply) until ``seconds`` have passed, while thread ``"cpu"`` spins in pure
    Python; the main thread only starts, and joins, them. Meant to run under CPython 3.15's
    sampling profiler, ``profile_call(convoy_threads, ...)`` (:mod:`utils.engine.gil_profile`),
    where the ``"io"`` thread's ``Waiting for GIL`` intervals are the convoy; elsewhere it is a
    plain measurement. Returns the round trips' :class:`LatencyResult` (``requests``: how many were done).
    """
    check_seconds("seconds", seconds, 0.0, 10.0)
    check_seconds("wait", wait, 0.0, 0.1, allow_low=True)
    check_seconds("timeout", timeout)
    if seconds >= timeout:
        raise ValueError(f"seconds ({seconds:g}) must be shorter than timeout ({timeout:g})")
    stop, chunks, started = threading.Event(), [0], threading.Barrier(2)
    cpu = threading.Thread(target=_spin, args=(stop, chunks, 0, 0, started), daemon=True, name=CPU_THREAD)
    box: dict[str, object] = {}

    def io(address: tuple[str, int]) -> None:
        try:
            start = time.perf_counter()
            box["result"] = _echo_requests(address, 100_000, start + timeout, min(10.0, timeout), start + seconds)
            box["wall"] = time.perf_counter() - start
        except BaseException as exc:  # handed to the main thread below
            box["error"] = exc

    with environment.switch_interval(switch_interval), EchoServer(delay=wait) as address:
        cpu.start()
        try:
            started.wait(timeout=10)
            first = chunks[0]
            worker = threading.Thread(target=io, args=(address,), daemon=True, name=IO_THREAD)
            worker.start()
            worker.join(timeout)
            done = chunks[0] - first
        finally:
            stop.set()
            cpu.join(timeout=10)
        interval = sys.getswitchinterval()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    if worker.is_alive() or "result" not in box:
        raise TimeoutError(f"the I/O thread did not finish within {timeout:g} s")
    latencies, sends = box["result"]  # type: ignore[misc]
    return LatencyResult.made_on(
        environment.where_it_ran(),
        io="echo",
        requests=len(latencies),
        cpu_threads=1,
        switch_interval=interval,
        latencies=latencies,
        wall=float(box["wall"]),
        cpu_chunks=[done],
        wait=wait,
        send_times=sends,
    )
