"""Lesson 03 helpers: where CPython can switch threads.

Three things live here:

- Small functions to disassemble: the loops in :data:`LOOPS`. :func:`add_in_place` and
  :func:`add_through_call` (``counter.value = add_one(counter.value)``), like :class:`Counter` and
  :func:`increment`, are the course's race-counter kit in :mod:`utils.engine.counters`; this lesson
  adds :func:`add_abs` and :func:`add_len` (a C call inside the read-modify-write) and
  :func:`add_with_garbage`. :func:`utils.engine.bytecode.read_modify_write` finds, in a function's
  bytecode, the separate instructions that load, add and store one name.
- :func:`eval_breaker_checkpoints`: *asks* CPython where it checks its "eval breaker", the flag
  that makes the running thread stop for pending work. A timer signal arrives every
  ``interval`` seconds; the C signal handler only sets the flag, and the Python handler runs at
  the next check, where it notes the instruction the loop was at. A GIL drop request is handled
  by the same function at the same checks (``eval_frame_handle_pending`` in ``Python/ceval.c``
  up to 3.11, ``_Py_HandlePending`` in ``Python/ceval_gil.c`` from 3.12), so these are the only
  places where a thread running Python code can be made to give up the GIL. Where the checks
  are depends on the version (``Python/ceval.c`` in 3.10 and 3.11, ``Python/bytecodes.c`` from
  3.12) and on the build: the free-threaded 3.13 build disables the specialising interpreter
  (gh-115999), so ``len()`` stays a generic call that checks. :func:`call_instructions` shows
  which call instruction actually ran.
- :func:`collection_points`: where the garbage collector ran while :func:`add_with_garbage`
  made a garbage cycle in every iteration. From 3.12 an allocation only schedules a collection,
  which runs at the next eval-breaker check (gh-97922, What's New in 3.12); up to 3.11 it ran
  inside the allocation itself.

How the switch interval shapes the threads' turns (hand-overs, sweeps, the explorer panel) is in
:mod:`utils.lessons.switching`.

    steps = read_modify_write(counters.increment, "value")   # utils.engine.bytecode: [Step("load", ...), ...]
    spots = isolated(eval_breaker_checkpoints, "add_in_place")   # in a fresh process
    spots.inside, spots.by_instruction                   # 0, {"add_in_place:JUMP_BACKWARD": 250}
    isolated(collection_points).by_instruction          # {"add_with_garbage:JUMP_BACKWARD": 96} on 3.12+
    spots.python, spots.free_threaded                    # "3.12.1", False: the Python that ran the loop
"""

from __future__ import annotations

import collections
import dis
import gc
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from utils.engine.bytecode import read_modify_write
from utils.engine.counters import Counter, add_in_place, add_one, add_through_call
from utils.engine.environment import MadeOn, where_it_ran
from utils.engine.plaindata import PlainData
from utils.engine.validation import check_count, check_seconds

#: Loop iterations for :func:`eval_breaker_checkpoints`: about 0.05–0.2 s on 3.10–3.15 (longer on 3.13t).
DEFAULT_ITERATIONS = 2_000_000
#: Loop iterations for :func:`collection_points`: dozens to hundreds of collections, in well under a second.
GC_ITERATIONS = 200_000
#: Iterations a loop runs before it is measured, enough for the specialising interpreter (3.11+) to specialise it.
WARMUP = 1_000


def add_abs(counter: Counter, n: int) -> None:
    """``counter.value += abs(1)``, ``n`` times: a call to a C function inside the read-modify-write."""
    for _ in range(n):
        counter.value += abs(1)


def add_len(counter: Counter, n: int) -> None:
    """``counter.value += len("x")``, ``n`` times: another C function, with its own fast path in 3.11+
    (not on the free-threaded 3.13 build, which does not specialise)."""
    for _ in range(n):
        counter.value += len("x")


def add_with_garbage(counter: Counter, n: int) -> None:
    """``counter.value += 1``, ``n`` times, through a new list that refers to itself (a garbage cycle)."""
    for _ in range(n):
        cycle = [counter.value + 1, None]
        cycle[1] = cycle
        counter.value = cycle[0]


LOOPS: dict[str, Callable[[Counter, int], None]] = {
    "add_in_place": add_in_place,
    "add_through_call": add_through_call,
    "add_abs": add_abs,
    "add_len": add_len,
}


@dataclass
class CheckPoints(PlainData, MadeOn):
    """Where pending work (here: a timer signal's handler) ran while a loop executed, and on which Python."""

    loop: str
    iterations: int
    interval: float
    wall: float
    #: "function:INSTRUCTION" -> how many times the handler ran there
    by_instruction: dict[str, int] = field(default_factory=dict)
    #: runs between the load and the store of ``counter.value`` (including inside a called function)
    inside: int = 0
    #: runs anywhere else in the loop
    outside: int = 0
    #: the Python that ran the loop (``platform.python_version()``) and whether it is a free-threaded build
    python: str = ""
    free_threaded: bool = False

    @property
    def total(self) -> int:
        return self.inside + self.outside

    def instructions(self, function: str | None = None) -> set[str]:
        """The instruction names where the handler ran (in ``function`` only, if given)."""
        names = set()
        for key in self.by_instruction:
            where, _, opname = key.partition(":")
            if function is None or where == function:
                names.add(opname)
        return names


def _opnames(code: Any) -> dict[int, str]:
    return {instruction.offset: instruction.opname for instruction in dis.get_instructions(code)}


def eval_breaker_checkpoints(
    loop: str = "add_in_place", iterations: int = DEFAULT_ITERATIONS, interval: float = 0.0005
) -> CheckPoints:
    """Run ``loop`` while a timer signal fires every ``interval`` seconds; note where each handler ran.

    The C-level handler of a signal only sets a flag in the eval breaker; CPython runs the
    Python handler the next time the running thread checks the eval breaker, and the handler
    receives the frame that was interrupted. Its ``f_lasti`` is the instruction at which the
    check happened. The loop first runs :data:`WARMUP` iterations without the timer, so that
    the specialising interpreter (3.11+) has replaced its generic instructions: the handlers see
    the loop as it runs from then on. Must run in the main thread (only it runs signal handlers)
    on a system with ``signal.setitimer`` (Linux, macOS); from a notebook, run it
    with :func:`utils.engine.isolation.isolated`.

    Where the checks are, by version: 3.10 (``Python/ceval.c``) the start of a function,
    ``JUMP_ABSOLUTE``, a taken ``POP_JUMP_IF_*``, after ``CALL_FUNCTION*``/``CALL_METHOD``; 3.11
    (``Python/ceval.c``) ``RESUME`` with oparg < 2, ``JUMP_BACKWARD``, ``POP_JUMP_BACKWARD_IF_*``,
    ``PRECALL``/``CALL`` after calls into C; 3.12+ (``Python/bytecodes.c``) ``RESUME`` (not after
    ``yield from``/``await``), ``JUMP_BACKWARD``, calls into C (``_CHECK_PERIODIC`` from 3.13). The
    specialised calls of ``len``, ``isinstance``, ``list.append`` and ``type(x)`` do not check
    (3.11+; not specialised on free-threaded 3.13, gh-115999).
    """
    if loop not in LOOPS:
        raise ValueError(f"unknown loop {loop!r}; choose one of {', '.join(LOOPS)}")
    return checkpoints_of(LOOPS[loop], iterations, interval)


def checkpoints_of(
    func: Callable[[Counter, int], None], iterations: int = DEFAULT_ITERATIONS, interval: float = 0.0005
) -> CheckPoints:
    """:func:`eval_breaker_checkpoints` for any Python function ``func(counter, n)``, e.g. one of your own.

    ``inside`` counts the handlers that ran between the load and the store of ``counter.value``
    (see :func:`read_modify_write`) or in :func:`add_one`; a function without that
    read-modify-write has every handler ``outside``. Runs in this process, in its main thread.
    """
    if not callable(func) or not hasattr(func, "__code__"):
        raise TypeError(f"func must be a Python function func(counter, n), not {type(func).__name__}")
    check_count("iterations", iterations, 1, 10**9)
    interval = check_seconds("interval", interval, 1e-5, 1.0, allow_low=True)
    if not hasattr(signal, "setitimer"):
        raise RuntimeError("signal.setitimer is not available on this platform (Windows); use Linux or macOS")
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("eval_breaker_checkpoints must run in the main thread (only it runs signal handlers)")

    code, callee = func.__code__, add_one.__code__
    ops = {code: _opnames(code), callee: _opnames(callee)}
    steps = read_modify_write(func, "value")
    first, last = (steps[0].offset, steps[-1].offset) if steps else (0, -1)
    landed: collections.Counter[tuple[Any, int]] = collections.Counter()

    def handler(signum: int, frame: Any) -> None:
        landed[(frame.f_code, frame.f_lasti)] += 1

    func(Counter(), WARMUP)
    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, interval, interval)
        start = time.perf_counter()
        func(Counter(), iterations)
        wall = time.perf_counter() - start
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, previous)

    result = CheckPoints.made_on(
        where_it_ran(), loop=func.__name__, iterations=iterations, interval=interval, wall=wall
    )
    for (where, offset), count in landed.items():
        if where in ops:  # else e.g. a signal handled while the handler itself ran
            _tally(result, where, ops[where], offset, count, inside=where is callee or first <= offset <= last)
    return result


def _tally(result: CheckPoints, where: Any, ops: dict[int, str], offset: int, count: int, *, inside: bool) -> None:
    # 3.10 reports offset -1 at the very start of a function, before its first instruction.
    opname = ops.get(offset, "(function start)" if offset < 0 else f"offset {offset}")
    key = f"{where.co_name}:{opname}"
    result.by_instruction[key] = result.by_instruction.get(key, 0) + count
    if inside:
        result.inside += count
    else:
        result.outside += count


def call_instructions(loop: str = "add_len", warmup: int = 10_000) -> list[str]:
    """The call instructions between the load and the store of ``counter.value`` in ``loop``, as they run.

    Runs ``loop`` for ``warmup`` iterations in this process first. From 3.11 the specialising
    interpreter then has replaced a generic call with a specialised instruction, which
    ``dis.get_instructions(func, adaptive=True)`` shows: for ``len()`` ``PRECALL_NO_KW_LEN`` on 3.11,
    ``CALL_NO_KW_LEN`` on 3.12, ``CALL_LEN`` from 3.13; these return without checking the eval breaker
    (``Python/ceval.c`` 3.11, ``Python/bytecodes.c`` 3.12+). The free-threaded 3.13 build does not
    specialise (gh-115999) and keeps the generic ``CALL``, which checks. 3.10 has no adaptive
    bytecode: its own instructions (``CALL_FUNCTION``).
    """
    if loop not in LOOPS:
        raise ValueError(f"unknown loop {loop!r}; choose one of {', '.join(LOOPS)}")
    check_count("warmup", warmup, 1, 10**7)
    func = LOOPS[loop]
    func(Counter(), warmup)
    steps = read_modify_write(func, "value")
    first, last = steps[0].offset, steps[-1].offset
    if sys.version_info >= (3, 11):
        instructions = dis.get_instructions(func, adaptive=True)
    else:
        instructions = dis.get_instructions(func)
    return [i.opname for i in instructions if first < i.offset < last and "CALL" in i.opname]


def collection_points(iterations: int = GC_ITERATIONS) -> CheckPoints:
    """Run :func:`add_with_garbage`; note at which of its instructions the garbage collector started.

    Every iteration leaves a garbage cycle behind, so the youngest generation fills up and
    automatic collections start. A ``gc.callbacks`` callback sees each start, and the frame below
    it is the loop, stopped where the collection began. Up to 3.11 a collection runs inside the
    allocation that crossed the threshold (``BUILD_LIST``, between the load and the store of
    ``counter.value``: ``inside``). From 3.12 the allocation only schedules it, and it runs at the
    next eval-breaker check, the loop's ``JUMP_BACKWARD`` (gh-97922, What's New in 3.12;
    ``_Py_HandlePending`` in ``Python/ceval_gil.c``). ``interval`` is 0: there is no timer.
    Needs the collector enabled; ``isolated(collection_points)`` runs it in a fresh process. In a
    process holding many objects it may see no collection: the free-threaded build (3.13t+) also waits
    until the number of objects has grown by a quarter since the last collection (``gc_should_collect``
    in ``Python/gc_free_threading.c``), so prefer the fresh process.
    """
    check_count("iterations", iterations, 1, 10**8)
    if not gc.isenabled():
        raise RuntimeError(
            "the garbage collector is disabled (gc.disable()): call gc.enable() first, "
            "or use isolated(collection_points)"
        )
    code = add_with_garbage.__code__
    ops = _opnames(code)
    steps = read_modify_write(add_with_garbage, "value")
    first, last = steps[0].offset, steps[-1].offset
    landed: collections.Counter[int] = collections.Counter()

    def callback(phase: str, info: dict[str, Any]) -> None:
        frame = sys._getframe().f_back  # the Python frame that was running when the collection started
        if phase == "start" and frame is not None and frame.f_code is code:
            landed[frame.f_lasti] += 1

    gc.collect()  # start with an empty youngest generation
    gc.callbacks.append(callback)
    try:
        start = time.perf_counter()
        add_with_garbage(Counter(), iterations)
        wall = time.perf_counter() - start
    finally:
        gc.callbacks.remove(callback)
    gc.collect()  # free the cycles the loop left
    result = CheckPoints.made_on(
        where_it_ran(), loop="add_with_garbage", iterations=iterations, interval=0.0, wall=wall
    )
    for offset, count in landed.items():
        _tally(result, code, ops, offset, count, inside=first <= offset <= last)
    return result
