"""Reference counting, made visible: a step-by-step model and a real-thread race (lesson 02).

CPython frees an object when its reference count drops to zero. With the GIL build, the count is a
plain integer field, ``ob_refcnt`` (``Include/object.h``; ``Include/refcount.h`` from 3.14), and
``Py_INCREF`` / ``Py_DECREF`` change it with ordinary, non-atomic machine instructions: read the
field, add or subtract one, write it back. That is only safe because the GIL lets one thread at a
time run Python code.

This module contains:

- :func:`simulate`: a **simulation** (no real threads) of threads doing ``incref`` / ``decref``
  as explicit read / modify / write steps, interleaved by a schedule you write. A bad schedule
  loses an update, and the object is then freed while still referenced (use after free) or never
  freed (leak). With ``owner=...`` it models biased reference counting instead (PEP 703): the
  owning thread updates its own field non-atomically, the other threads use one atomic step on a
  shared field, and no schedule can lose an update. As in CPython, the shared field counts in units of
  4 (``1 << REF_SHARED_SHIFT``): its two low bits are flags, and the count is
  ``ob_ref_local + (ob_ref_shared >> 2)`` (:func:`true_count`).
- :func:`racy_increments`: real Python threads updating a *Python-level* counter
  (:class:`utils.engine.counters.Counter`) with a deliberately non-atomic read / ``time.sleep`` /
  write, which loses updates on every run; run it with ``isolated(racy_increments)``.
- :class:`TrackedList`: a list that can be weakly referenced, to watch a reference cycle die.
- :func:`count_inside_call` and :func:`paused_call`: what a function call adds to a count;
  :func:`growth_while_held`: how much a count grows while more references are held (0 if immortal).
- :func:`immortal_refcount`, :data:`DEFERRED_REFCNT`: the counts ``sys.getrefcount`` reports for
  immortal objects (by version) and for objects with deferred reference counting (3.14t+).

Importing this module starts nothing and changes no global state.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from utils.engine.counters import Counter, count_in_threads
from utils.engine.plaindata import PlainData
from utils.engine.validation import check_count, check_seconds, check_version

__all__ = [
    "DEFERRED_REFCNT",
    "OPERATIONS",
    "REF_SHARED_SHIFT",
    "RaceResult",
    "Simulation",
    "Step",
    "TrackedList",
    "count_inside_call",
    "growth_while_held",
    "immortal_refcount",
    "paused_call",
    "racy_increments",
    "read_sleep_write",
    "read_sleep_write_locked",
    "round_robin_schedule",
    "serial_schedule",
    "simulate",
    "true_count",
]

#: The two operations a simulated thread can perform on the object's reference count.
OPERATIONS = ("incref", "decref")

#: Steps a non-atomic operation takes: read the field, compute the new value, write it back.
NON_ATOMIC_STEPS = 3

#: Free-threaded builds keep two flag bits at the bottom of ``ob_ref_shared`` and the shared count
#: above them: ``_Py_REF_SHARED_SHIFT`` is 2 (``Include/object.h`` in 3.13, ``Include/refcount.h``
#: from 3.14), so one reference from another thread adds ``1 << 2 == 4`` to the field.
REF_SHARED_SHIFT = 2

#: What 3.14t and later add to ``ob_ref_shared`` (before the shift) for an object with deferred
#: reference counting: ``_Py_REF_DEFERRED``, ``PY_SSIZE_T_MAX / 8`` (``Include/internal/pycore_object.h``),
#: about 2**60 on a 64-bit build. ``sys.getrefcount`` of such an object is this plus its counted references.
DEFERRED_REFCNT = sys.maxsize // 8


def true_count(ob_ref_local: int, ob_ref_shared: int) -> int:
    """The reference count a free-threaded build reports: ``ob_ref_local + (ob_ref_shared >> 2)``.

    That is ``Py_REFCNT`` (``Include/object.h`` 3.13, ``Include/refcount.h`` 3.14+) for an object
    that is not immortal; the shift drops the two flag bits of ``ob_ref_shared``. ``ob_ref_shared``
    may be negative (other threads dropped more references than they took); the shift is arithmetic.
    """
    for name, value in (("ob_ref_local", ob_ref_local), ("ob_ref_shared", ob_ref_shared)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 <= ob_ref_local < 2**32:
        raise ValueError(f"ob_ref_local is a 32-bit unsigned field, got {ob_ref_local}")
    return ob_ref_local + (ob_ref_shared >> REF_SHARED_SHIFT)


def immortal_refcount(version: Sequence[int] | None = None) -> int | None:
    """What ``sys.getrefcount`` reports for an immortal object (``None``) on a 64-bit CPython.

    ``version`` starts with (major, minor), default the running Python. None before 3.12 (no
    immortal objects); ``2**32 - 1`` on 3.12 and 3.13 (``_Py_IMMORTAL_REFCNT``, ``Include/object.h``;
    3.13t reports it too); ``3 << 30`` from 3.14 (``_Py_IMMORTAL_INITIAL_REFCNT``,
    ``Include/refcount.h``, which ``Py_REFCNT`` also returns on a free-threaded build when
    ``ob_ref_local`` is ``UINT32_MAX``). Measured: 3.12.1, 3.13.0, 3.13.5t, 3.14.10, 3.15.2.
    """
    major_minor = check_version(version)
    if major_minor < (3, 12):
        return None
    return 2**32 - 1 if major_minor < (3, 14) else 3 << 30


class TrackedList(list):
    """A plain ``list`` that also accepts weak references (a built-in ``list`` does not).

    Used to watch a reference cycle: ``cycle = TrackedList(); cycle.append(cycle)``.
    """


def count_inside_call(obj: object) -> int:
    """``sys.getrefcount(obj)`` as seen inside a function that received ``obj`` as its parameter.

    How many references the call itself adds depends on the interpreter: 2 on 3.10, 1 on 3.11–3.13
    (measured), and possibly 0 on 3.14, whose compiler loads some locals as *borrowed* references
    (``LOAD_FAST_BORROW``, python/cpython gh-130704).
    """
    return sys.getrefcount(obj)


def growth_while_held(obj: object, n: int = 1000) -> int:
    """How much ``sys.getrefcount(obj)`` grows while ``n`` more references to ``obj`` are held (in a list).

    ``n`` for an ordinary object on every build; 0 for an immortal one (PEP 683, 3.12+), whose count
    never moves. Assignment 02's check measures with it, on the Python that runs the check.
    """
    check_count("n", n, 1, 10**7)
    before = sys.getrefcount(obj)
    held = [obj] * n
    grown = sys.getrefcount(obj) - before
    del held
    return grown


def paused_call(obj: object) -> Iterator[None]:
    """A generator function: the paused call keeps its parameter ``obj`` referenced until closed.

    ``g = paused_call(x)`` adds one reference to ``x`` (the parameter of the paused frame);
    ``g.close(); del g`` removes it.
    """
    yield


def _count(fields: Mapping[str, int]) -> int:
    if "ob_ref_shared" in fields:  # the model lets ob_ref_local go below 0, so no field checks here
        return fields["ob_ref_local"] + (fields["ob_ref_shared"] >> REF_SHARED_SHIFT)
    return fields["ob_refcnt"]


def _references(n: int) -> str:
    return f"{n} reference" + ("" if n == 1 else "s")


@dataclass(frozen=True)
class Step:
    """One step of a simulated thread, and the state of the reference count right after it."""

    number: int
    thread: str
    operation: str
    description: str
    fields: tuple[tuple[str, int], ...]
    note: str = ""

    @property
    def count(self) -> int:
        """The reference count after this step, as ``sys.getrefcount`` would report it."""
        return _count(dict(self.fields))


@dataclass(frozen=True)
class Simulation:
    """The outcome of :func:`simulate`: every step, and what the final count means."""

    start: int
    steps: tuple[Step, ...]
    expected: int
    final: int
    frees: tuple[tuple[int, int], ...]
    biased: bool

    @property
    def lost_updates(self) -> int:
        """How far the final count is from the number of real references."""
        return abs(self.expected - self.final)

    @property
    def freed_at(self) -> int | None:
        """Step number at which the count first reached zero (the object was freed), or None."""
        return self.frees[0][0] if self.frees else None

    @property
    def use_after_free(self) -> bool:
        """True if the object was freed while some thread or variable still referred to it."""
        return any(references > 0 for _, references in self.frees) or len(self.frees) > 1

    @property
    def leaked(self) -> bool:
        """True if the count ended higher than the real references: it can never reach zero."""
        return self.final > self.expected

    @property
    def correct(self) -> bool:
        return self.final == self.expected and not self.use_after_free

    def verdict(self) -> str:
        """One sentence: is the count right, and if not, what goes wrong."""
        if self.use_after_free:
            step, references = self.frees[0]
            if references > 0:
                return (
                    f"WRONG: the count reached 0 at step {step} and the object was freed "
                    f"with {_references(references)} to it left (use after free)"
                )
            return f"WRONG: the count reached 0 {len(self.frees)} times: the object was freed twice"
        if self.final < self.expected:
            return (
                f"WRONG: count {self.final}, but there are {self.expected} real references: "
                "the object will be freed while still in use"
            )
        if self.final > self.expected:
            return (
                f"WRONG: count {self.final}, but there are {self.expected} real references: "
                "the count can never reach 0, so the object leaks"
            )
        if self.frees:
            return f"correct: the last reference was dropped at step {self.frees[0][0]} and the object freed"
        return f"correct: the count ({self.final}) equals the number of real references"

    def trace(self) -> str:
        """The steps as a fixed-width table, one line per step, then the verdict.

        The biased model adds a ``count`` column: ``ob_ref_local + (ob_ref_shared >> 2)``.
        """
        names = [name for name, _ in self.steps[0].fields] if self.steps else ["ob_refcnt"]
        if self.biased:
            names.append("count")
        header = f"{'step':>4}  {'thread':<6}  {'operation':<9}  {'what it does':<26}  " + "  ".join(
            f"{name:>13}" for name in names
        )
        lines = [header, "-" * len(header)]
        for step in self.steps:
            shown = [value for _, value in step.fields] + ([step.count] if self.biased else [])
            values = "  ".join(f"{value:>13}" for value in shown)
            line = f"{step.number:>4}  {step.thread:<6}  {step.operation:<9}  {step.description:<26}  {values}"
            lines.append(line + (f"  <- {step.note}" if step.note else ""))
        lines.append(self.verdict())
        return "\n".join(lines)


def _check_threads(threads: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    if not isinstance(threads, Mapping):
        raise TypeError(f"threads must map thread names to lists of operations, got {type(threads).__name__}")
    if not threads:
        raise ValueError("threads is empty: give at least one thread, e.g. {'A': ['incref']}")
    checked: dict[str, tuple[str, ...]] = {}
    for name, operations in threads.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"thread names must be non-empty strings, got {name!r}")
        if isinstance(operations, str) or not isinstance(operations, Sequence):
            raise TypeError(f"thread {name!r}: operations must be a list such as ['incref'], got {operations!r}")
        for operation in operations:
            if operation not in OPERATIONS:
                raise ValueError(f"thread {name!r}: unknown operation {operation!r}; use one of {OPERATIONS}")
        checked[name] = tuple(operations)
    return checked


def _steps_needed(operations: tuple[str, ...], atomic: bool) -> int:
    return len(operations) * (1 if atomic else NON_ATOMIC_STEPS)


def serial_schedule(threads: Mapping[str, Sequence[str]], *, owner: str | None = None) -> list[str]:
    """A schedule that runs each thread to completion before the next one starts (no interleaving)."""
    checked = _check_threads(threads)
    schedule: list[str] = []
    for name, operations in checked.items():
        atomic = owner is not None and name != owner
        schedule.extend([name] * _steps_needed(operations, atomic))
    return schedule


def round_robin_schedule(threads: Mapping[str, Sequence[str]], *, owner: str | None = None) -> list[str]:
    """A schedule that takes one step from each thread in turn, as long as each has steps left."""
    checked = _check_threads(threads)
    remaining = {name: _steps_needed(ops, owner is not None and name != owner) for name, ops in checked.items()}
    schedule: list[str] = []
    while any(remaining.values()):
        for name in checked:
            if remaining[name]:
                schedule.append(name)
                remaining[name] -= 1
    return schedule


def simulate(
    threads: Mapping[str, Sequence[str]],
    schedule: str | Sequence[str],
    *,
    start: int = 1,
    owner: str | None = None,
) -> Simulation:
    """Run simulated threads' reference-count operations in the order the schedule gives.

    This is a model, not CPython: no real threads run. It shows what the hardware would do if two
    threads ran ``Py_INCREF`` / ``Py_DECREF`` on the same object at the same time without the GIL.

    Args:
        threads: each thread's operations in order, e.g. ``{"A": ["incref", "decref"], "B": ["incref"]}``.
            An ``incref`` means the thread has taken a new reference to the object; a ``decref`` means
            it has dropped one.
        schedule: which thread runs its next step, one entry per step, e.g. ``"ABABAB"`` (a string works
            when thread names are single characters) or ``["A", "B", ...]``. Every step of every
            thread must appear exactly once.
        start: references the object has before the threads start (for example, one global variable).
        owner: None models the GIL build's single field ``ob_refcnt``, where every operation is three
            steps: read, compute, write. A thread name models biased reference counting (PEP 703):
            that thread's operations are three non-atomic steps on ``ob_ref_local``, which only it
            writes; every other thread's operation is one atomic step on ``ob_ref_shared``, which
            adds or subtracts 4 (``1 << REF_SHARED_SHIFT``: the field's two low bits are flags).
            The count is then ``ob_ref_local + (ob_ref_shared >> 2)``. (Simplification: the object
            is freed when that count reaches 0; CPython's owner thread merges the fields first.)

    Returns:
        A :class:`Simulation`; ``.trace()`` prints the steps and the verdict.

    Raises:
        TypeError: threads, schedule or start has the wrong type.
        ValueError: unknown operation or thread, a thread missing steps in the schedule or having
            too many, ``start < 1``, more decrefs than references, or an ``owner`` not among the threads.
    """
    checked = _check_threads(threads)
    if isinstance(start, bool) or not isinstance(start, int):
        raise TypeError(f"start must be an int, got {type(start).__name__}")
    if start < 1:
        raise ValueError(f"start must be at least 1 (an object nobody references is already freed), got {start}")
    if owner is not None and owner not in checked:
        raise ValueError(f"owner {owner!r} is not one of the threads {sorted(checked)}")
    if isinstance(schedule, str):
        if any(len(name) != 1 for name in checked):
            raise ValueError("a schedule string needs single-character thread names; pass a list of names instead")
        order = list(schedule)
    elif isinstance(schedule, Sequence):
        order = list(schedule)
    else:
        raise TypeError(f"schedule must be a string or a list of thread names, got {type(schedule).__name__}")

    increfs = sum(ops.count("incref") for ops in checked.values())
    decrefs = sum(ops.count("decref") for ops in checked.values())
    expected = start + increfs - decrefs
    if expected < 0:
        raise ValueError(
            f"{decrefs} decrefs but only {start + increfs} references exist: a thread drops one it never had"
        )

    for name in order:
        if name not in checked:
            raise ValueError(f"schedule names thread {name!r}, which is not one of {sorted(checked)}")
    for name, operations in checked.items():
        atomic = owner is not None and name != owner
        needed, given = _steps_needed(operations, atomic), order.count(name)
        if needed != given:
            kind = "1 atomic step" if atomic else f"{NON_ATOMIC_STEPS} steps (read, compute, write)"
            raise ValueError(
                f"thread {name!r} has {len(operations)} operation(s) of {kind} each, so it needs {needed} "
                f"entries in the schedule, but the schedule has {given}"
            )

    biased = owner is not None
    fields = {"ob_ref_local": start, "ob_ref_shared": 0} if biased else {"ob_refcnt": start}
    local_field = "ob_ref_local" if biased else "ob_refcnt"
    progress = {name: 0 for name in checked}  # steps done by each thread
    register = {name: 0 for name in checked}  # each thread's private copy of the count
    references = start  # real references: start, plus increfs begun, minus decrefs begun
    frees: list[tuple[int, int]] = []
    steps: list[Step] = []

    for number, name in enumerate(order, start=1):
        atomic = biased and name != owner
        per_op = 1 if atomic else NON_ATOMIC_STEPS
        operation = checked[name][progress[name] // per_op]
        phase = progress[name] % per_op
        delta = 1 if operation == "incref" else -1
        if phase == 0:
            references += delta
        was_freed = bool(frees)
        wrote = False
        if atomic:
            fields["ob_ref_shared"] += delta << REF_SHARED_SHIFT
            description = f"atomic ob_ref_shared {'+' if delta > 0 else '-'}= {1 << REF_SHARED_SHIFT}"
            wrote = True
        elif phase == 0:
            register[name] = fields[local_field]
            description = f"read {local_field} ({register[name]})"
        elif phase == 1:
            description = f"compute {register[name]} {'+' if delta > 0 else '-'} 1 = {register[name] + delta}"
            register[name] += delta
        else:
            fields[local_field] = register[name]
            description = f"write {local_field} = {register[name]}"
            wrote = True
        progress[name] += 1

        note = ""
        if wrote and _count(fields) == 0:
            frees.append((number, references))
            note = "count is 0: object freed" + (f" with {_references(references)} left!" if references else "")
            if was_freed:
                note = "count is 0 again: object freed twice!"
        elif was_freed:
            note = "touches freed memory!"
        steps.append(Step(number, name, operation, description, tuple(fields.items()), note))

    return Simulation(
        start=start,
        steps=tuple(steps),
        expected=expected,
        final=_count(fields),
        frees=tuple(frees),
        biased=biased,
    )


@dataclass(frozen=True)
class RaceResult(PlainData):
    """What :func:`racy_increments` counted, against what it should have counted."""

    workers: int
    increments: int
    expected: int
    counted: int
    used_lock: bool

    @property
    def lost(self) -> int:
        """Increments that were overwritten by another thread's stale write."""
        return self.expected - self.counted

    def describe(self) -> str:
        how = "read, sleep, write under a lock" if self.used_lock else "read, sleep, write"
        return (
            f"{self.workers} threads x {self.increments} increments ({how}): "
            f"expected {self.expected}, counted {self.counted}, lost {self.lost}"
        )


def read_sleep_write(pause: float, counter: Counter, n: int) -> None:
    """``n`` increments of ``counter.value`` as a read, a ``time.sleep(pause)`` and a write of the stale value."""
    for _ in range(n):
        value = counter.value  # read
        time.sleep(pause)  # give up the GIL between the read and the write, as a preemption would
        counter.value = value + 1  # write back a possibly stale value


def read_sleep_write_locked(pause: float, counter: Counter, n: int) -> None:
    """The same increments, each read, sleep and write inside ``counter.lock``."""
    for _ in range(n):
        with counter.lock:
            value = counter.value
            time.sleep(pause)
            counter.value = value + 1


def racy_increments(
    workers: int = 2,
    increments: int = 300,
    *,
    pause: float = 1e-5,
    use_lock: bool = False,
    timeout: float = 30.0,
) -> RaceResult:
    """Real threads increment one Python-level counter with a non-atomic read / sleep / write.

    Each increment reads ``counter.value``, sleeps ``pause`` seconds, then writes the value it read
    plus one (:func:`read_sleep_write`). ``time.sleep`` releases the GIL, so another thread runs
    between a thread's read and its write, and the later write overwrites the earlier one: a lost
    update, the same pattern as two unsynchronised ``Py_INCREF`` calls. With ``use_lock=True`` the
    read and write happen under a ``threading.Lock`` and nothing is lost. The threads start together
    behind a barrier (:func:`utils.engine.counters.count_in_threads`). From a notebook run it in a
    fresh process: ``isolated(racy_increments, workers=2)``.

    The default pause is a real (tiny) sleep rather than ``sleep(0)``: on 3.10, ``sleep(0)`` returns
    at once and the sleeping thread can take the GIL straight back before the other thread wakes,
    so some runs lost nothing; a real sleep hands the GIL over every time.

    Raises:
        TypeError / ValueError: workers < 2, increments < 1, pause < 0, or timeout <= 0.
        TimeoutError: the threads did not finish within ``timeout`` seconds.
        RuntimeError: a worker thread raised.
    """
    workers = check_count("workers", workers, 2, 64)
    increments = check_count("increments", increments, 1, 10**6)
    pause = check_seconds("pause", pause, 0.0, 1.0, allow_low=True)
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    loop = read_sleep_write_locked if use_lock else read_sleep_write
    tally = count_in_threads(
        functools.partial(loop, pause), workers, increments, chunk=1, timeout=timeout, name="racy_increments"
    )
    return RaceResult(workers, increments, tally.expected, tally.actual, use_lock)
