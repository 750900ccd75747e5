"""Starvation and lock hand-off (lesson 07).

- :func:`starvation`: a polite thread against a greedy one: polling with
  ``acquire(blocking=False)`` starves, on every version and build.
- :func:`handoff`: whether a thread that releases a lock can take it straight back while another
  thread waits for it. From 3.13.1 ``threading.Lock`` is a ``PyMutex`` that hands the lock to a
  waiter that has waited more than 1 ms (:func:`lock_hands_over`); before, nothing did.

Sources: ``Python/lock.c`` (``TIME_TO_BE_FAIR_NS``) and gh-117721 (``_thread.lock`` uses
``PyMutex``: PR 125110 in 3.14, backported in PR 125116 after 3.13.0, so from 3.13.1).
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass

from utils.engine import environment
from utils.engine.plaindata import PlainData
from utils.engine.timing import median_and_spread
from utils.engine.validation import check_count, check_seconds
from utils.lessons.deadlocks.graph import MAX_TIMEOUT

# --- starvation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StarvationReport(PlainData):
    """A greedy thread re-taking a lock, against a polite thread and a blocking one."""

    seconds: float
    hold: float
    greedy_acquisitions: int  # while the polite thread was trying
    polite_tries: int
    polite_successes: int
    blocking_waits: tuple[float, ...]  # seconds each blocking acquire waited
    blocking_retakes: tuple[int, ...]  # times the greedy thread took the lock during each wait
    blocking_acquired: tuple[bool, ...]

    @property
    def polite_success_rate(self) -> float:
        return self.polite_successes / self.polite_tries if self.polite_tries else 0.0

    def describe(self) -> str:
        lines = [
            f"Greedy thread: holds the lock {self.hold * 1000:g} ms at a time, "
            f"took it {self.greedy_acquisitions:,} times in {self.seconds:g} s",
            f"Polite thread: {self.polite_successes} successes in {self.polite_tries} tries "
            f"of acquire(blocking=False) ({self.polite_success_rate:.1%})",
        ]
        if self.blocking_waits:
            waits = self.blocking_waits
            longest = max(range(len(waits)), key=waits.__getitem__)
            lines.append(
                f"Blocking acquire: {sum(self.blocking_acquired)} of {len(waits)} got the lock, waiting "
                f"median {median_and_spread(waits)[0] * 1000:.2f} ms; the longest wait, "
                f"{waits[longest] * 1000:.2f} ms, let the greedy thread re-take it "
                f"{self.blocking_retakes[longest]} times"
            )
        return "\n".join(lines)


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def starvation(
    seconds: float = 0.5, hold: float = 0.0005, poll: float = 0.001, attempts: int = 10, timeout: float = 0.5
) -> StarvationReport:
    """A greedy thread holds a lock for ``hold`` seconds, releases it and takes it again at once.

    Phase 1, for ``seconds``: a polite thread asks with ``acquire(blocking=False)`` every ``poll``
    seconds; it almost never finds the lock free, on any version or build: the lock is free only
    between the greedy thread's release and its next acquire (and, with the GIL, the polite thread
    runs only when the GIL is handed to it, nearly always inside the greedy thread's critical
    section). Phase 2: ``attempts`` blocking ``acquire(timeout=timeout)`` calls. Which waiter gets a
    released lock is not defined (threading docs); from 3.13.1 a blocked waiter gets it handed over
    once it has waited 1 ms (:func:`handoff`), before that nothing bounds the wait. The greedy
    thread holds the GIL while it holds the lock, so with the GIL a waiter also waits for the GIL.
    """
    seconds = check_seconds("seconds", seconds, 0.0, MAX_TIMEOUT)
    hold = check_seconds("hold", hold, 0.0, 0.1)
    poll = check_seconds("poll", poll, 0.0, 0.1)
    attempts = check_count("attempts", attempts, 0, 100)
    timeout = check_seconds("timeout", timeout, 0.0, MAX_TIMEOUT)
    lock, stop, running = threading.Lock(), threading.Event(), threading.Event()
    taken = [0]

    def greedy() -> None:
        while not stop.is_set():
            with lock:
                taken[0] += 1
                running.set()
                _busy(hold)

    thread = threading.Thread(target=greedy, name="greedy", daemon=True)
    thread.start()
    try:
        if not running.wait(5.0):
            raise RuntimeError("the greedy thread did not start")
        tries = successes = 0
        before = taken[0]
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            tries += 1
            if lock.acquire(blocking=False):
                successes += 1
                lock.release()
            time.sleep(poll)
        greedy_count = taken[0] - before
        waits, retakes, acquired = [], [], []
        for _ in range(attempts):
            before, start = taken[0], time.perf_counter()
            ok = lock.acquire(timeout=timeout)
            waits.append(time.perf_counter() - start)
            retakes.append(taken[0] - before)
            acquired.append(ok)
            if ok:
                lock.release()
            time.sleep(poll)
    finally:
        stop.set()
        thread.join(5.0)
    return StarvationReport(
        seconds, hold, greedy_count, tries, successes, tuple(waits), tuple(retakes), tuple(acquired)
    )


# --- hand-off ----------------------------------------------------------------------------------


def lock_hands_over() -> bool:
    """True where ``threading.Lock`` is a ``PyMutex`` with a hand-off: CPython 3.13.1 and later.

    ``Python/lock.c``: "If a thread waits on a lock for longer than TIME_TO_BE_FAIR_NS (1 ms),
    then the unlocking thread directly hands off ownership of the lock." ``_thread.lock`` uses
    ``PyMutex`` from gh-117721 (PR 125110, 3.14; backported to 3.13 in PR 125116, merged the day
    after 3.13.0 was released). Earlier locks (a semaphore or a mutex and condition variable,
    ``Python/thread_pthread.h``) just unlock and wake a waiter. Standard and free-threaded builds alike.
    """
    return sys.implementation.name == "cpython" and sys.version_info >= (3, 13, 1)


@dataclass(frozen=True)
class HandoffReport(PlainData, environment.MadeOn):
    """Rounds of: a thread releases a lock another thread is blocked on, then at once tries to re-take it."""

    waited: float  # seconds the waiter had been blocked, at least, when the lock was released
    retaken: tuple[bool, ...]  # per round: the releasing thread's acquire(blocking=False) succeeded
    waiter_acquired: tuple[bool, ...]  # per round: the waiter got the lock (within its timeout)
    python: str  # filled by HandoffReport.made_on(environment.where_it_ran(), ...)
    hands_over: bool  # lock_hands_over() on the Python that ran it

    @property
    def rounds(self) -> int:
        return len(self.retaken)

    def describe(self) -> str:
        return (
            f"Waiter blocked {self.waited * 1000:g} ms: the releasing thread re-took the lock at once in "
            f"{sum(self.retaken)} of {self.rounds} rounds; the waiter got it in {sum(self.waiter_acquired)}"
        )


def _handoff_round(waited: float, timeout: float) -> tuple[bool, bool]:
    lock, ready, checked = threading.Lock(), threading.Event(), threading.Event()
    got: list[bool] = []

    def waiter() -> None:
        ready.set()
        ok = lock.acquire(timeout=timeout)
        got.append(ok)
        if ok:
            checked.wait(timeout)  # keep the lock until the other thread has tried to re-take it
            lock.release()

    lock.acquire()
    thread = threading.Thread(target=waiter, name="waiter", daemon=True)
    try:
        thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("the waiter thread did not start in time")
        time.sleep(waited)  # the waiter is blocked in acquire() by now
    finally:
        lock.release()
    retaken = lock.acquire(blocking=False)  # at once: can the releasing thread take it back?
    if retaken:
        lock.release()  # now the waiter gets it
    checked.set()
    thread.join(2 * timeout)
    if thread.is_alive():
        raise RuntimeError("the waiter thread did not end in time")
    return retaken, bool(got and got[0])


def handoff(rounds: int = 10, waited: float = 0.005, timeout: float = 2.0) -> HandoffReport:
    """Can a thread that releases a lock take it straight back while another thread waits for it?

    Each round: this thread takes a fresh ``threading.Lock``; a waiter thread blocks in
    ``acquire(timeout=timeout)``; after ``waited`` seconds this thread calls ``release()`` and at
    once ``acquire(blocking=False)``. Where the lock hands over (:func:`lock_hands_over`, 3.13.1+)
    and the waiter has waited more than 1 ms, the lock passes to the waiter inside ``release()``,
    so the re-take fails; after a shorter wait it does not pass, and the releasing thread, already
    running, gets it back. Before 3.13.1 ``release()`` only unlocks and wakes the waiter, and who
    takes the lock first is a race the operating system decides.
    """
    rounds = check_count("rounds", rounds, 1, 100)
    waited = check_seconds("waited", waited, 0.0, 1.0)
    timeout = check_seconds("timeout", timeout, 0.0, MAX_TIMEOUT)
    outcomes = [_handoff_round(waited, timeout) for _ in range(rounds)]
    return HandoffReport.made_on(
        environment.where_it_ran(),
        waited=waited,
        retaken=tuple(r for r, _ in outcomes),
        waiter_acquired=tuple(w for _, w in outcomes),
        hands_over=lock_hands_over(),
    )
