"""Race conditions that the GIL does not prevent (lesson 05).

The GIL makes each bytecode instruction, and the C code it runs, indivisible for other threads
(Python FAQ, *What kinds of global value mutation are thread-safe?*). It does nothing for a
*sequence* of instructions: a thread can be switched out between reading a shared value and
writing it back, and the other thread's update in between is then overwritten (a **lost update**).

Since Python 3.10 a thread can only be asked to drop the GIL where the interpreter checks its
*eval breaker*: at backward jumps (the end of a loop body) and at calls, not between every two
instructions (bpo-29988, python/cpython PR 18334). So whether a read-modify-write can be
interrupted depends on whether a call sits between the read and the write:

- ``plain``:  ``box.value += 1``: no call inside the read-modify-write; on 3.10+ it almost
  never loses an update with the GIL (it did on 3.9 and earlier, and does again without the GIL,
  PEP 703);
- ``call``:   ``box.value = add_one(box.value)``: a Python call between read and write; loses
  updates on every run;
- ``locked``: the same under a ``threading.Lock``: never loses an update.

More variants show the fixes (a queue with one owner thread, confinement to one thread) and how
fragile "atomic" dict updates are (``counts[key] += 1`` with a key whose ``__hash__`` is Python
code). :func:`racy_counter` runs one variant in threads of *this* process; in a lesson use
:func:`race_isolated`, which runs it in a fresh process (the kernel's own threads and a changed
switch interval stay out of the way).

Two check-then-act races, :func:`lazy_init_race` (two threads both create a "singleton") and
:func:`check_then_insert` (``if key not in d: d[key] = make()``), show the other classic bug.
:class:`RaceExplorer` is a widget panel over :func:`race_isolated`.

Every run joins its threads with a timeout; importing this module starts nothing and changes no
global state.
"""

from __future__ import annotations

import dis
import platform
import queue
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from utils.engine.plaindata import PlainData
from utils.engine import environment
from utils.engine.validation import check_count, check_seconds

__all__ = [
    "CheckThenActResult",
    "RaceExplorer",
    "RaceResult",
    "RateRow",
    "VARIANTS",
    "add_one",
    "append_items",
    "check_then_insert",
    "format_rates",
    "increment_call",
    "increment_dict",
    "increment_locked",
    "increment_plain",
    "lazy_init_race",
    "measure_rates",
    "race_isolated",
    "racy_counter",
    "rates_isolated",
    "read_write_window",
]

#: The ways :func:`racy_counter` can count, with the line each thread repeats.
VARIANTS: dict[str, str] = {
    "plain": "box.value += 1",
    "call": "box.value = add_one(box.value)",
    "locked": "with box.lock: box.value = add_one(box.value)",
    "queue": "updates.put(1)  # one owner thread does box.value += 1",
    "confined": "local += 1  # each thread adds its total once, at the end, under the lock",
    "append": "items.append(1)  # the count is len(items)",
    "dict": "counts[key] += 1  # key = 0, an int",
    "dict_pyhash": "counts[key] += 1  # key's class defines __hash__ in Python",
}
#: Variants that protect the shared value: they never lose an update.
SAFE_VARIANTS = ("locked", "queue", "confined")
#: Iterations per thread that make the ``call`` race show on every run: about 25 switch
#: intervals of 5 ms even on the fastest interpreter measured (3.11), see the lesson.
DEFAULT_ITERATIONS = 2_000_000
#: Iterations a thread runs between two looks at the stop flag (see :func:`racy_counter`).
CHUNK = 10_000
MAX_THREADS = 16
MAX_ITERATIONS = 10_000_000
#: The widget keeps single runs to a few seconds.
MAX_WIDGET_ITERATIONS = 5_000_000


# --- the kernels: what each thread repeats --------------------------------------------------


class Box:
    """The shared state: a counter, a lock for the locked variant, a dict for the dict variants."""

    def __init__(self, key: object = 0) -> None:
        self.value = 0
        self.lock = threading.Lock()
        self.key = key
        self.counts = {key: 0}
        self.items: list[int] = []


class PyHashKey:
    """A dict key whose ``__hash__`` is Python code: every lookup calls into the interpreter."""

    def __hash__(self) -> int:
        return 0


def add_one(value: int) -> int:
    """Return value + 1. A Python function call: the call is what opens the race window."""
    return value + 1


def increment_plain(box: Box, n: int) -> None:
    """Add 1 to box.value, n times, with no call between reading and writing it."""
    for _ in range(n):
        box.value += 1


def increment_call(box: Box, n: int) -> None:
    """Add 1 to box.value, n times, with a call between reading and writing it."""
    for _ in range(n):
        box.value = add_one(box.value)


def increment_locked(box: Box, n: int) -> None:
    """Like increment_call, with each read-call-write inside one lock."""
    for _ in range(n):
        with box.lock:
            box.value = add_one(box.value)


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


_KERNELS: dict[str, Callable[[Box, int], None]] = {
    "plain": increment_plain,
    "call": increment_call,
    "locked": increment_locked,
    "confined": _count_confined,
    "append": append_items,
    "dict": increment_dict,
    "dict_pyhash": increment_dict,
}


def read_write_window(kernel: Callable[..., Any]) -> list[str]:
    """Names of the bytecode instructions strictly between the read and the write of the shared value.

    The read is the first instruction that loads ``value`` (``LOAD_ATTR``) or a dict item
    (``BINARY_SUBSCR``; ``BINARY_OP`` with ``[]`` from 3.14); the write is the next
    ``STORE_ATTR value`` or ``STORE_SUBSCR``. Opcode names differ between versions (``dis`` docs),
    so look for substrings: ``"CALL"`` for calls, ``"JUMP"`` for jumps.
    """
    if not callable(kernel) or not hasattr(kernel, "__code__"):
        raise TypeError(f"kernel must be a Python function, not {type(kernel).__name__}")
    instructions = list(dis.get_instructions(kernel))

    def is_read(ins: dis.Instruction) -> bool:
        return (ins.opname == "LOAD_ATTR" and ins.argval == "value") or ins.opname == "BINARY_SUBSCR" or (
            ins.opname == "BINARY_OP" and "[" in str(ins.argrepr))

    def is_write(ins: dis.Instruction) -> bool:
        return (ins.opname == "STORE_ATTR" and ins.argval == "value") or ins.opname == "STORE_SUBSCR"

    start = next((i for i, ins in enumerate(instructions) if is_read(ins)), None)
    end = next((i for i, ins in enumerate(instructions) if start is not None and i > start and is_write(ins)), None)
    if start is None or end is None:
        raise ValueError(f"{kernel.__name__} has no read followed by a write of box.value or a dict item")
    return [ins.opname for ins in instructions[start + 1:end]]


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RaceResult(PlainData):
    """What :func:`racy_counter` counted against what it should have counted."""

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
        return (f"{self.variant:>11}: {self.threads} threads x {self.iterations:,} -> expected {self.expected:,}, "
                f"got {self.actual:,}, lost {self.lost:,} ({self.lost_fraction:.1%})")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RaceResult:
        data = {k: v for k, v in data.items() if k != "lost"}
        return cls(**data)


# --- running the race ----------------------------------------------------------------------


def check_variant(variant: Any) -> str:
    if not isinstance(variant, str):
        raise TypeError(f"variant must be a string, not {type(variant).__name__}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    return variant


def _start_and_join(threads: list[threading.Thread], stop: threading.Event, timeout: float, what: str) -> None:
    """Start ``threads``, join them by a common deadline; on time-out stop them and raise TimeoutError."""
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        stop.set()
        for thread in threads:
            thread.join(5.0)
        raise TimeoutError(f"{what} did not finish within {timeout:g} s; its threads were stopped")


def racy_counter(
    threads: int = 4,
    iterations: int = DEFAULT_ITERATIONS,
    variant: str = "call",
    switch_interval: float | None = None,
    timeout: float = 60.0,
) -> RaceResult:
    """``threads`` threads each add 1 to one shared counter ``iterations`` times, the ``variant`` way.

    The threads start together (a barrier) and run their kernel in chunks of :data:`CHUNK`
    iterations, looking at a stop flag between chunks, so a run that exceeds ``timeout`` seconds
    stops its threads and raises ``TimeoutError``. ``switch_interval`` (seconds) sets
    ``sys.setswitchinterval`` for the run and restores it afterwards (None: leave it).
    Runs in the calling process: from a notebook use :func:`race_isolated`.
    """
    variant = check_variant(variant)
    threads = check_count("threads", threads, 1, MAX_THREADS)
    iterations = check_count("iterations", iterations, 1, MAX_ITERATIONS)
    if switch_interval is not None:
        check_seconds("switch_interval", switch_interval, 1e-6, 1.0, allow_low=True)
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)

    box = Box(PyHashKey() if variant == "dict_pyhash" else 0)
    stop = threading.Event()
    barrier = threading.Barrier(threads)
    updates: queue.Queue[int] = queue.Queue()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout)
            done = 0
            while done < iterations and not stop.is_set():
                n = min(CHUNK, iterations - done)
                if variant == "queue":
                    for _ in range(n):
                        updates.put(1)
                else:
                    _KERNELS[variant](box, n)
                done += n
        except BaseException as exc:  # reported below, never lost in a thread
            errors.append(exc)
            stop.set()

    def owner() -> None:  # the queue variant: the only thread that touches box.value
        expected = threads * iterations
        while box.value < expected and not stop.is_set():
            try:
                box.value += updates.get(timeout=0.05)
            except queue.Empty:
                pass

    workers = [threading.Thread(target=worker, name=f"race-{i}", daemon=True) for i in range(threads)]
    if variant == "queue":
        workers.append(threading.Thread(target=owner, name="race-owner", daemon=True))
    with environment.switch_interval(switch_interval):
        interval = sys.getswitchinterval()
        start = time.perf_counter()
        _start_and_join(workers, stop, timeout, f"racy_counter({variant!r})")
        seconds = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"a racy_counter thread failed: {errors[0]!r}") from errors[0]
    actual = box.counts[box.key] if variant.startswith("dict") else len(box.items) if variant == "append" else box.value
    return RaceResult(variant, threads, iterations, threads * iterations, actual, seconds, interval,
                      platform.python_version(), environment.gil_enabled())


def race_isolated(
    variant: str = "call",
    threads: int = 4,
    iterations: int = DEFAULT_ITERATIONS,
    *,
    switch_interval: float | None = None,
    python: str | None = None,
    timeout: float = 60.0,
) -> RaceResult:
    """:func:`racy_counter` in a fresh process (``utils.engine.isolation.call_isolated``): the usual way to run it."""
    from utils.engine.isolation import call_isolated

    check_variant(variant)
    check_count("threads", threads, 1, MAX_THREADS)
    check_count("iterations", iterations, 1, MAX_ITERATIONS)
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    data = call_isolated(
        "utils.lessons.races:racy_counter",
        dict(threads=threads, iterations=iterations, variant=variant, switch_interval=switch_interval,
             timeout=timeout),
        python=python, timeout=timeout + 30,
    )
    return RaceResult.from_dict(data)


#: The queue variant hands every increment through a lock and a condition: it runs with
#: ``iterations // QUEUE_SCALE`` iterations in :func:`measure_rates` to keep runs short.
QUEUE_SCALE = 10


@dataclass(frozen=True)
class RateRow(PlainData):
    """Increments per second of one variant at one thread count: median and spread of repeats."""

    variant: str
    threads: int
    iterations: int
    rates: list[float]
    lost_max: int

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def spread(self) -> float:
        """(fastest - slowest) / median: how much the repeats disagreed (0.1 = 10 %)."""
        return (max(self.rates) - min(self.rates)) / self.rate if len(self.rates) > 1 else 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RateRow:
        return cls(**data)


def measure_rates(
    variants: list[str] | tuple[str, ...] = ("call", "locked", "confined", "queue"),
    threads: list[int] | tuple[int, ...] = (1, 4),
    iterations: int = 200_000,
    repeat: int = 3,
    timeout: float = 60.0,
) -> list[dict[str, Any]]:
    """Run each variant at each thread count ``repeat`` times in this process; rows as dicts.

    Each row: :class:`RateRow` (median increments per second of wall time, spread, and the most
    updates any repeat lost). ``iterations`` is per thread (``// QUEUE_SCALE`` for ``queue``).
    ``timeout`` bounds each single run. From a notebook use :func:`rates_isolated`.
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
            runs = [racy_counter(count, n, variant, timeout=timeout) for _ in range(repeat)]
            rows.append(RateRow(variant, count, n, [r.rate for r in runs], max(r.lost for r in runs)).to_dict())
    return rows


def rates_isolated(
    variants: list[str] | tuple[str, ...] = ("call", "locked", "confined", "queue"),
    threads: list[int] | tuple[int, ...] = (1, 4),
    iterations: int = 200_000,
    repeat: int = 3,
    *,
    python: str | None = None,
    timeout: float = 120.0,
) -> list[RateRow]:
    """:func:`measure_rates` in one fresh process; returns :class:`RateRow` objects."""
    from utils.engine.isolation import call_isolated

    data = call_isolated(
        "utils.lessons.races:measure_rates",
        dict(variants=list(variants), threads=list(threads), iterations=iterations, repeat=repeat),
        python=python, timeout=timeout,
    )
    return [RateRow.from_dict(row) for row in data]


def format_rates(rows: list[RateRow]) -> str:
    """A small text table: variant, threads, increments per second (median, spread), updates lost."""
    lines = [f"{'variant':>9} {'threads':>7} {'increments/s':>14} {'spread':>7} {'lost (max)':>11}"]
    for row in rows:
        lines.append(f"{row.variant:>9} {row.threads:>7} {row.rate:>14,.0f} {row.spread:>7.0%} {row.lost_max:>11,}")
    return "\n".join(lines)


# --- check-then-act ------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckThenActResult(PlainData):
    """How often a check-then-act went wrong: ``trials`` tries, ``expected`` vs ``actual`` outcomes.

    ``method`` is ``"check"`` (the racy check-then-act), ``"locked"`` or ``"setdefault"``.
    """

    what: str
    method: str
    trials: int
    expected: int
    actual: int
    bad_trials: int

    def describe(self) -> str:
        return (f"{self.what} ({self.method}): expected {self.expected:,}, got {self.actual:,}; "
                f"went wrong in {self.bad_trials} of {self.trials} trials")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckThenActResult:
        return cls(**data)


class LazyResource:
    """Lazy initialisation, the racy way: ``get()`` creates the instance the first time it is asked.

    ``create`` stands for an expensive constructor (opening a connection, reading a file); it waits
    ``pause`` seconds (``time.sleep``, which releases the GIL). ``created`` counts constructions,
    under a lock of its own so that the count itself is exact.
    """

    def __init__(self, pause: float, locked: bool) -> None:
        self.instance: object | None = None
        self.created = 0
        self._pause = pause
        self._count_lock = threading.Lock()
        self._init_lock = threading.Lock() if locked else None

    def _create(self) -> object:
        time.sleep(self._pause)
        with self._count_lock:
            self.created += 1
        return object()

    def get(self) -> object:
        if self._init_lock is None:
            if self.instance is None:  # check ...
                self.instance = self._create()  # ... then act
            return self.instance
        with self._init_lock:  # check and act as one step
            if self.instance is None:
                self.instance = self._create()
            return self.instance


def _run_trial(threads: int, target: Callable[[], None], timeout: float, what: str) -> None:
    barrier = threading.Barrier(threads, timeout=timeout)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            target()
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    _start_and_join(pool, threading.Event(), timeout, what)
    if errors:
        raise RuntimeError(f"a {what} thread failed: {errors[0]!r}") from errors[0]


def lazy_init_race(
    threads: int = 4, trials: int = 20, pause: float = 0.001, locked: bool = False, timeout: float = 30.0
) -> CheckThenActResult:
    """``threads`` threads call ``resource.get()`` at once on a fresh :class:`LazyResource`, ``trials`` times.

    Expected: one instance created per trial. ``bad_trials`` counts trials that created more.
    """
    threads = check_count("threads", threads, 2, MAX_THREADS)
    trials = check_count("trials", trials, 1, 1000)
    pause = check_seconds("pause", pause, 0.0, 0.1, allow_low=True)
    if not isinstance(locked, bool):
        raise TypeError(f"locked must be True or False, not {type(locked).__name__}")
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    deadline = time.monotonic() + timeout
    created, bad = 0, 0
    for _ in range(trials):
        resource = LazyResource(pause, locked)
        _run_trial(threads, resource.get, max(0.001, deadline - time.monotonic()), "lazy_init_race")
        created += resource.created
        bad += resource.created > 1
    return CheckThenActResult("instances created", "locked" if locked else "check", trials, trials, created, bad)


def new_bucket(pause: float) -> list:
    """An empty list, made slowly: waits ``pause`` seconds (0 still calls ``time.sleep(0)``)."""
    time.sleep(pause)
    return []


#: How :func:`check_then_insert` creates a missing bucket.
INSERT_METHODS = {
    "check": "if key not in groups: groups[key] = new_bucket()",
    "locked": "with lock: (if key not in groups: groups[key] = new_bucket())",
    "setdefault": "groups.setdefault(key, new_bucket())",
}


def check_then_insert(
    threads: int = 4, keys: int = 200, pause: float = 0.0001, method: str = "check", timeout: float = 30.0
) -> CheckThenActResult:
    """Each thread files one item under every key, creating the key's bucket if it is missing.

    Then ``groups[key].append(item)``. Expected: ``threads`` items under every key. With
    ``method="check"`` (``if key not in groups: groups[key] = new_bucket()``), a thread that finds a
    key missing and is switched out inside ``new_bucket`` (it waits ``pause`` seconds) later
    overwrites the bucket another thread stored and filled meanwhile: items are lost.
    ``"locked"`` makes check and insert one step under a lock; ``"setdefault"`` inserts with one
    dict operation (it makes a bucket every time, and keeps the first one stored).
    ``bad_trials`` counts keys that lost items (one trial per key).
    """
    threads = check_count("threads", threads, 2, MAX_THREADS)
    keys = check_count("keys", keys, 1, 100_000)
    pause = check_seconds("pause", pause, 0.0, 0.1, allow_low=True)
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, not {type(method).__name__}")
    if method not in INSERT_METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(INSERT_METHODS)}")
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    groups: dict[int, list] = {}
    lock = threading.Lock()

    def file_items() -> None:
        me = threading.get_ident()
        for key in range(keys):
            if method == "check":
                if key not in groups:  # check ...
                    groups[key] = new_bucket(pause)  # ... then act
            elif method == "locked":
                with lock:
                    if key not in groups:
                        groups[key] = new_bucket(pause)
            else:
                groups.setdefault(key, new_bucket(pause))
            groups[key].append(me)

    _run_trial(threads, file_items, timeout, "check_then_insert")
    filed = sum(len(bucket) for bucket in groups.values())
    bad = sum(len(bucket) < threads for bucket in groups.values())
    return CheckThenActResult("items filed", method, keys, threads * keys, filed, bad)


# --- the widget ----------------------------------------------------------------------------


class RaceExplorer:
    """ipywidgets panel: variant, threads, iterations, switch interval -> lost updates.

    ``panel.widget`` is what to display; ``panel.run()`` (what the Run button does) runs
    :func:`race_isolated` with the current settings, records the result in ``panel.results``,
    updates the status line and the history table, and returns the :class:`RaceResult`.
    """

    def __init__(self, variant: str = "call", threads: int = 4, iterations: int = 100_000,
                 switch_interval: float = 0.005) -> None:
        import ipywidgets as w

        check_variant(variant)
        check_count("threads", threads, 1, 8)
        check_count("iterations", iterations, 1_000, MAX_WIDGET_ITERATIONS)
        check_seconds("switch_interval", switch_interval, 1e-6, 0.1, allow_low=True)
        self.results: list[RaceResult] = []
        self.variant = w.Dropdown(options=list(VARIANTS), value=variant, description="Variant")
        self.threads = w.IntSlider(value=threads, min=1, max=8, description="Threads")
        self.iterations = w.IntText(value=iterations, description="Iterations")
        self.switch_ms = w.FloatLogSlider(value=switch_interval * 1000, base=10, min=-3, max=2, step=0.5,
                                          description="Switch (ms)")
        self.code = w.HTML(value=self._code_html())
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.status = w.Label(value="Predict how many updates will be lost, then press Run.")
        self.history = w.HTML(value="")
        self.variant.observe(lambda _change: setattr(self.code, "value", self._code_html()), names="value")
        self.run_button.on_click(lambda _button: self.run())
        controls = w.VBox([self.variant, self.threads, self.iterations, self.switch_ms])
        self.widget = w.VBox([w.HBox([controls, self.code]), w.HBox([self.run_button, self.status]), self.history])

    def _code_html(self) -> str:
        return f"<p>Each thread repeats:</p><pre>{VARIANTS[self.variant.value]}</pre>"

    def run(self) -> RaceResult:
        """Run the configured race in a fresh process; update the status and the history."""
        iterations = check_count("iterations", self.iterations.value, 1_000, MAX_WIDGET_ITERATIONS)
        self.run_button.disabled = True
        self.status.value = "Running…"
        try:
            result = race_isolated(self.variant.value, self.threads.value, iterations,
                                   switch_interval=self.switch_ms.value / 1000)
        except Exception as exc:
            self.status.value = f"Failed: {exc}"
            raise
        finally:
            self.run_button.disabled = False
        self.results.append(result)
        self.status.value = (f"{result.variant}: lost {result.lost:,} of {result.expected:,} updates "
                             f"({result.lost_fraction:.1%}) in {result.seconds:.2f} s")
        rows = "".join(
            f"<tr><td>{r.variant}</td><td>{r.threads}</td><td>{r.iterations:,}</td>"
            f"<td>{r.switch_interval * 1000:g}</td><td>{r.lost:,}</td><td>{r.lost_fraction:.1%}</td></tr>"
            for r in reversed(self.results[-10:]))
        self.history.value = ("<table><tr><th>variant</th><th>threads</th><th>iterations</th>"
                              f"<th>switch (ms)</th><th>lost</th><th>lost %</th></tr>{rows}</table>")
        return result
