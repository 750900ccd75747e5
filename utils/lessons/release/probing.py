"""The yes-or-no probe of lesson 09: does another Python thread run while this one is inside a call?

With the switch interval raised far above the probe's length, a thread that holds the GIL is never
asked to drop it, so the answer does not depend on how fast or busy the machine is. On a
free-threaded build with the GIL off there is no GIL to hold or release: the other thread runs
whenever the OS schedules it, and the probe says so. Run probes in a fresh process, away from a
Jupyter kernel's own threads: ``isolated(probe, "sha256", 4096)`` (:mod:`utils.engine.isolation`).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from utils.engine import environment
from utils.engine.plaindata import PlainData
from utils.engine.validation import check_seconds
from utils.lessons.release.operations import prepare

#: Switch interval used while probing: far longer than any probe, so a thread that holds the
#: GIL is never forced to hand it over, and the other thread runs only if the GIL is released.
PROBE_SWITCH_INTERVAL = 10.0
#: With the GIL off nothing holds the other thread back, so a probe waits up to this long (seconds) for
#: the OS to schedule it: on a loaded machine that can take longer than the probe's own ``seconds``.
NO_GIL_PATIENCE = 10.0


@dataclass
class Probe(PlainData, environment.MadeOn):
    """Whether another Python thread ran while this thread was inside ``operation``; plain data."""

    operation: str
    size: int
    label: str
    other_thread_ran: bool = False
    calls: int = 0
    seconds: float = 0.0
    expected: bool | None = None
    python: str = ""
    gil_enabled: bool = True
    available: bool = True
    reason: str = ""

    @property
    def released(self) -> bool | None:
        """Whether the call released the GIL: None where that cannot be observed.

        None if the operation is not available, and on a free-threaded build with the GIL off,
        where there is no GIL to hold or release (the other thread runs whenever it is scheduled).
        """
        if not self.available or not self.gil_enabled:
            return None
        return self.other_thread_ran

    @property
    def agrees(self) -> bool:
        """True if the observation matches the documented behaviour (or nothing is documented).

        With the GIL off the documented behaviour is that the other thread runs: nothing stops it.
        """
        if not self.available or self.expected is None:
            return True
        expected = self.expected if self.gil_enabled else True
        return self.other_thread_ran == expected

    def describe(self) -> str:
        """One line: the operation and the yes/no answer (no timings); it says when there is no GIL."""
        if not self.available:
            return f"{self.label:<46} not available: {self.reason}"
        if not self.gil_enabled:
            answer = (
                "yes: no GIL here, nothing to release"
                if self.other_thread_ran
                else "no: not scheduled in time (no GIL here)"
            )
        else:
            answer = "yes: the GIL was released" if self.other_thread_ran else "no: the GIL was held"
        return f"{self.label:<46} {answer}"


def probe(operation: str, size: int, *, seconds: float = 0.5) -> Probe:
    """Call ``operation`` repeatedly for up to ``seconds`` while a second thread waits for the GIL.

    The switch interval is raised to :data:`PROBE_SWITCH_INTERVAL` meanwhile, so this thread is
    never forced to hand the GIL over: the second thread can only run if a call releases it.
    The probe stops as soon as the second thread has run. ``calls`` is the number of calls made.
    With the GIL off it waits up to :data:`NO_GIL_PATIENCE` seconds for the OS to schedule that thread.
    Run it in a fresh process (``isolated(probe, operation, size)``): other threads in the process
    (a Jupyter kernel has several) would also take the GIL and muddle the answer.
    """
    seconds = check_seconds("seconds", seconds, 0.0, 2.0)
    op, step, reason = prepare(operation, size)
    result = Probe.made_on(
        environment.where_it_ran(), operation=operation, size=size, label=op.label(size), expected=op.expected(size)
    )
    if step is None:
        result.available, result.reason = False, reason
        return result
    return _run_probe(step, result, seconds)


def probe_callable(func: Callable[[], Any], *, label: str = "", seconds: float = 0.5) -> Probe:
    """:func:`probe` for any function of no arguments (e.g. a learner's own workload)."""
    if not callable(func):
        raise TypeError(f"func must be callable, not {type(func).__name__}")
    seconds = check_seconds("seconds", seconds, 0.0, 2.0)
    name = label or getattr(func, "__name__", "your function")
    result = Probe.made_on(environment.where_it_ran(), operation="callable", size=0, label=name)
    return _run_probe(func, result, seconds)


def _run_probe(step: Callable[[], Any], result: Probe, seconds: float) -> Probe:
    state: dict[str, Any] = {"calls": 0, "finished": False, "seen": None}
    go = threading.Event()

    def other() -> None:
        go.wait(timeout=60)
        state["seen"] = state["finished"]  # runs only once it holds the GIL

    previous = sys.getswitchinterval()
    sys.setswitchinterval(PROBE_SWITCH_INTERVAL)
    try:
        thread = threading.Thread(target=other, name="probe-other", daemon=True)
        thread.start()  # returns once `other` is blocked in go.wait()
        go.set()
        start = time.perf_counter()
        deadline = start + (seconds if result.gil_enabled else max(seconds, NO_GIL_PATIENCE))
        while state["seen"] is None and time.perf_counter() < deadline:
            step()
            state["calls"] += 1
        result.seconds = time.perf_counter() - start
        state["finished"] = True
        thread.join(timeout=60)  # lets `other` run now if it has not yet
    finally:
        sys.setswitchinterval(previous)
    if thread.is_alive() or state["seen"] is None:
        raise RuntimeError(f"the probe's second thread did not run within 60 s ({result.label})")
    result.other_thread_ran = state["seen"] is False
    result.calls = state["calls"]
    return result
