"""A test bench for a learner's ``transfer(a, b, amount)`` (lesson 07, exercise 07).

Two threads move money between two accounts in opposite directions; a deadlock is detected from
the live wait-for graph and reported (:class:`TransferReport`), never hung.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from utils.engine.validation import check_count, check_seconds
from utils.lessons.deadlocks.graph import MAX_TIMEOUT, LockTimeout, Wait, find_cycle, meet_at

# --- a test bench for transfer functions -------------------------------------------------------

#: The accounts on the bench, their opening balance, and who moves how much in which direction.
BENCH_ACCOUNTS = ("alice", "bob")
OPENING_BALANCE = 100
BENCH_MOVES = (("thread-1", "alice", "bob", 3), ("thread-2", "bob", "alice", 2))
#: Three threads paying around a ring of three accounts: no two take the same pair in opposite orders.
RING_MOVES = (("thread-1", "alice", "bob", 3), ("thread-2", "bob", "carol", 2), ("thread-3", "carol", "alice", 1))
MAX_MOVES = 8
_SLICE = 0.05  # a watched wait looks at the wait-for graph this often (seconds)
_MEET = 0.05  # how long a thread holding its first lock waits for the other thread to start (seconds)


def _accounts(moves: tuple[tuple[str, str, str, int], ...]) -> tuple[str, ...]:
    """The accounts the moves touch, in order of first appearance."""
    return tuple(dict.fromkeys(name for _, source, target, _ in moves for name in (source, target)))


def _check_moves(moves: Any) -> tuple[tuple[str, str, str, int], ...]:
    if not isinstance(moves, (list, tuple)) or not all(isinstance(m, (list, tuple)) and len(m) == 4 for m in moves):
        raise TypeError("moves must be a list of (thread, from_account, to_account, amount), e.g. RING_MOVES")
    if not 2 <= len(moves) <= MAX_MOVES:
        raise ValueError(f"moves must hold 2 to {MAX_MOVES} moves (one thread each), got {len(moves)}")
    checked = []
    for thread, source, target, amount in moves:
        if not all(isinstance(x, str) and x for x in (thread, source, target)):
            raise TypeError(f"thread and account names must be non-empty strings: {(thread, source, target)!r}")
        if source == target:
            raise ValueError(f"{thread} moves money from {source} to itself")
        checked.append((thread, source, target, check_count("amount", amount, 1, OPENING_BALANCE)))
    if len({m[0] for m in checked}) != len(checked):
        raise ValueError("every move needs a thread of its own: two moves name the same thread")
    return tuple(checked)


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
    joined: bool  # every thread ended within the run's time budget
    balances: dict[str, Any]  # each account's balance at the end
    lock_types: tuple[str, ...]  # type names of the locks open_account gave the accounts
    wall: float  # seconds the run took
    moves: tuple[tuple[str, str, str, int], ...] = BENCH_MOVES  # (thread, from, to, amount) per thread

    @property
    def detected(self) -> bool:
        """True if the threads deadlocked (a cycle of waits was found)."""
        return bool(self.cycle)

    @property
    def expected_calls(self) -> int:
        """Calls in a complete run: ``rounds`` per thread."""
        return len(self.moves) * self.rounds

    @property
    def expected_balances(self) -> dict[str, int]:
        """The balances after a complete, correct run."""
        balances = dict.fromkeys(_accounts(self.moves), OPENING_BALANCE)
        for _, source, target, amount in self.moves:
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
        return not self.detected and not self.errors and self.joined and len(self.calls) == self.expected_calls

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
                    raise LockTimeout(
                        f"{me.name} waited {bench.give_up:g} s for {self.name}'s lock, "
                        f"held by {self.owner or 'nobody on the bench'}"
                    )
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
    """One thread per move calling ``transfer``, round after round (by default two, in opposite directions)."""

    def __init__(
        self,
        transfer: Callable[[Any, Any, int], Any],
        open_account: Callable[[str, int], Any],
        rounds: int,
        give_up: float,
        moves: tuple[tuple[str, str, str, int], ...] = BENCH_MOVES,
    ) -> None:
        self.transfer, self.rounds, self.give_up = transfer, rounds, give_up
        self._books = threading.Lock()
        self.moves = moves
        self.workers = {name: _Worker(name) for name, *_ in moves}
        self.calls: list[TransferCall] = []
        self.errors: list[str] = []
        self.cycle: tuple[str, ...] = ()
        self.stuck: tuple[Wait, ...] = ()
        self.accounts = {name: open_account(name, OPENING_BALANCE) for name in _accounts(moves)}
        types = set()
        for name, account in self.accounts.items():
            lock = getattr(account, "lock", None)
            if not (callable(getattr(lock, "acquire", None)) and callable(getattr(lock, "release", None))):
                raise TypeError(
                    f"open_account({name!r}, {OPENING_BALANCE}) returned an account whose .lock is "
                    f"{type(lock).__name__}, not a lock (with acquire and release)"
                )
            types.add(type(lock).__name__)
            account.lock = _WatchedLock(lock, name, self)
        self.lock_types = tuple(sorted(types))
        self.start = threading.Barrier(len(moves), timeout=give_up)
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
                if all(
                    w.stopped or w.calls_done > me.calls_done or (w.in_call and (w.order or w.waiting)) for w in others
                ):
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
                    Wait(
                        w.name,
                        tuple(f"{name}'s lock" for name in dict.fromkeys(w.held)),
                        f"{w.waiting.name}'s lock",
                        w.waiting.owner,
                        False,
                        now - w.wait_start,
                    )
                    for w in sorted(self.workers.values(), key=lambda w: w.name)
                    if w.waiting and w.name in cycle
                )
            return cycle

    def work(self, source: Any, target: Any, amount: int) -> None:
        me = self.worker()
        try:
            for round_number in range(1, self.rounds + 1):
                if not meet_at(self.start):
                    if not (self.cycle or self.errors):
                        self.errors.append(
                            f"{me.name}: another thread did not start transfer {round_number} within {self.give_up:g} s"
                        )
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
            threading.Thread(
                target=self.work, name=name, daemon=True, args=(self.accounts[source], self.accounts[target], amount)
            )
            for name, source, target, amount in self.moves
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + self.budget
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        joined = not any(t.is_alive() for t in threads)
        balances = {name: getattr(account, "balance", None) for name, account in self.accounts.items()}
        with self.books():
            return TransferReport(
                self.rounds,
                self.give_up,
                tuple(self.calls),
                self.cycle,
                self.stuck,
                tuple(self.errors),
                joined,
                balances,
                self.lock_types,
                time.perf_counter() - started,
                self.moves,
            )


def run_opposite_transfers(
    transfer: Callable[[Any, Any, int], Any],
    open_account: Callable[[str, int], Any],
    rounds: int = 20,
    give_up: float = 5.0,
) -> TransferReport:
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
    return run_transfers(transfer, open_account, BENCH_MOVES, rounds, give_up)


def run_transfers(
    transfer: Callable[[Any, Any, int], Any],
    open_account: Callable[[str, int], Any],
    moves: Sequence[tuple[str, str, str, int]],
    rounds: int = 20,
    give_up: float = 5.0,
) -> TransferReport:
    """Like :func:`run_opposite_transfers`, with one thread per move ``(thread, from, to, amount)``.

    The accounts are the ones the moves name, each opened with 100. :data:`RING_MOVES` pays
    around a ring of three accounts (alice to bob, bob to carol, carol to alice): no two threads
    take the same pair of locks in opposite orders, yet locking in argument order deadlocks all three.
    """
    if not callable(transfer):
        raise TypeError(f"transfer must be a function transfer(a, b, amount), not {type(transfer).__name__}")
    if not callable(open_account):
        raise TypeError(
            f"open_account must be a function open_account(name, balance), not {type(open_account).__name__}"
        )
    moves = _check_moves(moves)
    rounds = check_count("rounds", rounds, 1, 200)
    give_up = check_seconds("give_up", give_up, 0.0, MAX_TIMEOUT)
    return _TransferBench(transfer, open_account, rounds, give_up, moves).run()
