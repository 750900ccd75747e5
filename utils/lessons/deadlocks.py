"""Deadlocks and locking pitfalls, shown safely (lesson 07).

Every scenario here runs real threads and real locks, but **every wait has a timeout**: a thread
that cannot get what it waits for gives up, says what it was waiting for and who held it, and all
threads are joined with a timeout. A deadlock is therefore *detected and reported*, never hung.

A deadlock is detected the way a debugger would: from the waits that timed out we build the
*wait-for graph* (an arrow from each stuck thread to the thread holding what it wanted) and look
for a cycle. A timed-out wait alone is not a deadlock (the holder may just be slow); a cycle is.

- :func:`opposite_order`: two threads take two locks in opposite orders. Barriers make both
  threads hold their first lock before either asks for its second, so the deadlock happens on
  every run (without them it happens only now and then: ``synchronized=False``).
- :func:`global_order`: the fix, every thread takes the locks in one global order.
- :func:`wait_while_holding`: a caller holds a lock while it waits for a worker thread's reply,
  and the worker needs that lock (``fixed=True``: release the lock before waiting).
- :class:`Ledger`: a ``Lock`` is not re-entrant, an ``RLock`` is.
- :func:`run_opposite_transfers`: a test bench for a learner's ``transfer(a, b, amount)``: two
  threads move money between two accounts in opposite directions; a deadlock is detected from
  the live wait-for graph and reported (:class:`TransferReport`), never hung.
- :func:`fork_while_locked`, :func:`fork_warnings`: ``os.fork()`` in a process with threads (POSIX
  only; call them through ``utils.engine.isolation.call_isolated``, never in a Jupyter kernel).
- :func:`starvation`: a polite thread against a greedy one: polling with
  ``acquire(blocking=False)`` starves, on every version and build.
- :func:`handoff`: whether a thread that releases a lock can take it straight back while another
  thread waits for it. From 3.13.1 ``threading.Lock`` is a ``PyMutex`` that hands the lock to a
  waiter that has waited more than 1 ms (:func:`lock_hands_over`); before, nothing did.

Sources: Python docs, ``threading`` (Lock, RLock, ``acquire(timeout=...)``, "which one of the
waiting threads proceeds is not defined"); ``Python/lock.c`` (``TIME_TO_BE_FAIR_NS``) and
gh-117721 (``_thread.lock`` uses ``PyMutex``: PR 125110 in 3.14, backported in PR 125116 after
3.13.0, so from 3.13.1); ``os.fork`` and What's New in Python 3.12 (the DeprecationWarning);
``multiprocessing``, "Contexts and start methods", and What's New in Python 3.14 (forkserver
became the default start method on Linux).

Importing this module starts nothing and changes no global state.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import signal
import statistics
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from utils.engine.plaindata import PlainData
from utils.engine.validation import check_count, check_seconds

__all__ = [
    "DeadlockDetected",
    "DeadlockReport",
    "ForkReport",
    "HandoffReport",
    "Ledger",
    "LockTimeout",
    "StarvationReport",
    "TransferCall",
    "TransferReport",
    "Wait",
    "find_cycle",
    "fork_warnings",
    "fork_while_locked",
    "global_order",
    "handoff",
    "lock_hands_over",
    "opposite_order",
    "run_opposite_transfers",
    "starvation",
    "wait_while_holding",
]

#: The longest timeout any function here accepts, in seconds.
MAX_TIMEOUT = 10.0


class LockTimeout(TimeoutError):
    """A lock could not be acquired within its timeout."""


# --- reports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wait:
    """One thread waiting for one resource (a lock, or a reply from another thread)."""

    thread: str
    holding: tuple[str, ...]  # what the thread held while it waited
    wanted: str
    owner: str | None  # the thread that held (or had to provide) ``wanted``; None if free
    acquired: bool
    seconds: float
    kind: str = "lock"  # "lock", or "reply" for a reply ``owner`` had to send

    def describe(self, timeout: float | None = None) -> str:
        """One line: who waited for what, held by whom, and how it ended (after ``timeout``).

        ``timeout=None`` describes a wait still in progress (a snapshot), without an outcome.
        """
        holds = f"holds {', '.join(self.holding)} and " if self.holding else ""
        if self.kind == "reply":
            owner = f" from {self.owner}" if self.owner else ""
        else:
            owner = f" (held by {self.owner})" if self.owner else ""
        if timeout is None:
            return f"{self.thread} {holds}waits for {self.wanted}{owner}"
        outcome = "got it" if self.acquired else f"gave up after {timeout:g} s"
        return f"{self.thread} {holds}waited for {self.wanted}{owner}: {outcome}"


def find_cycle(edges: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """A cycle in a wait-for graph given as (waiter, owner) edges, or ``()`` if there is none.

    The cycle is returned as thread names, starting from the alphabetically first one and ending
    where it started: ``("thread-1", "thread-2", "thread-1")``.
    """
    graph: dict[str, list[str]] = {}
    for waiter, owner in edges:
        graph.setdefault(waiter, []).append(owner)
    for start in sorted(graph):
        path, stack = [start], [iter(graph[start])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                path.pop()
            elif nxt == start:
                first = path.index(min(path))
                ring = path[first:] + path[:first]
                return tuple(ring + [ring[0]])
            elif nxt not in path and nxt in graph:
                path.append(nxt)
                stack.append(iter(graph[nxt]))
    return ()


@dataclass(frozen=True)
class DeadlockReport(PlainData):
    """What happened in one scenario: every wait, the cycle of waits if any, and the threads."""

    scenario: str
    timeout: float
    waits: tuple[Wait, ...]
    cycle: tuple[str, ...]  # () if the waits that timed out form no cycle
    finished: tuple[str, ...]  # threads that did all their work
    joined: bool  # every thread ended within its join timeout
    wall: float
    errors: tuple[str, ...] = ()

    @property
    def detected(self) -> bool:
        """True if the waits that timed out form a cycle: a deadlock."""
        return bool(self.cycle)

    @property
    def failed(self) -> tuple[Wait, ...]:
        """The waits that timed out."""
        return tuple(w for w in self.waits if not w.acquired)

    def describe(self) -> str:
        """A stable, learner-facing summary (no measured times in it)."""
        if self.detected:
            lines = [f"Deadlock detected: {' -> '.join(self.cycle)}"]
            lines += [f"  {w.describe(self.timeout)}" for w in self.failed]
        elif self.failed:
            lines = [f"No cycle of waits, but {len(self.failed)} wait(s) timed out:"]
            lines += [f"  {w.describe(self.timeout)}" for w in self.failed]
        else:
            lines = [f"No deadlock: all {len(self.waits)} waits succeeded."]
        lines.append("Finished their work: " + (", ".join(self.finished) if self.finished else "none"))
        lines.append("Every thread was joined." if self.joined else "WARNING: a thread did not end in time.")
        lines += [f"Error: {e}" for e in self.errors]
        return "\n".join(lines)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeadlockReport:
        waits = tuple(Wait(**{**w, "holding": tuple(w["holding"])}) for w in data["waits"])
        return cls(**{**data, "waits": waits, "cycle": tuple(data["cycle"]),
                      "finished": tuple(data["finished"]), "errors": tuple(data.get("errors", ()))})


class _Recorder:
    """Collects waits and outcomes from several threads (list.append is thread-safe)."""

    def __init__(self) -> None:
        self.waits: list[Wait] = []
        self.finished: list[str] = []
        self.errors: list[str] = []

    def report(self, scenario: str, timeout: float, threads: list[threading.Thread],
               join_timeout: float, started: float) -> DeadlockReport:
        deadline = time.monotonic() + join_timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        joined = not any(t.is_alive() for t in threads)
        waits = tuple(sorted(self.waits, key=lambda w: (w.thread, w.wanted)))
        cycle = find_cycle([(w.thread, w.owner) for w in waits if not w.acquired and w.owner])
        return DeadlockReport(scenario, timeout, waits, cycle, tuple(sorted(self.finished)),
                              joined, time.perf_counter() - started, tuple(self.errors))


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
        recorder.waits.append(Wait(me, tuple(holding), self.name, None if ok else self.owner,
                                   ok, time.perf_counter() - start))
        return ok

    def release(self) -> None:
        self.owner = None
        self.lock.release()


def _thread(name: str, target, recorder: _Recorder) -> threading.Thread:
    """A daemon thread whose exceptions are recorded instead of printed."""

    def body() -> None:
        try:
            target()
        except Exception as exc:  # reported in DeadlockReport.errors
            recorder.errors.append(f"{name}: {type(exc).__name__}: {exc}")

    return threading.Thread(target=body, name=name, daemon=True)


def _sync(barrier: threading.Barrier | None) -> bool:
    """Wait at a barrier (if any); False if it broke (a thread failed or it timed out)."""
    if barrier is None:
        return True
    try:
        barrier.wait()
        return True
    except threading.BrokenBarrierError:
        return False


# --- lock ordering ---------------------------------------------------------------------------


def _take_both(locks: Sequence[_NamedLock], recorder: _Recorder, timeout: float,
               after_first: threading.Barrier | None, before_release: threading.Barrier | None) -> bool:
    """Take ``locks`` in the given order (each with a timeout); release what was taken."""
    held: list[_NamedLock] = []
    try:
        for index, lock in enumerate(locks):
            if index == 1 and not _sync(after_first):
                return False
            if not lock.acquire(recorder, [h.name for h in held], timeout):
                return False
            held.append(lock)
        return True
    finally:
        _sync(before_release)  # nobody releases before everyone has tried
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

    started = time.perf_counter()
    threads = [_thread("thread-1", worker([a, b]), recorder), _thread("thread-2", worker([b, a]), recorder)]
    for t in threads:
        t.start()
    return recorder.report("opposite order", timeout, threads, budget, started)


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
                if not _sync(start_round):
                    break
                done += _take_both(ordered, recorder, timeout, None, None)
            if done == rounds:
                recorder.finished.append(threading.current_thread().name)
        return run

    started = time.perf_counter()
    # thread-2 lists its locks as (b, a), as in opposite_order; the global order overrides it.
    threads = [_thread("thread-1", worker([a, b]), recorder), _thread("thread-2", worker([b, a]), recorder)]
    for t in threads:
        t.start()
    return recorder.report("global order", timeout, threads, budget, started)


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
        _sync(both_tried)

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
            recorder.waits.append(Wait(me, tuple(holding), "a reply", "worker", ok,
                                       time.perf_counter() - start, kind="reply"))
            _sync(both_tried)  # keep holding the lock until the worker has tried too
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

    started = time.perf_counter()
    threads = [_thread("caller", caller, recorder), _thread("worker", worker, recorder)]
    for t in threads:
        t.start()
    scenario = "release, then wait" if fixed else "wait while holding"
    return recorder.report(scenario, timeout, threads, budget, started)


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


# --- a test bench for transfer functions -------------------------------------------------------

#: The accounts on the bench, their opening balance, and who moves how much in which direction.
BENCH_ACCOUNTS = ("alice", "bob")
OPENING_BALANCE = 100
BENCH_MOVES = (("thread-1", "alice", "bob", 3), ("thread-2", "bob", "alice", 2))
_SLICE = 0.05  # a watched wait looks at the wait-for graph this often (seconds)
_MEET = 0.05  # how long a thread holding its first lock waits for the other thread to start (seconds)


class DeadlockDetected(RuntimeError):
    """Raised in a thread on the transfer bench whose wait closes a cycle of waits."""


@dataclass(frozen=True)
class TransferCall:
    """One completed call of the transfer function on the bench."""

    thread: str
    order: tuple[str, ...]  # the accounts whose locks it took, in the order it first took them
    peak: int  # the most account locks it held at the same time


@dataclass(frozen=True)
class TransferReport:
    """What :func:`run_opposite_transfers` saw: every completed call, and how the run ended."""

    rounds: int
    give_up: float
    calls: tuple[TransferCall, ...]
    cycle: tuple[str, ...]  # the first cycle of waits found, () if none
    stuck: tuple[Wait, ...]  # the waits that formed that cycle, when it was found
    errors: tuple[str, ...]  # exceptions and timeouts, "thread-N: Type: message"
    joined: bool  # both threads ended within the run's time budget
    balances: dict[str, Any]  # each account's balance at the end
    lock_types: tuple[str, ...]  # type names of the locks open_account gave the accounts
    wall: float  # seconds the run took

    @property
    def detected(self) -> bool:
        """True if the threads deadlocked (a cycle of waits was found)."""
        return bool(self.cycle)

    @property
    def expected_calls(self) -> int:
        """Calls in a complete run: ``rounds`` per thread."""
        return len(BENCH_MOVES) * self.rounds

    @property
    def expected_balances(self) -> dict[str, int]:
        """The balances after a complete, correct run."""
        balances = dict.fromkeys(BENCH_ACCOUNTS, OPENING_BALANCE)
        for _, source, target, amount in BENCH_MOVES:
            balances[source] -= amount * self.rounds
            balances[target] += amount * self.rounds
        return balances

    @property
    def lock_orders(self) -> frozenset[tuple[str, ...]]:
        """The distinct orders in which the calls took the accounts' locks."""
        return frozenset(call.order for call in self.calls)

    @property
    def completed(self) -> bool:
        """Every call ran and returned: no deadlock, no error, no thread left running."""
        return (not self.detected and not self.errors and self.joined
                and len(self.calls) == self.expected_calls)

    def describe(self) -> str:
        """A stable, learner-facing summary (no measured times in it)."""
        if self.detected:
            lines = [f"Deadlock detected: {' -> '.join(self.cycle)}"]
            return "\n".join(lines + [f"  {wait.describe()}" for wait in self.stuck])
        if self.errors:
            return f"Stopped by an error: {self.errors[0]}"
        if not self.joined:
            return "Stopped: a thread was still running when the bench's time ran out"
        money = ", ".join(f"{name} has {balance!r}" for name, balance in self.balances.items())
        return f"No deadlock: {len(self.calls)} transfers done; {money}"


class _Worker:
    """One bench thread's bookkeeping (read and written under the bench's books lock)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls_done = 0
        self.in_call = False
        self.stopped = False
        self.order: list[str] = []
        self.held: list[str] = []
        self.peak = 0
        self.waiting: _WatchedLock | None = None
        self.wait_start = 0.0

    def begin(self) -> None:
        self.in_call, self.order, self.held, self.peak = True, [], [], 0

    def finish(self) -> TransferCall:
        self.in_call = False
        self.calls_done += 1
        return TransferCall(self.name, tuple(dict.fromkeys(self.order)), self.peak)


class _WatchedLock:
    """Stands in for an account's lock on the bench; the real lock is inside.

    It records which bench thread holds it, and never waits blindly: a blocking ``acquire``
    waits in slices of ``_SLICE`` seconds, and after each one looks at the wait-for graph; when
    the same cycle through its thread shows twice in a row, it raises :class:`DeadlockDetected`.
    A wait with no cycle gives up after the bench's ``give_up`` seconds (:class:`LockTimeout`),
    or after the caller's own ``timeout`` if that is shorter (then it returns False, as a
    ``threading.Lock`` does).
    """

    def __init__(self, inner: Any, name: str, bench: _TransferBench) -> None:
        self.inner, self.name, self.bench = inner, name, bench
        self.owner: str | None = None
        self.depth = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not blocking and timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        me = self.bench.worker()
        got = self._wait(me, timeout) if blocking else bool(self.inner.acquire(False))
        if got:
            first = self.bench.took(me, self)
            if first:
                self.bench.meet(me)
        return got

    def _wait(self, me: _Worker, timeout: float) -> bool:
        bench = self.bench
        timeout = -1 if timeout is None else timeout
        limit = bench.give_up if timeout < 0 else min(timeout, bench.give_up)
        end = time.monotonic() + limit
        with bench.books():
            me.waiting, me.wait_start = self, time.monotonic()
        seen: tuple[str, ...] = ()
        try:
            while not self.inner.acquire(timeout=max(0.0, min(_SLICE, end - time.monotonic()))):
                cycle = bench.look_for_cycle(me, seen)
                if bench.cycle:
                    raise DeadlockDetected(" -> ".join(bench.cycle))
                seen = cycle
                if time.monotonic() >= end:
                    if 0 <= timeout < bench.give_up:
                        return False
                    raise LockTimeout(f"{me.name} waited {bench.give_up:g} s for {self.name}'s lock, "
                                      f"held by {self.owner or 'nobody on the bench'}")
            return True
        finally:
            with bench.books():
                me.waiting = None

    def release(self) -> None:
        me = self.bench.worker()
        with self.bench.books():
            if self.owner is None:
                raise RuntimeError(f"release of {self.name}'s lock, which is not locked")
            self.depth -= 1
            if self.depth == 0:
                self.owner = None
            if self.name in me.held:
                me.held.remove(self.name)
            self.inner.release()

    def locked(self) -> bool:
        return self.owner is not None

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class _TransferBench:
    """Two threads calling ``transfer`` in opposite directions, round after round."""

    def __init__(self, transfer: Callable[[Any, Any, int], Any], open_account: Callable[[str, int], Any],
                 rounds: int, give_up: float) -> None:
        self.transfer, self.rounds, self.give_up = transfer, rounds, give_up
        self._books = threading.Lock()
        self.workers = {name: _Worker(name) for name, *_ in BENCH_MOVES}
        self.calls: list[TransferCall] = []
        self.errors: list[str] = []
        self.cycle: tuple[str, ...] = ()
        self.stuck: tuple[Wait, ...] = ()
        self.accounts = {name: open_account(name, OPENING_BALANCE) for name in BENCH_ACCOUNTS}
        types = set()
        for name, account in self.accounts.items():
            lock = getattr(account, "lock", None)
            if not (callable(getattr(lock, "acquire", None)) and callable(getattr(lock, "release", None))):
                raise TypeError(f"open_account({name!r}, {OPENING_BALANCE}) returned an account whose .lock is "
                                f"{type(lock).__name__}, not a lock (with acquire and release)")
            types.add(type(lock).__name__)
            account.lock = _WatchedLock(lock, name, self)
        self.lock_types = tuple(sorted(types))
        self.start = threading.Barrier(len(BENCH_MOVES), timeout=give_up)
        self.budget = 2 * give_up + 0.25 * rounds

    @contextlib.contextmanager
    def books(self) -> Iterator[None]:
        """The bookkeeping lock: held only while updating records, never while waiting."""
        if not self._books.acquire(timeout=self.give_up):
            raise LockTimeout("the bench's bookkeeping lock was not free: this is a bug in the bench")
        try:
            yield
        finally:
            self._books.release()

    def worker(self) -> _Worker:
        name = threading.current_thread().name
        if name not in self.workers:
            raise RuntimeError(f"the accounts' locks may only be used by the bench's threads, not {name}")
        return self.workers[name]

    def took(self, me: _Worker, lock: _WatchedLock) -> bool:
        """Record that ``me`` got ``lock``; True if it is the first lock of this call."""
        with self.books():
            lock.owner, lock.depth = me.name, lock.depth + 1
            me.order.append(lock.name)
            me.held.append(lock.name)
            me.peak = max(me.peak, len(set(me.held)))
            return len(me.order) == 1

    def meet(self, me: _Worker) -> None:
        """Holding its first lock, wait (at most ``_MEET`` s) until the other thread is in its call too.

        This makes the unlucky timing certain: if the two calls take their locks in opposite
        orders, each gets its first lock before the other asks for it, and they deadlock.
        """
        end = time.monotonic() + _MEET
        while time.monotonic() < end:
            with self.books():
                others = [w for w in self.workers.values() if w is not me]
                if all(w.stopped or w.calls_done > me.calls_done or (w.in_call and (w.order or w.waiting))
                       for w in others):
                    return
            time.sleep(0.0005)

    def look_for_cycle(self, me: _Worker, seen: tuple[str, ...]) -> tuple[str, ...]:
        """The cycle of waits through ``me`` now; record it as the deadlock if it was there last time."""
        with self.books():
            edges = [(w.name, w.waiting.owner) for w in self.workers.values() if w.waiting and w.waiting.owner]
            cycle = find_cycle(edges)
            if me.name not in cycle:
                return ()
            if cycle == seen and not self.cycle:
                now = time.monotonic()
                self.cycle = cycle
                self.stuck = tuple(
                    Wait(w.name, tuple(f"{name}'s lock" for name in dict.fromkeys(w.held)),
                         f"{w.waiting.name}'s lock", w.waiting.owner, False, now - w.wait_start)
                    for w in sorted(self.workers.values(), key=lambda w: w.name)
                    if w.waiting and w.name in cycle
                )
            return cycle

    def work(self, source: Any, target: Any, amount: int) -> None:
        me = self.worker()
        try:
            for round_number in range(1, self.rounds + 1):
                if not _sync(self.start):
                    if not (self.cycle or self.errors):
                        self.errors.append(f"{me.name}: the other thread did not start transfer {round_number} "
                                           f"within {self.give_up:g} s")
                    return
                with self.books():
                    me.begin()
                self.transfer(source, target, amount)
                with self.books():
                    self.calls.append(me.finish())
        except DeadlockDetected:
            self.start.abort()
        except Exception as exc:  # the learner's code failed: report it, stop the other thread
            self.errors.append(f"{me.name}: {type(exc).__name__}: {exc}")
            self.start.abort()
        finally:
            with self.books():
                me.stopped = True

    def run(self) -> TransferReport:
        started = time.perf_counter()
        threads = [
            threading.Thread(target=self.work, name=name, daemon=True,
                             args=(self.accounts[source], self.accounts[target], amount))
            for name, source, target, amount in BENCH_MOVES
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + self.budget
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        joined = not any(t.is_alive() for t in threads)
        balances = {name: getattr(account, "balance", None) for name, account in self.accounts.items()}
        with self.books():
            return TransferReport(self.rounds, self.give_up, tuple(self.calls), self.cycle, self.stuck,
                                  tuple(self.errors), joined, balances, self.lock_types,
                                  time.perf_counter() - started)


def run_opposite_transfers(transfer: Callable[[Any, Any, int], Any], open_account: Callable[[str, int], Any],
                           rounds: int = 20, give_up: float = 5.0) -> TransferReport:
    """Run ``transfer`` from two threads at once, in opposite directions, and report what happened.

    ``open_account(name, balance)`` must return an object with ``balance`` and ``lock`` attributes;
    the bench opens ``alice`` and ``bob`` with 100 each and replaces each account's ``lock`` with a
    watched stand-in that wraps it. Then ``thread-1`` calls ``transfer(alice, bob, 3)`` and
    ``thread-2`` calls ``transfer(bob, alice, 2)``, ``rounds`` times each; a barrier starts
    every round together, and a thread that gets its first lock waits (50 ms at most) for the
    other to start its call, so a transfer that takes the locks in argument order deadlocks in
    the first round, on every run.

    Nothing waits forever: the stand-in locks build the wait-for graph while they wait and stop
    the run with :class:`DeadlockDetected` when a cycle of waits persists for two looks (about
    0.1 s); any other wait gives up after ``give_up`` seconds (:class:`LockTimeout`), and both
    threads are joined within ``2 * give_up + 0.25 * rounds`` seconds. The report lists every
    completed call (the order it took the locks in, how many it held at once), the cycle and the
    stuck waits if the threads deadlocked, exceptions, and the final balances.
    """
    if not callable(transfer):
        raise TypeError(f"transfer must be a function transfer(a, b, amount), not {type(transfer).__name__}")
    if not callable(open_account):
        raise TypeError(f"open_account must be a function open_account(name, balance), "
                        f"not {type(open_account).__name__}")
    rounds = check_count("rounds", rounds, 1, 200)
    give_up = check_seconds("give_up", give_up, 0.0, MAX_TIMEOUT)
    return _TransferBench(transfer, open_account, rounds, give_up).run()


# --- fork and threads ------------------------------------------------------------------------


def _fork_available() -> bool:
    return hasattr(os, "fork")


def _require_no_other_threads(what: str) -> None:
    if threading.active_count() > 1:
        raise RuntimeError(
            f"{what} forks the calling process, which already runs {threading.active_count()} threads; "
            f"run it in a fresh process: utils.engine.isolation.call_isolated('utils.lessons.deadlocks:{what}', {{}})"
        )


def _reap(pid: int, deadline: float) -> int:
    """Wait for child ``pid`` until ``deadline`` (monotonic); kill it if it is still running."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.005)


def _read_pipe(fd: int, deadline: float) -> bytes:
    chunks = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class ForkReport(PlainData):
    """What a child forked while another thread held a lock could do with that lock."""

    available: bool  # os.fork exists on this platform
    locked_in_child: bool | None  # the lock was already locked when the child looked
    child_acquired: bool | None  # the child got the lock within the timeout
    child_threads: int | None  # threading.active_count() in the child
    parent_acquired: bool | None  # the parent got it after its holder thread released it
    child_exit: int | None
    timeout: float
    warnings: tuple[str, ...] = ()  # warning categories os.fork() raised in the parent

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ForkReport:
        return cls(**{**data, "warnings": tuple(data.get("warnings", ()))})


def fork_while_locked(timeout: float = 0.5) -> ForkReport:
    """Fork while another thread holds a lock; the child tries the lock with ``timeout``.

    After ``os.fork()`` the child has one thread only: the one that called fork. The lock was
    copied in its locked state, and the thread that would release it does not exist in the
    child, so the child can never get it (here it gives up after ``timeout``). The parent's
    holder thread then releases the lock, and the parent gets it. POSIX only; run it in a fresh
    process (``call_isolated``), never in a Jupyter kernel, which has threads of its own.
    """
    timeout = check_seconds("timeout", timeout, 0.0, MAX_TIMEOUT)
    if not _fork_available():
        return ForkReport(False, None, None, None, None, None, timeout)
    _require_no_other_threads("fork_while_locked")
    budget = 4 * timeout + 5.0
    lock, holding, release = threading.Lock(), threading.Event(), threading.Event()

    def holder() -> None:
        with lock:
            holding.set()
            release.wait(budget)

    thread = threading.Thread(target=holder, name="holder", daemon=True)
    thread.start()
    try:
        if not holding.wait(budget):
            raise RuntimeError("the holder thread did not take the lock in time")
        read_fd, write_fd = os.pipe()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pid = os.fork()
        if pid == 0:  # the child: one thread, a copy of the locked lock
            code = 1
            try:
                os.close(read_fd)
                was_locked = lock.locked()
                got = lock.acquire(timeout=timeout)
                message = {"locked": was_locked, "acquired": got, "threads": threading.active_count()}
                os.write(write_fd, json.dumps(message).encode())
                code = 0
            finally:
                os._exit(code)  # never run the parent's code (or its atexit handlers) in the child
        os.close(write_fd)
        deadline = time.monotonic() + budget
        try:
            raw = _read_pipe(read_fd, deadline)
        finally:
            os.close(read_fd)
        exit_code = _reap(pid, deadline)
    finally:
        release.set()
        thread.join(budget)
    parent_got = lock.acquire(timeout=timeout)
    if parent_got:
        lock.release()
    child = json.loads(raw) if raw else {}
    return ForkReport(True, child.get("locked"), child.get("acquired"), child.get("threads"),
                      parent_got, exit_code, timeout,
                      tuple(sorted({w.category.__name__ for w in caught})))


def fork_warnings(threads: int = 1, timeout: float = 5.0) -> list[dict[str, str]]:
    """The warnings ``os.fork()`` raises in a process running ``threads`` extra threads.

    Python 3.12+ raises a DeprecationWarning when it can tell the process has other threads
    (What's New in Python 3.12; ``os.fork`` docs); 3.10 and 3.11 raise none. The child exits at
    once. Returns ``[{"category": ..., "message": ...}]``. POSIX only (``[]`` without ``os.fork``);
    run it in a fresh process (``call_isolated``).
    """
    threads = check_count("threads", threads, 0, 8)
    timeout = check_seconds("timeout", timeout, 0.0, MAX_TIMEOUT)
    if not _fork_available():
        return []
    _require_no_other_threads("fork_warnings")
    stop = threading.Event()
    idle = [threading.Thread(target=stop.wait, args=(timeout,), daemon=True) for _ in range(threads)]
    for t in idle:
        t.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pid = os.fork()
        if pid == 0:
            os._exit(0)
        _reap(pid, time.monotonic() + timeout)
    finally:
        stop.set()
        for t in idle:
            t.join(timeout)
    return [{"category": w.category.__name__, "message": str(w.message)} for w in caught]


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
                f"median {statistics.median(waits) * 1000:.2f} ms; the longest wait, "
                f"{waits[longest] * 1000:.2f} ms, let the greedy thread re-take it "
                f"{self.blocking_retakes[longest]} times"
            )
        return "\n".join(lines)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StarvationReport:
        return cls(**{**data, **{k: tuple(data[k]) for k in ("blocking_waits", "blocking_retakes", "blocking_acquired")}})


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def starvation(seconds: float = 0.5, hold: float = 0.0005, poll: float = 0.001,
               attempts: int = 10, timeout: float = 0.5) -> StarvationReport:
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
    return StarvationReport(seconds, hold, greedy_count, tries, successes,
                            tuple(waits), tuple(retakes), tuple(acquired))


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
class HandoffReport(PlainData):
    """Rounds of: a thread releases a lock another thread is blocked on, then at once tries to re-take it."""

    waited: float  # seconds the waiter had been blocked, at least, when the lock was released
    retaken: tuple[bool, ...]  # per round: the releasing thread's acquire(blocking=False) succeeded
    waiter_acquired: tuple[bool, ...]  # per round: the waiter got the lock (within its timeout)
    python: str
    hands_over: bool  # lock_hands_over() on the Python that ran it

    @property
    def rounds(self) -> int:
        return len(self.retaken)

    def describe(self) -> str:
        return (f"Waiter blocked {self.waited * 1000:g} ms: the releasing thread re-took the lock at once in "
                f"{sum(self.retaken)} of {self.rounds} rounds; the waiter got it in {sum(self.waiter_acquired)}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HandoffReport:
        return cls(**{**data, "retaken": tuple(data["retaken"]), "waiter_acquired": tuple(data["waiter_acquired"])})


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
    return HandoffReport(waited, tuple(r for r, _ in outcomes), tuple(w for _, w in outcomes),
                         ".".join(map(str, sys.version_info[:3])), lock_hands_over())
