"""Deadlocks and locking pitfalls, shown safely (lesson 07).

Every scenario here runs real threads and real locks, but **every wait has a timeout**: a thread
that cannot get what it waits for gives up, says what it was waiting for and who held it, and all
threads are joined with a timeout. A deadlock is therefore *detected and reported*, never hung.

A deadlock is detected the way a debugger would: from the waits that timed out we build the
*wait-for graph* (an arrow from each stuck thread to the thread holding what it wanted) and look
for a cycle. A timed-out wait alone is not a deadlock (the holder may just be slow); a cycle is.

The package, by concern:

- :mod:`.graph`: :class:`Wait`, :func:`find_cycle`, :class:`DeadlockReport` (the wait-for graph);
- :mod:`.scenarios`: :func:`opposite_order`, :func:`global_order` (the fix),
  :func:`wait_while_holding`, and :class:`Ledger` (a ``Lock`` is not re-entrant, an ``RLock`` is);
- :mod:`.bench`: :func:`run_opposite_transfers`, a test bench for a learner's
  ``transfer(a, b, amount)`` that detects a deadlock from the live wait-for graph, and
  :func:`run_transfers` for any set of moves (:data:`RING_MOVES`: three threads around a ring);
- :mod:`.forking`: :func:`fork_while_locked`, :func:`fork_warnings`: ``os.fork()`` in a process
  with threads (POSIX only; elsewhere they report ``available=False``). Run them in a fresh
  process (``utils.engine.isolation.isolated``), never in a Jupyter kernel;
- :mod:`.fairness`: :func:`starvation` (polling with ``acquire(blocking=False)`` starves) and
  :func:`handoff` / :func:`lock_hands_over` (from 3.13.1 ``threading.Lock`` hands itself to a
  waiter that has waited more than 1 ms).

Sources: Python docs, ``threading`` (Lock, RLock, ``acquire(timeout=...)``, "which one of the
waiting threads proceeds is not defined"); ``Python/lock.c`` (``TIME_TO_BE_FAIR_NS``) and
gh-117721 (``_thread.lock`` uses ``PyMutex``: PR 125110 in 3.14, backported in PR 125116 after
3.13.0, so from 3.13.1); ``os.fork`` and What's New in Python 3.12 (the DeprecationWarning);
``multiprocessing``, "Contexts and start methods", and What's New in Python 3.14 (forkserver
became the default start method on Linux).

Importing this package starts nothing and changes no global state.
"""

from __future__ import annotations

from utils.lessons.deadlocks.bench import (
    BENCH_ACCOUNTS,
    BENCH_MOVES,
    OPENING_BALANCE,
    RING_MOVES,
    DeadlockDetected,
    TransferCall,
    TransferReport,
    run_opposite_transfers,
    run_transfers,
)
from utils.lessons.deadlocks.fairness import HandoffReport, StarvationReport, handoff, lock_hands_over, starvation
from utils.lessons.deadlocks.forking import ForkReport, ForkWarnings, fork_warnings, fork_while_locked
from utils.lessons.deadlocks.graph import MAX_TIMEOUT, DeadlockReport, LockTimeout, Wait, find_cycle
from utils.lessons.deadlocks.scenarios import Ledger, global_order, opposite_order, wait_while_holding

__all__ = [
    "BENCH_ACCOUNTS",
    "BENCH_MOVES",
    "MAX_TIMEOUT",
    "OPENING_BALANCE",
    "RING_MOVES",
    "DeadlockDetected",
    "DeadlockReport",
    "ForkReport",
    "ForkWarnings",
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
    "run_transfers",
    "starvation",
    "wait_while_holding",
]
