"""Deadlock scenarios with real threads and locks, every wait with a timeout (lesson 07).

- :func:`opposite_order`: two threads take two locks in opposite orders;
- :func:`global_order`: the fix, one global order;
- :func:`wait_while_holding`: waiting for another thread's reply while holding the lock it needs;
- :class:`Ledger`: a ``Lock`` is not re-entrant, an ``RLock`` is.

Sources: Python docs, ``threading`` (Lock, RLock, ``acquire(timeout=...)``).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from utils.engine.validation import check_count, check_seconds
from utils.lessons.deadlocks.graph import (
    MAX_TIMEOUT,
    DeadlockReport,
    LockTimeout,
    Wait,
    find_cycle,
    meet_at,
)


class _Recorder:
    """Collects waits and outcomes from several threads (list.append is thread-safe)."""

    def __init__(self) -> None:
        self.waits: list[Wait] = []
        self.finished: list[str] = []
        self.errors: list[str] = []

    def run(
        self, scenario: str, timeout: float, targets: dict[str, Callable[[], None]], join_timeout: float
    ) -> DeadlockReport:
        """Start one daemon thread per named target, join them all by one deadline, and report.

        A thread's exception is recorded in the report's ``errors`` instead of being printed.
        """
        started = time.perf_counter()
        threads = [
            threading.Thread(target=self._guarded, args=(name, target), name=name, daemon=True)
            for name, target in targets.items()
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + join_timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        joined = not any(t.is_alive() for t in threads)
        waits = tuple(sorted(self.waits, key=lambda w: (w.thread, w.wanted)))
        cycle = find_cycle([(w.thread, w.owner) for w in waits if not w.acquired and w.owner])
        return DeadlockReport(
            scenario,
            timeout,
            waits,
            cycle,
            tuple(sorted(self.finished)),
            joined,
            time.perf_counter() - started,
            tuple(self.errors),
        )

    def _guarded(self, name: str, target: Callable[[], None]) -> None:
        try:
            target()
        except Exception as exc:  # reported in DeadlockReport.errors
            self.errors.append(f"{name}: {type(exc).__name__}: {exc}")


class _NamedLock:
    """A ``threading.Lock`` with a name and a record of which thread holds it (for reports)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self.owner: str | None = None

    def acquire(self, recorder: _Recorder, holding: list[str], timeout: float) -> bool:
        me = threading.current_thread().name
        start = time.perf_counter()
        ok = self.lock.acquire(timeout=timeout)
        if ok:
            self.owner = me
        recorder.waits.append(
            Wait(me, tuple(holding), self.name, None if ok else self.owner, ok, time.perf_counter() - start)
        )
        return ok

    def release(self) -> None:
        self.owner = None
        self.lock.release()


# --- lock ordering ---------------------------------------------------------------------------


def _take_both(
    locks: Sequence[_NamedLock],
    recorder: _Recorder,
    timeout: float,
    after_first: threading.Barrier | None,
    before_release: threading.Barrier | None,
) -> bool:
    """Take ``locks`` in the given order (each with a timeout); release what was taken."""
    held: list[_NamedLock] = []
    try:
        for index, lock in enumerate(locks):
            if index == 1 and not meet_at(after_first):
                return False
            if not lock.acquire(recorder, [h.name for h in held], timeout):
                return False
            held.append(lock)
        return True
    finally:
        meet_at(before_release)  # nobody releases before everyone has tried
        for lock in reversed(held):
            lock.release()


def opposite_order(timeout: float = 0.5, synchronized: bool = True) -> DeadlockReport:
    """Two threads take ``lock_a`` and ``lock_b`` in opposite orders: a lock-ordering deadlock.

    ``thread-1`` takes lock_a then lock_b, ``thread-2`` takes lock_b then lock_a, each ``acquire``
    with ``timeout``. With ``synchronized=True`` a barrier makes both hold their first lock before
    either asks for its second (the unlucky timing real programs hit now and then), and a second
    barrier keeps both locks held until both threads have tried: the deadlock happens, and is
    detected, on every run. With ``synchronized=False`` the threads just run, and the deadlock
    happens only when the timing is unlucky. The run takes about ``timeout`` seconds.
    """
    timeout = check_seconds("timeout", timeout, 0.0, MAX_TIMEOUT)
    if not isinstance(synchronized, bool):
        raise TypeError(f"synchronized must be True or False, not {type(synchronized).__name__}")
    a, b = _NamedLock("lock_a"), _NamedLock("lock_b")
    recorder = _Recorder()
    budget = 4 * timeout + 5.0
    after_first = threading.Barrier(2, timeout=budget) if synchronized else None
    before_release = threading.Barrier(2, timeout=budget) if synchronized else None

    def worker(locks: Sequence[_NamedLock]):
        def run() -> None:
            if _take_both(locks, recorder, timeout, after_first, before_release):
                recorder.finished.append(threading.current_thread().name)

        return run

    return recorder.run("opposite order", timeout, {"thread-1": worker([a, b]), "thread-2": worker([b, a])}, budget)


def global_order(timeout: float = 0.5, rounds: int = 20) -> DeadlockReport:
    """The fix: both threads take the two locks in one global order (sorted by name).

    A barrier starts both threads together in each of ``rounds`` rounds, so they collide on the
    locks every round. Whoever gets ``lock_a`` first also gets ``lock_b``; the other thread waits
    for ``lock_a`` while holding nothing, so no cycle of waits can form.
    """
    timeout = check_seconds("timeout", timeout, 0.0, MAX_TIMEOUT)
    rounds = check_count("rounds", rounds, 1, 1000)
    a, b = _NamedLock("lock_a"), _NamedLock("lock_b")
    recorder = _Recorder()
    budget = rounds * (2 * timeout + 0.5) + 5.0
    start_round = threading.Barrier(2, timeout=budget)

    def worker(locks: Sequence[_NamedLock]):
        ordered = sorted(locks, key=lambda lock: lock.name)  # the global order

        def run() -> None:
            done = 0
            for _ in range(rounds):
                if not meet_at(start_round):
                    break
                done += _take_both(ordered, recorder, timeout, None, None)
            if done == rounds:
                recorder.finished.append(threading.current_thread().name)

        return run

    # thread-2 lists its locks as (b, a), as in opposite_order; the global order overrides it.
    return recorder.run("global order", timeout, {"thread-1": worker([a, b]), "thread-2": worker([b, a])}, budget)


# --- holding a lock while waiting for another thread -----------------------------------------


def wait_while_holding(timeout: float = 0.5, fixed: bool = False) -> DeadlockReport:
    """A caller waits for a worker thread's reply while holding the lock the worker needs.

    The worker serves requests from a queue; each request updates shared state under
    ``state_lock``. The caller takes ``state_lock``, sends a request and waits for the reply
    (``queue.get(timeout=...)``): the worker waits for ``state_lock``, the caller waits for the
    worker, and both give up after ``timeout``. With ``fixed=True`` the caller does its own update
    under the lock, releases it, and only then sends the request and waits.
    """
    timeout = check_seconds("timeout", timeout, 0.0, MAX_TIMEOUT)
    if not isinstance(fixed, bool):
        raise TypeError(f"fixed must be True or False, not {type(fixed).__name__}")
    state_lock = _NamedLock("state_lock")
    state: list[str] = []
    requests: queue.Queue[str] = queue.Queue()
    replies: queue.Queue[str] = queue.Queue()
    recorder = _Recorder()
    budget = 4 * timeout + 5.0
    both_tried = threading.Barrier(2, timeout=budget)

    def worker() -> None:
        request = requests.get(timeout=budget)
        ok = state_lock.acquire(recorder, [], timeout)
        if ok:
            state.append(f"worker handled {request}")
            state_lock.release()
            replies.put("done")
            recorder.finished.append("worker")
        meet_at(both_tried)

    def caller() -> None:
        me = threading.current_thread().name

        def ask() -> bool:
            requests.put("refresh")
            holding = [state_lock.name] if state_lock.owner == me else []
            start = time.perf_counter()
            try:
                replies.get(timeout=timeout)
                ok = True
            except queue.Empty:
                ok = False
            recorder.waits.append(
                Wait(me, tuple(holding), "a reply", "worker", ok, time.perf_counter() - start, kind="reply")
            )
            meet_at(both_tried)  # keep holding the lock until the worker has tried too
            return ok

        if not state_lock.acquire(recorder, [], timeout):
            return
        try:
            state.append("caller updated")
            if not fixed:
                ok = ask()  # the pitfall: waiting for the worker while holding its lock
        finally:
            state_lock.release()
        if fixed:
            ok = ask()  # the fix: wait only after releasing the lock
        if ok:
            recorder.finished.append(me)

    scenario = "release, then wait" if fixed else "wait while holding"
    return recorder.run(scenario, timeout, {"caller": caller, "worker": worker}, budget)


# --- re-entrancy -----------------------------------------------------------------------------


class Ledger:
    """A balance guarded by one lock, where ``deposit_many`` calls ``deposit`` under the lock.

    ``Ledger("Lock")`` guards it with a ``threading.Lock``, which is not re-entrant: the inner
    ``deposit`` waits for a lock its own thread holds. It would block forever; here it gives up
    after ``timeout`` and raises :class:`LockTimeout`. ``Ledger("RLock")`` uses a re-entrant lock,
    which the owning thread may acquire again (threading docs, RLock objects).
    """

    def __init__(self, lock: str = "RLock", timeout: float = 0.2) -> None:
        if lock not in ("Lock", "RLock"):
            raise ValueError(f"lock must be 'Lock' or 'RLock', got {lock!r}")
        self.kind = lock
        self.timeout = check_seconds("timeout", timeout, 0.0, MAX_TIMEOUT)
        self._lock = threading.Lock() if lock == "Lock" else threading.RLock()
        self.balance = 0

    @contextlib.contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        if not self._lock.acquire(timeout=self.timeout):
            raise LockTimeout(f"{what}() waited {self.timeout:g} s for the ledger's {self.kind} and gave up")
        try:
            yield
        finally:
            self._lock.release()

    def deposit(self, amount: int) -> None:
        """Add ``amount`` to the balance, under the lock."""
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(f"amount must be a whole number, not {type(amount).__name__}")
        with self._guard("deposit"):
            self.balance += amount

    def deposit_many(self, amounts: Sequence[int]) -> None:
        """Deposit every amount as one step: hold the lock across all the ``deposit`` calls."""
        with self._guard("deposit_many"):
            for amount in amounts:
                self.deposit(amount)
