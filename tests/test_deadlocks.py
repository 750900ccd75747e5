import json
import os
import sys
import threading

import pytest

from utils.engine import environment
from utils.engine.isolation import isolated
from utils.lessons import deadlocks
from utils.lessons.deadlocks import (
    DeadlockReport,
    HandoffReport,
    Ledger,
    LockTimeout,
    Wait,
    find_cycle,
    global_order,
    handoff,
    lock_hands_over,
    opposite_order,
    run_opposite_transfers,
    starvation,
    wait_while_holding,
)

TIMEOUT = 0.1
needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")


def budget(timeout: float) -> float:
    """The longest a scenario may take: its own join budget (4 timeouts + 5 s)."""
    return 4 * timeout + 5.0


# --- the wait-for graph ------------------------------------------------------------------------


def test_find_cycle():
    assert find_cycle([("b", "a"), ("a", "b")]) == ("a", "b", "a")
    assert find_cycle([("t2", "t3"), ("t3", "t1"), ("t1", "t2")]) == ("t1", "t2", "t3", "t1")
    assert find_cycle([("t", "t")]) == ("t", "t")  # a thread waiting for a lock it holds itself
    assert find_cycle([("a", "b"), ("b", "c")]) == ()  # a chain: c is not waiting, it will finish
    assert find_cycle([]) == ()
    assert find_cycle([("x", "a"), ("a", "b"), ("b", "a")]) == ("a", "b", "a")  # x waits on the cycle


# --- lock ordering -----------------------------------------------------------------------------


def test_opposite_order_deadlocks_and_is_detected_every_time():
    for _ in range(5):
        report = opposite_order(TIMEOUT)
        assert report.detected and report.cycle == ("thread-1", "thread-2", "thread-1")
        assert [(w.thread, w.holding, w.wanted, w.owner) for w in report.failed] == [
            ("thread-1", ("lock_a",), "lock_b", "thread-2"),
            ("thread-2", ("lock_b",), "lock_a", "thread-1"),
        ]
        assert report.finished == () and report.joined and report.errors == ()


def test_timeouts_bound_the_runtime():
    report = opposite_order(TIMEOUT)
    # a timed-out acquire really waited its timeout, and the whole run stayed within its budget
    assert all(w.seconds >= TIMEOUT * 0.9 for w in report.failed)
    assert TIMEOUT * 0.9 <= report.wall < budget(TIMEOUT)
    longer = opposite_order(4 * TIMEOUT)
    assert longer.wall > report.wall  # the wait is set by the timeout, not by luck


def test_global_order_never_deadlocks():
    rounds = 50
    report = global_order(TIMEOUT * 5, rounds=rounds)
    assert not report.detected and report.failed == ()
    assert len(report.waits) == 2 * 2 * rounds  # two threads, two locks, every round
    assert report.finished == ("thread-1", "thread-2") and report.joined
    # nobody ever waited for lock_b while holding nothing, or for lock_a while holding lock_b
    for wait in report.waits:
        assert wait.holding == (() if wait.wanted == "lock_a" else ("lock_a",))


def test_unsynchronized_run_is_consistent():
    report = opposite_order(TIMEOUT, synchronized=False)
    assert report.joined
    if not report.detected:
        assert report.failed == () or len(report.failed) == 1


def test_wait_while_holding_deadlocks_and_the_fix_does_not():
    broken = wait_while_holding(TIMEOUT)
    assert broken.detected and broken.cycle == ("caller", "worker", "caller")
    caller, worker = broken.failed
    assert caller.holding == ("state_lock",) and caller.kind == "reply" and caller.owner == "worker"
    assert worker.wanted == "state_lock" and worker.owner == "caller"
    assert broken.finished == () and broken.joined
    fixed = wait_while_holding(TIMEOUT, fixed=True)
    assert not fixed.detected and fixed.failed == ()
    assert fixed.finished == ("caller", "worker") and fixed.joined
    assert all(w.holding == () for w in fixed.waits)  # the caller waits holding nothing


def test_reports_describe_and_round_trip_through_json():
    report = opposite_order(TIMEOUT)
    text = report.describe()
    assert text.startswith("Deadlock detected: thread-1 -> thread-2 -> thread-1")
    assert "thread-1 holds lock_a and waited for lock_b (held by thread-2): gave up after 0.1 s" in text
    again = DeadlockReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report
    fine = global_order(TIMEOUT * 5, rounds=2)
    assert fine.describe().startswith("No deadlock: all 8 waits succeeded.")
    assert "a reply from worker" in wait_while_holding(TIMEOUT).describe()


# --- re-entrancy ---------------------------------------------------------------------------------


def test_lock_is_not_reentrant_but_rlock_is():
    ledger = Ledger("Lock", timeout=TIMEOUT)
    with pytest.raises(LockTimeout, match="deposit"):
        ledger.deposit_many([1, 2])
    assert ledger.balance == 0
    ledger.deposit(5)  # the outer `with` released the lock on the exception
    assert ledger.balance == 5
    reentrant = Ledger("RLock", timeout=TIMEOUT)
    reentrant.deposit_many([1, 2, 3])
    assert reentrant.balance == 6


# --- the transfer bench ----------------------------------------------------------------------------


class Account:
    def __init__(self, name, balance, lock=None):
        self.name, self.balance = name, balance
        self.lock = threading.Lock() if lock is None else lock


def open_account(name, balance):
    return Account(name, balance)


def open_rlock_account(name, balance):
    return Account(name, balance, threading.RLock())


def transfer_in_argument_order(a, b, amount):
    with a.lock, b.lock:
        a.balance -= amount
        b.balance += amount


def transfer_in_global_order(a, b, amount):
    first, second = sorted((a, b), key=lambda account: account.name)
    with first.lock, second.lock:
        a.balance -= amount
        b.balance += amount


def transfer_one_lock_at_a_time(a, b, amount):
    with a.lock:
        a.balance -= amount
    with b.lock:
        b.balance += amount


GIVE_UP = 5.0


@pytest.mark.parametrize("opener", [open_account, open_rlock_account])
def test_bench_passes_a_global_order_transfer(opener):
    for _ in range(3):
        report = run_opposite_transfers(transfer_in_global_order, opener, rounds=25)
        assert report.completed and not report.detected and report.errors == () and report.joined
        assert len(report.calls) == report.expected_calls == 50
        assert report.lock_orders == {("alice", "bob")}  # one order, whatever the arguments' order
        assert all(call.peak == 2 for call in report.calls)  # both locks held while the money moved
        assert sorted(call.thread for call in report.calls) == ["thread-1"] * 25 + ["thread-2"] * 25
        assert report.balances == report.expected_balances == {"alice": 75, "bob": 125}
        assert report.describe() == "No deadlock: 50 transfers done; alice has 75, bob has 125"
    assert run_opposite_transfers(transfer_in_global_order, opener).lock_types == (
        ("RLock",) if opener is open_rlock_account else (type(threading.Lock()).__name__,)
    )


@pytest.mark.parametrize("opener", [open_account, open_rlock_account])
def test_bench_detects_an_argument_order_deadlock_quickly_every_time(opener):
    for _ in range(5):
        report = run_opposite_transfers(transfer_in_argument_order, opener, rounds=20, give_up=GIVE_UP)
        assert report.detected and report.cycle == ("thread-1", "thread-2", "thread-1")
        assert [(w.thread, w.holding, w.wanted, w.owner, w.acquired) for w in report.stuck] == [
            ("thread-1", ("alice's lock",), "bob's lock", "thread-2", False),
            ("thread-2", ("bob's lock",), "alice's lock", "thread-1", False),
        ]
        assert report.joined and not report.completed
        assert len(report.calls) < report.expected_calls  # the run stopped at the deadlock
        # found from the wait-for graph, not by waiting out the give-up timeout
        assert report.wall < GIVE_UP / 4
        assert report.describe() == (
            "Deadlock detected: thread-1 -> thread-2 -> thread-1\n"
            "  thread-1 holds alice's lock and waits for bob's lock (held by thread-2)\n"
            "  thread-2 holds bob's lock and waits for alice's lock (held by thread-1)"
        )


def test_bench_detects_a_thread_waiting_for_its_own_lock():
    def take_twice(a, b, amount):
        with a.lock, a.lock:
            pass

    report = run_opposite_transfers(take_twice, open_account, give_up=GIVE_UP)
    assert report.detected and report.cycle in {("thread-1", "thread-1"), ("thread-2", "thread-2")}
    assert report.wall < GIVE_UP / 4 and report.joined
    reentrant = run_opposite_transfers(take_twice, open_rlock_account)  # an RLock lets its owner re-enter
    assert reentrant.completed and reentrant.lock_orders == {("alice",), ("bob",)}


def test_bench_records_lock_orders_and_how_many_locks_were_held():
    report = run_opposite_transfers(transfer_one_lock_at_a_time, open_account, rounds=10)
    assert report.completed  # no deadlock, but...
    assert all(call.peak == 1 for call in report.calls)  # ...never both locks at once
    assert report.lock_orders == {("alice", "bob"), ("bob", "alice")}
    assert report.balances == report.expected_balances


def test_bench_gives_up_on_a_lock_that_is_never_released():
    leaked = []

    def leak(a, b, amount):
        if a.name == "alice":
            if not leaked:
                leaked.append(a.lock.acquire())  # thread-1 keeps alice's lock after it returns
        else:
            with b.lock:  # thread-2 waits for it, and thread-1 waits at the next round's start
                pass

    give_up = 0.3
    report = run_opposite_transfers(leak, open_account, rounds=5, give_up=give_up)
    assert report.joined and not report.detected  # a thread that holds a lock but waits for none: no cycle
    assert any(e.startswith("thread-2: LockTimeout: thread-2 waited 0.3 s for alice's lock") for e in report.errors)
    assert report.describe().startswith("Stopped by an error: thread-")
    assert give_up * 0.9 <= report.wall < 2 * give_up + 0.25 * 5  # waited its give_up, then stopped


def test_bench_reports_exceptions_and_stops_both_threads():
    def broken(a, b, amount):
        if a.name == "bob":
            raise ValueError("no money for bob")
        transfer_in_global_order(a, b, amount)

    report = run_opposite_transfers(broken, open_account, rounds=10, give_up=GIVE_UP)
    assert report.errors[0] == "thread-2: ValueError: no money for bob" and len(report.errors) == 1
    assert report.joined and not report.completed and report.wall < GIVE_UP / 4
    assert all(call.thread == "thread-1" for call in report.calls) and len(report.calls) <= 1


def test_bench_timed_acquire_returns_false_like_a_lock():
    got = []

    def polite(a, b, amount):
        with a.lock:
            ok = b.lock.acquire(timeout=0.01)
            got.append(ok)
            if ok:
                b.lock.release()

    report = run_opposite_transfers(polite, open_account, rounds=5)
    assert report.completed and not report.detected
    assert set(got) <= {True, False} and False in got  # the first round collides on every run


def test_bench_locks_refuse_misuse():
    accounts = []

    def keep(name, balance):
        accounts.append(Account(name, balance))
        return accounts[-1]

    def release_twice(a, b, amount):
        with a.lock:
            pass
        a.lock.release()

    report = run_opposite_transfers(release_twice, keep, rounds=2)
    assert "RuntimeError" in report.errors[0] and "not locked" in report.errors[0]
    with pytest.raises(RuntimeError, match="bench's threads"):
        accounts[0].lock.acquire(timeout=0.01)  # outside the bench nothing waits on its locks
    odd = run_opposite_transfers(lambda a, b, amount: a.lock.acquire(False, 1), open_account, rounds=1)
    assert "ValueError" in odd.errors[0] and "non-blocking" in odd.errors[0]  # as threading.Lock says


def test_wait_snapshot_has_no_outcome():
    wait = Wait("thread-1", ("alice's lock",), "bob's lock", "thread-2", False, 0.1)
    assert wait.describe() == "thread-1 holds alice's lock and waits for bob's lock (held by thread-2)"
    assert wait.describe(0.5).endswith("waited for bob's lock (held by thread-2): gave up after 0.5 s")


class NoLock:
    def __init__(self, name, balance):
        self.balance, self.lock = balance, None


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"transfer": None}, TypeError, "transfer must be a function"),
        ({"open_account": "alice"}, TypeError, "open_account must be a function"),
        ({"open_account": NoLock}, TypeError, "not a lock"),
        ({"rounds": 0}, ValueError, "rounds"),
        ({"rounds": 1000}, ValueError, "rounds"),
        ({"rounds": 2.5}, TypeError, "rounds"),
        ({"rounds": True}, TypeError, "rounds"),
        ({"give_up": 0}, ValueError, "give_up"),
        ({"give_up": -1}, ValueError, "give_up"),
        ({"give_up": 60}, ValueError, "give_up"),
        ({"give_up": "5"}, TypeError, "give_up"),
    ],
)
def test_bench_rejects_bad_arguments(kwargs, error, match):
    arguments = {"transfer": transfer_in_global_order, "open_account": open_account, **kwargs}
    with pytest.raises(error, match=match):
        run_opposite_transfers(**arguments)


def test_a_ring_of_three_deadlocks_in_argument_order_and_not_in_a_global_order():
    ring = deadlocks.run_transfers(transfer_in_argument_order, open_account, deadlocks.RING_MOVES)
    assert ring.cycle == ("thread-1", "thread-2", "thread-3", "thread-1")
    assert {(w.thread, w.owner) for w in ring.stuck} == {
        ("thread-1", "thread-2"),
        ("thread-2", "thread-3"),
        ("thread-3", "thread-1"),
    }
    assert ring.joined and ring.moves == deadlocks.RING_MOVES
    fixed = deadlocks.run_transfers(transfer_in_global_order, open_account, deadlocks.RING_MOVES, rounds=10)
    assert fixed.completed and len(fixed.calls) == 30
    assert fixed.balances == fixed.expected_balances == {"alice": 80, "bob": 110, "carol": 110}
    assert len(fixed.lock_orders) == 3 and all(list(order) == sorted(order) for order in fixed.lock_orders)


def test_the_opposite_bench_is_the_two_move_case():
    report = run_opposite_transfers(transfer_in_global_order, open_account, rounds=5)
    assert report.moves == deadlocks.BENCH_MOVES and report.expected_calls == 10
    assert report.expected_balances == {"alice": 95, "bob": 105} == report.balances


@pytest.mark.parametrize(
    "moves, error",
    [
        ((("thread-1", "alice", "bob", 3),), ValueError),  # one thread cannot deadlock with itself here
        ([("thread-1", "alice", "alice", 3), ("thread-2", "bob", "alice", 1)], ValueError),
        ([("thread-1", "alice", "bob", 3), ("thread-1", "bob", "alice", 1)], ValueError),
        ([("thread-1", "alice", "bob", 0), ("thread-2", "bob", "alice", 1)], ValueError),
        ([("thread-1", "alice", "bob"), ("thread-2", "bob", "alice", 1)], TypeError),
        ([("thread-1", "alice", 7, 3), ("thread-2", "bob", "alice", 1)], TypeError),
        ("alice -> bob", TypeError),
    ],
)
def test_bench_rejects_bad_moves(moves, error):
    with pytest.raises(error):
        deadlocks.run_transfers(transfer_in_global_order, open_account, moves)


# --- fork ------------------------------------------------------------------------------------------


@needs_fork
def test_child_cannot_take_a_lock_held_at_fork_time():
    report = isolated(deadlocks.fork_while_locked, TIMEOUT, timeout=60)
    assert isinstance(report, deadlocks.ForkReport)
    assert report.available and report.locked_in_child
    assert report.child_acquired is False and report.child_threads == 1 and report.child_exit == 0
    assert report.parent_acquired is True
    expected = ("DeprecationWarning",) if sys.version_info >= (3, 12) else ()
    assert report.warnings == expected


@needs_fork
def test_fork_warns_only_with_threads_and_only_from_3_12():
    quiet = isolated(deadlocks.fork_warnings, threads=0, timeout=60)
    assert quiet == deadlocks.ForkWarnings(True, 0)
    warned = isolated(deadlocks.fork_warnings, threads=1, timeout=60)
    assert warned.available and warned.threads == 1
    if sys.version_info >= (3, 12):
        assert warned.categories == ("DeprecationWarning",)
        assert "multi-threaded" in warned.messages[0]
    else:
        assert warned.categories == warned.messages == ()


def test_fork_functions_say_when_there_is_no_fork(monkeypatch):
    monkeypatch.delattr(os, "fork", raising=False)  # as on Windows
    assert deadlocks.fork_warnings(1) == deadlocks.ForkWarnings(False, 1)
    report = deadlocks.fork_while_locked(TIMEOUT)
    assert not report.available and report.child_acquired is None and report.warnings == ()


@needs_fork
def test_fork_functions_refuse_to_fork_a_process_with_threads():
    stop = threading.Event()
    extra = threading.Thread(target=stop.wait, args=(5,), daemon=True)
    extra.start()
    try:
        with pytest.raises(RuntimeError, match="fresh process"):
            deadlocks.fork_while_locked(TIMEOUT)
        with pytest.raises(RuntimeError, match="fresh process"):
            deadlocks.fork_warnings(1)
    finally:
        stop.set()
        extra.join(5)


# --- starvation --------------------------------------------------------------------------------


def test_polite_thread_starves():
    report = isolated(starvation, seconds=0.3, attempts=3, timeout=60)
    assert report.polite_tries > 0 and report.greedy_acquisitions > 0
    # the lock is held ~all the time, free only between a release and the next acquire (and, with
    # the GIL, the polite thread runs only when the GIL is handed over, mostly inside the critical section)
    assert report.polite_success_rate < 0.1
    assert report.greedy_acquisitions > 10 * report.polite_successes
    assert len(report.blocking_waits) == len(report.blocking_retakes) == len(report.blocking_acquired) == 3
    if lock_hands_over():  # a blocked waiter gets the lock once it has waited 1 ms: nothing times out
        assert all(report.blocking_acquired), report.describe()
    assert "Polite thread" in report.describe()


# --- hand-off ----------------------------------------------------------------------------------


def test_lock_hands_over_from_3_13_1():
    assert lock_hands_over() == (sys.implementation.name == "cpython" and sys.version_info >= (3, 13, 1))


def test_handoff_after_a_long_wait_where_the_lock_is_a_pymutex():
    report = handoff(rounds=10, waited=0.005)
    assert report.rounds == 10 and all(report.waiter_acquired)  # the waiter gets it in the end, every round
    assert report.hands_over == lock_hands_over() and report.ran_on.python == environment.where_it_ran().python
    if lock_hands_over():
        # waited 5 ms > 1 ms (TIME_TO_BE_FAIR_NS): release() passes the lock to the waiter; one
        # round of slack for a waiter that the OS had not yet let block when the lock was released
        assert sum(report.retaken) <= 1, report.describe()
    assert HandoffReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


@pytest.mark.skipif(
    not (lock_hands_over() and environment.gil_enabled()), reason="needs the PyMutex lock (3.13.1+) and the GIL"
)
def test_no_handoff_before_a_millisecond():
    # A 0.2 ms wait is below the 1 ms threshold: release() only unlocks and wakes the waiter, which
    # must take the GIL back before it can try again; the releasing thread holds the GIL and wins.
    report = handoff(rounds=10, waited=0.0002)
    assert sum(report.retaken) >= 5, report.describe()
    assert all(report.waiter_acquired)


def test_handoff_describes_the_rounds():
    report = HandoffReport(0.005, (True, False, False), (True, True, True), "3.14.0", True)
    assert report.rounds == 3
    assert report.describe() == (
        "Waiter blocked 5 ms: the releasing thread re-took the lock at once in 1 of 3 rounds; the waiter got it in 3"
    )


# --- argument checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: opposite_order(0), ValueError),
        (lambda: opposite_order(-1), ValueError),
        (lambda: opposite_order(60), ValueError),
        (lambda: opposite_order("1"), TypeError),
        (lambda: opposite_order(True), TypeError),
        (lambda: opposite_order(TIMEOUT, synchronized="yes"), TypeError),
        (lambda: global_order(TIMEOUT, rounds=0), ValueError),
        (lambda: global_order(TIMEOUT, rounds=2.5), TypeError),
        (lambda: wait_while_holding(TIMEOUT, fixed=1), TypeError),
        (lambda: Ledger("Mutex"), ValueError),
        (lambda: Ledger("Lock", timeout=0), ValueError),
        (lambda: Ledger().deposit("5"), TypeError),
        (lambda: starvation(hold=1.0), ValueError),
        (lambda: starvation(attempts=-1), ValueError),
        (lambda: handoff(rounds=0), ValueError),
        (lambda: handoff(rounds=2.0), TypeError),
        (lambda: handoff(waited=0), ValueError),
        (lambda: handoff(waited=2), ValueError),
        (lambda: handoff(timeout="1"), TypeError),
        (lambda: deadlocks.fork_warnings(threads=-1), ValueError),
        (lambda: deadlocks.fork_while_locked(timeout=None), TypeError),
    ],
)
def test_bad_arguments_are_rejected(call, error):
    with pytest.raises(error):
        call()
