"""Lost updates that the GIL does not prevent (lesson 05).

The GIL makes each bytecode instruction, and the C code it runs, indivisible for other threads
(Python FAQ, *What kinds of global value mutation are thread-safe?*). It does nothing for a
*sequence* of instructions: a thread can be switched out between reading a shared value and
writing it back, and the other thread's update in between is then overwritten (a **lost update**).

Since Python 3.10 a thread can only be asked to drop the GIL where the interpreter checks its
*eval breaker*: at backward jumps (the end of a loop body) and at calls, not between every two
instructions (bpo-29988, python/cpython PR 18334). So whether a read-modify-write can be
interrupted depends on whether a call sits between the read and the write:

- ``plain``:  ``counter.value += 1``: no call inside the read-modify-write; on 3.10+ it almost
  never loses an update with the GIL (it did on 3.9 and earlier, and does again without the GIL,
  PEP 703);
- ``call``:   ``counter.value = add_one(counter.value)``: a Python call between read and write;
  loses updates on every run;
- ``locked``: the same under a ``threading.Lock``: never loses an update.

More variants show the fixes (a queue with one owner thread, confinement to one thread) and how
fragile "atomic" dict updates are (``counts[key] += 1`` with a key whose ``__hash__`` is Python
code). The counter, the shared loops and the thread runner are :mod:`utils.engine.counters`.
:func:`racy_counter` runs one variant in threads of the calling process; from a notebook run it
in a fresh process, ``isolated(racy_counter, "call", python=...)``, so that the kernel's own
threads and a changed switch interval stay out of the way. :func:`measure_rates` times the
variants; :func:`read_write_window` shows the bytecode between a loop's read and its write
(:mod:`utils.engine.bytecode`). :class:`RaceExplorer` is a widget panel over :func:`racy_counter`.
Check-then-act races are in :mod:`utils.lessons.check_then_act`.

Every run joins its threads with a timeout; importing this module starts nothing and changes no
global state.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from utils.engine import environment
from utils.engine.bytecode import ITEM, between
from utils.engine.counters import Counter, add_in_place, add_through_call, add_under_lock, count_in_threads
from utils.engine.isolation import isolated
from utils.engine.plaindata import PlainData
from utils.engine.timing import median_and_spread
from utils.engine.validation import check_count, check_seconds

__all__ = [
    "LOSES_UPDATES_WITHOUT_GIL",
    "LOSES_UPDATES_WITH_GIL",
    "VARIANTS",
    "RaceExplorer",
    "RaceResult",
    "RateRow",
    "append_items",
    "format_rates",
    "increment_dict",
    "measure_rates",
    "racy_counter",
    "read_write_window",
]

#: The ways :func:`racy_counter` can count, with the line each thread repeats.
VARIANTS: dict[str, str] = {
    "plain": "counter.value += 1",
    "call": "counter.value = add_one(counter.value)",
    "locked": "with counter.lock: counter.value = add_one(counter.value)",
    "queue": "updates.put(1)  # one owner thread does counter.value += 1",
    "confined": "local += 1  # each thread adds its local total under the lock, once per 10,000",
    "append": "items.append(1)  # the count is len(items)",
    "dict": "counts[key] += 1  # key = 0, an int",
    "dict_pyhash": "counts[key] += 1  # key's class defines __hash__ in Python",
}
#: Variants that protect the shared value: they never lose an update.
SAFE_VARIANTS = ("locked", "queue", "confined")
#: Whether a variant loses updates (on every run, at the lesson's sizes) on a standard CPython 3.10-3.15
#: build, the GIL on: only where a call sits between the read and the write (bpo-29988). The lesson
#: measures it, tests/test_races.py checks it, and assignment 05's Task 1 is graded against it.
LOSES_UPDATES_WITH_GIL: dict[str, bool] = {
    "plain": False,
    "call": True,
    "locked": False,
    "queue": False,
    "confined": False,
    "append": False,  # one C call (Python FAQ, "What kinds of global value mutation are thread-safe?")
    "dict": False,
    "dict_pyhash": True,  # the key's __hash__ is a Python call inside counts[key] += 1
}
#: The same on a free-threaded build with the GIL off (3.13t, 3.14t; PEP 703): every unprotected
#: read-modify-write loses updates; single operations on built-in objects keep theirs (per-object locks).
#: ``dict`` (an int key) is left out: it usually loses updates without the GIL, but not on every run.
LOSES_UPDATES_WITHOUT_GIL: dict[str, bool] = {
    "plain": True,
    "call": True,
    "locked": False,
    "queue": False,
    "confined": False,
    "append": False,
    "dict_pyhash": True,
}
#: Iterations per thread that make the ``call`` race show on every run: about 25 switch
#: intervals of 5 ms even on the fastest interpreter measured (3.11), see the lesson.
DEFAULT_ITERATIONS = 2_000_000
MAX_THREADS = 16
MAX_ITERATIONS = 10_000_000
#: The widget keeps single runs to a few seconds.
MAX_WIDGET_ITERATIONS = 5_000_000
#: Seconds the widget waits for one run before its worker is killed.
WIDGET_TIMEOUT = 60.0


# --- the loops: what each thread repeats -----------------------------------------------------


class Box(Counter):
    """The shared state: a :class:`~utils.engine.counters.Counter`, plus a dict and a list."""

    def __init__(self, key: object = 0) -> None:
        super().__init__()
        self.key = key
        self.counts = {key: 0}
        self.items: list[int] = []


class PyHashKey:
    """A dict key whose ``__hash__`` is Python code: every lookup calls into the interpreter."""

    def __hash__(self) -> int:
        return 0


def increment_dict(box: Box, n: int) -> None:
    """Add 1 to counts[key], n times; whether a call hides inside depends on the key's type."""
    counts, key = box.counts, box.key
    for _ in range(n):
        counts[key] += 1


def append_items(box: Box, n: int) -> None:
    """``box.items.append(1)``, ``n`` times: one C call, under the GIL (or the list's own lock without it)."""
    items = box.items
    for _ in range(n):
        items.append(1)


def _count_confined(box: Box, n: int) -> None:
    local = 0
    for _ in range(n):
        local += 1
    with box.lock:
        box.value += local


_LOOPS: dict[str, Callable[[Box, int], None]] = {
    "plain": add_in_place,
    "call": add_through_call,
    "locked": add_under_lock,
    "confined": _count_confined,
    "append": append_items,
    "dict": increment_dict,
    "dict_pyhash": increment_dict,
}


def read_write_window(kernel: Callable[..., Any]) -> list[str]:
    """Names of the bytecode instructions strictly between the read and the write of the shared value.

    The shared value is the attribute ``value`` or, in a loop without one, a dict item
    (:func:`utils.engine.bytecode.between`). Opcode names differ between versions (``dis`` docs),
    so look for substrings: ``"CALL"`` for calls, ``"JUMP"`` for jumps. ValueError if the kernel
    has neither; TypeError if it is not a Python function.
    """
    try:
        return between(kernel, "value")
    except ValueError:
        return between(kernel, ITEM)


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RaceResult(PlainData, environment.MadeOn):
    """What :func:`racy_counter` counted against what it should have counted, and where it ran."""

    variant: str
    threads: int
    iterations: int
    expected: int
    actual: int
    seconds: float
    switch_interval: float
    python: str
    gil_enabled: bool

    @property
    def lost(self) -> int:
        """Updates overwritten by another thread's stale write."""
        return self.expected - self.actual

    @property
    def lost_fraction(self) -> float:
        return self.lost / self.expected

    @property
    def rate(self) -> float:
        """Increments per second of wall time (all threads together)."""
        return self.expected / self.seconds if self.seconds > 0 else float("inf")

    def describe(self) -> str:
        return (
            f"{self.variant:>11}: {self.threads} threads x {self.iterations:,} -> expected {self.expected:,}, "
            f"got {self.actual:,}, lost {self.lost:,} ({self.lost_fraction:.1%})"
        )


# --- running the race ----------------------------------------------------------------------


def check_variant(variant: Any) -> str:
    if not isinstance(variant, str):
        raise TypeError(f"variant must be a string, not {type(variant).__name__}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    return variant


def _read(variant: str) -> Callable[[Box], int] | None:
    if variant.startswith("dict"):
        return lambda box: box.counts[box.key]
    return (lambda box: len(box.items)) if variant == "append" else None


def racy_counter(
    variant: str = "call",
    threads: int = 4,
    iterations: int = DEFAULT_ITERATIONS,
    switch_interval: float | None = None,
    timeout: float = 60.0,
) -> RaceResult:
    """``threads`` threads each add 1 to one shared counter ``iterations`` times, the ``variant`` way.

    The threads start together (a barrier) and run their loop in chunks of
    :data:`~utils.engine.counters.CHUNK` iterations, looking at a stop flag between chunks, so a
    run that exceeds ``timeout`` seconds stops its threads and raises ``TimeoutError``
    (:func:`utils.engine.counters.count_in_threads`). ``switch_interval`` (seconds) sets
    ``sys.setswitchinterval`` for the run and restores it afterwards (None: leave it).
    Runs in the calling process: from a notebook use ``isolated(racy_counter, ...)``, whose own
    ``timeout`` then bounds the worker (this function keeps its default).
    """
    variant = check_variant(variant)
    threads = check_count("threads", threads, 1, MAX_THREADS)
    iterations = check_count("iterations", iterations, 1, MAX_ITERATIONS)
    if switch_interval is not None:
        check_seconds("switch_interval", switch_interval, 1e-6, 1.0, allow_low=True)
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)

    box = Box(PyHashKey() if variant == "dict_pyhash" else 0)
    stop = threading.Event()
    updates: queue.Queue[int] = queue.Queue()
    helpers: list[Callable[[], None]] = []

    def send_updates(_box: Box, n: int) -> None:  # the queue variant's workers
        for _ in range(n):
            updates.put(1)

    def owner() -> None:  # the queue variant: the only thread that touches box.value
        expected = threads * iterations
        while box.value < expected and not stop.is_set():
            with contextlib.suppress(queue.Empty):
                box.value += updates.get(timeout=0.05)

    loop = send_updates if variant == "queue" else _LOOPS[variant]
    if variant == "queue":
        helpers.append(owner)
    with environment.switch_interval(switch_interval):
        interval = sys.getswitchinterval()
        tally = count_in_threads(
            loop,
            threads,
            iterations,
            counter=box,
            read=_read(variant),
            timeout=timeout,
            stop=stop,
            helpers=helpers,
            name=f"racy_counter({variant!r})",
        )
    return RaceResult.made_on(
        environment.where_it_ran(),
        variant=variant,
        threads=threads,
        iterations=iterations,
        expected=tally.expected,
        actual=tally.actual,
        seconds=tally.seconds,
        switch_interval=interval,
    )


#: The queue variant hands every increment through a lock and a condition: it runs with
#: ``iterations // QUEUE_SCALE`` iterations in :func:`measure_rates` to keep runs short.
QUEUE_SCALE = 10


@dataclass(frozen=True)
class RateRow(PlainData, environment.MadeOn):
    """Increments per second of one variant at one thread count: median and spread of repeats.

    ``python`` and ``gil_enabled`` say where the repeats ran (:func:`utils.engine.environment.where_it_ran`).
    """

    variant: str
    threads: int
    iterations: int
    rates: tuple[float, ...]
    lost_max: int
    python: str = ""
    gil_enabled: bool = True

    @property
    def rate(self) -> float:
        """The median of the repeats' rates (:func:`utils.engine.timing.median_and_spread`)."""
        return median_and_spread(self.rates)[0]

    @property
    def spread(self) -> float:
        """(fastest - slowest) / median: how much the repeats disagreed (0.1 = 10 %; 0.0 for one repeat)."""
        return median_and_spread(self.rates)[1]


def measure_rates(
    variants: list[str] | tuple[str, ...] = ("call", "locked", "confined", "queue"),
    threads: list[int] | tuple[int, ...] = (1, 4),
    iterations: int = 200_000,
    repeat: int = 3,
    timeout: float = 60.0,
) -> list[RateRow]:
    """Run each variant at each thread count ``repeat`` times in this process: one :class:`RateRow` each.

    A row holds the increments per second of wall time of every repeat (``rate`` is their median,
    ``spread`` how much they disagreed) and the most updates any repeat lost. ``iterations`` is
    per thread (``// QUEUE_SCALE`` for ``queue``). ``timeout`` bounds each single run. From a
    notebook: ``isolated(measure_rates, [...], threads=[1, 4])``, all runs in one fresh process.
    """
    if isinstance(variants, str) or not isinstance(variants, (list, tuple)) or not variants:
        raise TypeError("variants must be a non-empty list of variant names")
    if isinstance(threads, int) or not isinstance(threads, (list, tuple)) or not threads:
        raise TypeError("threads must be a non-empty list of thread counts")
    for variant in variants:
        check_variant(variant)
    for count in threads:
        check_count("threads", count, 1, MAX_THREADS)
    check_count("iterations", iterations, QUEUE_SCALE, MAX_ITERATIONS)
    check_count("repeat", repeat, 1, 20)
    rows = []
    for variant in variants:
        n = iterations // QUEUE_SCALE if variant == "queue" else iterations
        for count in threads:
            runs = [racy_counter(variant, count, n, timeout=timeout) for _ in range(repeat)]
            rows.append(
                RateRow.made_on(
                    environment.where_it_ran(),
                    variant=variant,
                    threads=count,
                    iterations=n,
                    rates=tuple(r.rate for r in runs),
                    lost_max=max(r.lost for r in runs),
                )
            )
    return rows


def format_rates(rows: list[RateRow]) -> str:
    """A small text table: variant, threads, increments per second (median, spread), updates lost."""
    lines = [f"{'variant':>9} {'threads':>7} {'increments/s':>14} {'spread':>7} {'lost (max)':>11}"]
    for row in rows:
        lines.append(f"{row.variant:>9} {row.threads:>7} {row.rate:>14,.0f} {row.spread:>7.0%} {row.lost_max:>11,}")
    return "\n".join(lines)


# --- the widget ----------------------------------------------------------------------------


class RaceExplorer:
    """ipywidgets panel: variant, threads, iterations, switch interval -> lost updates.

    Built on the course's Run-button layout, :class:`utils.ui.panels.RunPanel`. ``panel.widget`` is
    what to display; ``panel.run()`` (what the Run button does) runs :func:`racy_counter` in a fresh
    process (``isolated``) with the current settings, records the result in ``panel.results``,
    updates the status line and the history table, and returns the :class:`RaceResult`.
    """

    def __init__(
        self, variant: str = "call", threads: int = 4, iterations: int = 100_000, switch_interval: float = 0.005
    ) -> None:
        import ipywidgets as w  # imported here: workers that run racy_counter never need them

        from utils.ui.panels import RunPanel

        check_variant(variant)
        check_count("threads", threads, 1, 8)
        check_count("iterations", iterations, 1_000, MAX_WIDGET_ITERATIONS)
        check_seconds("switch_interval", switch_interval, 1e-6, 0.1, allow_low=True)
        self.results: list[RaceResult] = []
        self.variant = w.Dropdown(options=list(VARIANTS), value=variant, description="Variant")
        self.threads = w.IntSlider(value=threads, min=1, max=8, description="Threads")
        self.iterations = w.IntText(value=iterations, description="Iterations")
        self.switch_ms = w.FloatLogSlider(
            value=switch_interval * 1000, base=10, min=-3, max=2, step=0.5, description="Switch (ms)"
        )
        self.code = w.HTML(value=self._code_html())
        self.history = w.HTML(value="")
        self.variant.observe(lambda _change: setattr(self.code, "value", self._code_html()), names="value")
        controls = w.VBox([self.variant, self.threads, self.iterations, self.switch_ms])
        self.panel = RunPanel(
            self._run,
            [w.HBox([controls, self.code])],
            below=[self.history],
            ready="Predict how many updates will be lost, then press Run.",
        )
        self.run_button, self.status = self.panel.button, self.panel.status
        self.widget = self.panel.widget

    def _code_html(self) -> str:
        return f"<p>Each thread repeats:</p><pre>{VARIANTS[self.variant.value]}</pre>"

    def run(self) -> RaceResult:
        """Run the configured race in a fresh process; update the status and the history."""
        return self.panel.run()

    def _run(self) -> RaceResult:
        iterations = check_count("iterations", self.iterations.value, 1_000, MAX_WIDGET_ITERATIONS)
        result = isolated(
            racy_counter,
            self.variant.value,
            self.threads.value,
            iterations,
            switch_interval=self.switch_ms.value / 1000,
            timeout=WIDGET_TIMEOUT,
        )
        self.results.append(result)
        self.status.value = (
            f"{result.variant}: lost {result.lost:,} of {result.expected:,} updates "
            f"({result.lost_fraction:.1%}) in {result.seconds:.2f} s"
        )
        rows = "".join(
            f"<tr><td>{r.variant}</td><td>{r.threads}</td><td>{r.iterations:,}</td>"
            f"<td>{r.switch_interval * 1000:g}</td><td>{r.lost:,}</td><td>{r.lost_fraction:.1%}</td></tr>"
            for r in reversed(self.results[-10:])
        )
        self.history.value = (
            "<table><tr><th>variant</th><th>threads</th><th>iterations</th>"
            f"<th>switch (ms)</th><th>lost</th><th>lost %</th></tr>{rows}</table>"
        )
        return result
