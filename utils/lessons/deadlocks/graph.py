"""The wait-for graph and the reports of lesson 07's scenarios.

A thread that cannot get what it waits for gives up after a timeout and records a :class:`Wait`;
the waits that timed out form the *wait-for graph* (an arrow from each stuck thread to the thread
holding what it wanted), and a cycle in it (:func:`find_cycle`) is a deadlock.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from utils.engine.plaindata import PlainData

#: The longest timeout any function here accepts, in seconds.
MAX_TIMEOUT = 10.0


class LockTimeout(TimeoutError):
    """A lock could not be acquired within its timeout."""


def meet_at(barrier: threading.Barrier | None) -> bool:
    """Wait at a barrier (if any); False if it broke (a thread failed or it timed out)."""
    if barrier is None:
        return True
    try:
        barrier.wait()
        return True
    except threading.BrokenBarrierError:
        return False


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
                return (*ring, ring[0])
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
