"""One race-counter kit: a shared counter, the increment loops lessons share, and a thread runner.

Lessons 02, 03 and 05 all make threads update one shared counter and count what was lost:

    from utils.engine.counters import Counter, add_through_call, count_in_threads
    tally = count_in_threads(add_through_call, threads=4, iterations=1_000_000)
    tally.expected, tally.actual, tally.lost          # 4,000,000, fewer, the difference

- :class:`Counter`: one mutable ``value`` and the ``lock`` a locked loop holds;
- the loops, each ``loop(counter, n)``: :func:`add_in_place` (``counter.value += 1``, no call
  between the read and the write), :func:`add_through_call` (``counter.value = add_one(counter.value)``,
  a Python call in between) and :func:`add_under_lock` (the same, under ``counter.lock``);
- :func:`run_threads`: N threads released together by a ``threading.Barrier``, joined by one
  deadline, their exceptions collected (never lost in a thread), a stop flag set on time-out;
- :func:`count_in_threads`: a loop on N threads through :func:`run_threads`, in chunks so that a
  time-out stops it; returns a :class:`Tally` (expected and actual count, wall time).

Nothing here starts at import or changes global state. Whether a loop loses updates depends on the
build and version (lesson 05): with the GIL, CPython 3.10+ checks for a switch only at calls and
backward jumps (bpo-29988), so :func:`add_in_place` keeps its updates and :func:`add_through_call`
does not; without the GIL (PEP 703) both lose them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from utils.engine.plaindata import PlainData
from utils.engine.validation import check_count, check_seconds

__all__ = [
    "CHUNK",
    "Counter",
    "Tally",
    "add_in_place",
    "add_one",
    "add_through_call",
    "add_under_lock",
    "count_in_threads",
    "increment",
    "run_threads",
]

#: Iterations a thread runs between two looks at the stop flag (see :func:`count_in_threads`).
CHUNK = 10_000
#: Seconds :func:`run_threads` waits for stopped threads after a time-out before giving up on them.
GRACE = 5.0


class Counter:
    """The shared state: ``value``, the count, and ``lock``, for the loops that hold one."""

    def __init__(self, value: int = 0) -> None:
        self.value = value
        self.lock = threading.Lock()


def add_one(value: int) -> int:
    """Return ``value + 1``. A Python function: calling it is a place where a thread can be switched out."""
    return value + 1


def increment(counter: Counter) -> None:
    """Add one to ``counter.value``: one line, several bytecode instructions."""
    counter.value += 1


def add_in_place(counter: Counter, n: int) -> None:
    """``counter.value += 1``, ``n`` times: no call between reading and writing the value."""
    for _ in range(n):
        counter.value += 1


def add_through_call(counter: Counter, n: int) -> None:
    """``counter.value = add_one(counter.value)``, ``n`` times: a call between the read and the write."""
    for _ in range(n):
        counter.value = add_one(counter.value)


def add_under_lock(counter: Counter, n: int) -> None:
    """Like :func:`add_through_call`, with each read-call-write inside ``counter.lock``."""
    for _ in range(n):
        with counter.lock:
            counter.value = add_one(counter.value)


@dataclass(frozen=True)
class Tally(PlainData):
    """What threads counted (``actual``) against what they should have counted (``expected``)."""

    threads: int
    iterations: int
    expected: int
    actual: int
    seconds: float

    @property
    def lost(self) -> int:
        """Updates overwritten by another thread's stale write."""
        return self.expected - self.actual


def run_threads(
    work: Callable[[int], None],
    threads: int,
    *,
    timeout: float = 60.0,
    stop: threading.Event | None = None,
    helpers: Sequence[Callable[[], None]] = (),
    name: str = "worker",
) -> float:
    """Run ``work(i)`` on ``threads`` threads released together by a barrier; return the wall time.

    ``helpers`` are extra functions, each on a thread of its own, started with the workers but not
    held by the barrier (e.g. the one thread that owns a queue's results). All threads are joined by
    one deadline ``timeout`` seconds after the start. On a time-out ``stop`` is set (``work`` should
    look at it now and then), the threads get :data:`GRACE` seconds more, and ``TimeoutError`` is
    raised. An exception in any thread sets ``stop`` and is raised here as the ``__cause__`` of a
    ``RuntimeError``. The wall time runs from just before the first start to the last join.
    """
    if not callable(work):
        raise TypeError(f"work must be a function of the thread's index, not {type(work).__name__}")
    threads = check_count("threads", threads, 1, 1024)
    timeout = check_seconds("timeout", timeout, 0.0, 3600.0)
    if any(not callable(helper) for helper in helpers):
        raise TypeError("helpers must be functions of no arguments")
    stop = threading.Event() if stop is None else stop
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def guarded(body: Callable[[], None]) -> None:
        try:
            body()
        except BaseException as exc:  # reported below, never lost in a thread
            errors.append(exc)
            stop.set()
            barrier.abort()

    def worker(index: int) -> None:
        barrier.wait(timeout)
        work(index)

    pool = [
        threading.Thread(target=guarded, args=(lambda i=i: worker(i),), name=f"{name}-{i}", daemon=True)
        for i in range(threads)
    ]
    pool += [
        threading.Thread(target=guarded, args=(helper,), name=f"{name}-helper-{i}", daemon=True)
        for i, helper in enumerate(helpers)
    ]
    start = time.perf_counter()
    deadline = time.monotonic() + timeout
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(max(0.0, deadline - time.monotonic()))
    seconds = time.perf_counter() - start
    if any(thread.is_alive() for thread in pool):
        stop.set()
        barrier.abort()
        for thread in pool:
            thread.join(GRACE)
        raise TimeoutError(f"{name} threads did not finish within {timeout:g} s; they were told to stop")
    if errors:
        first = next((e for e in errors if not isinstance(e, threading.BrokenBarrierError)), errors[0])
        raise RuntimeError(f"a {name} thread failed: {first!r}") from first
    return seconds


def count_in_threads(
    loop: Callable[[Counter, int], None],
    threads: int = 4,
    iterations: int = 1_000_000,
    *,
    counter: Counter | None = None,
    read: Callable[[Counter], int] | None = None,
    chunk: int = CHUNK,
    timeout: float = 60.0,
    stop: threading.Event | None = None,
    helpers: Sequence[Callable[[], None]] = (),
    name: str = "counter",
) -> Tally:
    """``threads`` threads each run ``loop(counter, n)`` until they have done ``iterations`` increments.

    Each thread calls ``loop`` on chunks of at most ``chunk`` iterations, looking at a stop flag in
    between, so a run that exceeds ``timeout`` seconds stops and raises ``TimeoutError`` (see
    :func:`run_threads`). ``counter`` defaults to a new :class:`Counter`; ``read(counter)`` gives
    the final count (default ``counter.value``). Expected: ``threads * iterations``. ``stop`` and
    ``helpers`` go to :func:`run_threads` (a helper thread sees the same stop flag).
    """
    if not callable(loop):
        raise TypeError(f"loop must be a function loop(counter, n), not {type(loop).__name__}")
    threads = check_count("threads", threads, 1, 1024)
    iterations = check_count("iterations", iterations, 1, 10**9)
    chunk = check_count("chunk", chunk, 1, 10**9)
    counter = Counter() if counter is None else counter
    stop = threading.Event() if stop is None else stop

    def work(_index: int) -> None:
        done = 0
        while done < iterations and not stop.is_set():
            n = min(chunk, iterations - done)
            loop(counter, n)
            done += n

    seconds = run_threads(work, threads, timeout=timeout, stop=stop, helpers=helpers, name=name)
    actual = counter.value if read is None else read(counter)
    return Tally(threads, iterations, threads * iterations, actual, seconds)
