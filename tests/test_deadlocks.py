import json
import os
import sys
import threading

import pytest

from utils import deadlocks
from utils.deadlocks import (
    DeadlockReport,
    Ledger,
    LockTimeout,
    StarvationReport,
    find_cycle,
    global_order,
    opposite_order,
    starvation,
    wait_while_holding,
)
from utils.isolation import call_isolated

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


# --- fork ------------------------------------------------------------------------------------------


@needs_fork
def test_child_cannot_take_a_lock_held_at_fork_time():
    report = deadlocks.ForkReport.from_dict(
        call_isolated("utils.deadlocks:fork_while_locked", {"timeout": TIMEOUT}, timeout=60)
    )
    assert report.available and report.locked_in_child
    assert report.child_acquired is False and report.child_threads == 1 and report.child_exit == 0
    assert report.parent_acquired is True
    expected = ("DeprecationWarning",) if sys.version_info >= (3, 12) else ()
    assert report.warnings == expected


@needs_fork
def test_fork_warns_only_with_threads_and_only_from_3_12():
    assert call_isolated("utils.deadlocks:fork_warnings", {"threads": 0}, timeout=60) == []
    warned = call_isolated("utils.deadlocks:fork_warnings", {"threads": 1}, timeout=60)
    if sys.version_info >= (3, 12):
        assert [w["category"] for w in warned] == ["DeprecationWarning"]
        assert "multi-threaded" in warned[0]["message"]
    else:
        assert warned == []


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
    report = StarvationReport.from_dict(
        call_isolated("utils.deadlocks:starvation", {"seconds": 0.3, "attempts": 3}, timeout=60)
    )
    assert report.polite_tries > 0 and report.greedy_acquisitions > 0
    # the lock is held ~all the time and the GIL hands over mostly inside the critical section
    assert report.polite_success_rate < 0.1
    assert report.greedy_acquisitions > 10 * report.polite_successes
    assert len(report.blocking_waits) == len(report.blocking_retakes) == len(report.blocking_acquired) == 3
    assert "Polite thread" in report.describe()


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
        (lambda: deadlocks.fork_warnings(threads=-1), ValueError),
        (lambda: deadlocks.fork_while_locked(timeout=None), TypeError),
    ],
)
def test_bad_arguments_are_rejected(call, error):
    with pytest.raises(error):
        call()
