"""Executors: one interface to run ``tasks`` tasks of a workload on ``workers`` workers.

    result = run("countdown", executor="threads", workers=2)
    result.wall, result.cpu, result.parallelism

Executors (``EXECUTORS``):

- ``sequential``: the tasks one after another in this thread (the baseline for speedup);
- ``threads``: a ``ThreadPoolExecutor``;
- ``processes``: a ``ProcessPoolExecutor`` with an explicit start method (fork, spawn,
  forkserver; default: this platform's default, which is forkserver on Linux from 3.14);
- ``asyncio``: one event loop in one thread; I/O workloads use their ``async`` form, others
  run as plain calls inside coroutines (which shows that asyncio does not parallelise CPU work);
- ``interpreters``: an ``InterpreterPoolExecutor``, one subinterpreter with its own GIL per
  worker (PEP 684, PEP 734): in the standard library from 3.14
  (``concurrent.futures.InterpreterPoolExecutor``), from the ``interpreters-pep-734`` backport
  on 3.13. The backport also installs on 3.12 but does not import there: it needs CPython's
  low-level module ``_interpreters``, which exists from 3.13 (3.12 has ``_xxsubinterpreters``).
  Elsewhere :func:`run` returns a result with ``available=False`` and the reason.

Every executor is started and warmed up before the clock starts: each pool worker, the
sequential executor's thread and the asyncio executor's event loop have run the workload at
size 1 :data:`WARMUP_CALLS` times (the asyncio executor awaits the same coroutine it times, so
its ``async`` form is what warms up). CPython 3.11 specialises a function's bytecode only after
it has been called 8 times (``Include/internal/pycore_code.h``): an unwarmed executor would
run slower code than the others. The time to get ready (create the pool or the event loop, and
warm up) is reported separately as ``startup``. The CPU time of a repeat is the sum
of its tasks' own CPU times (``time.thread_time`` in whichever thread, process or interpreter
ran the task), except for asyncio, where all tasks share one thread and the process CPU time
(``time.process_time``) of the repeat is used. **Effective parallelism** = CPU time / wall time:
about 1 when one CPU at a time does the work, up to the number of CPUs when they all do.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import importlib.util
import math
import multiprocessing
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from utils.engine import environment
from utils.engine.timing import RepeatedRuns
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import check_size, get_workload, run_task

EXECUTORS = ("sequential", "threads", "processes", "asyncio", "interpreters")
START_METHODS = ("fork", "spawn", "forkserver")
MAX_WORKERS = 64
MAX_REPEAT = 100
#: Calls of each workload before timing: more than the 8 after which CPython 3.11+ specialises bytecode.
WARMUP_CALLS = 10
#: Seconds the experiments' echo server waits before each reply (see utils.engine.echo).
ECHO_DELAY = 0.001


@dataclass
class RunResult(RepeatedRuns, environment.MadeOn):
    """One experiment: a workload run on an executor, repeated; plain, JSON-serialisable data."""

    workload: str
    executor: str
    workers: int
    tasks: int
    size: int
    repeat: int
    start_method: str | None = None
    switch_interval: float | None = None
    wall_times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)
    startup: float = 0.0
    python: str = ""
    free_threaded: bool = False
    gil_enabled: bool = True
    #: CPUs the measuring process could use (``environment.usable_cpus``), not the machine's count.
    cpu_count: int = 1
    available: bool = True
    reason: str = ""
    task_spans: list[list[float]] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.executor == "processes" and self.start_method:
            return f"processes ({self.start_method})"
        return self.executor

    def speedup_over(self, baseline: RunResult) -> float:
        """How many times faster than ``baseline`` (median wall times)."""
        if not isinstance(baseline, RunResult):
            raise TypeError(f"baseline must be a RunResult, not {type(baseline).__name__}")
        return baseline.wall / self.wall if self.available and baseline.available else math.nan

    def summary(self) -> str:
        """One line for a learner."""
        if not self.available:
            return f"{self.label:<22} not available: {self.reason}"
        return (
            f"{self.label:<22} wall {self.wall:7.3f} s (±{self.spread * 50:.0f}%)  "
            f"CPU {self.cpu:7.3f} s  effective parallelism {self.parallelism:4.2f}"
        )


def check_results(results: Sequence[RunResult]) -> list[RunResult]:
    """A non-empty list or tuple of :class:`RunResult`, or a clear TypeError/ValueError."""
    if isinstance(results, RunResult) or not isinstance(results, (list, tuple)):
        raise TypeError("results must be a list of RunResult")
    if not results:
        raise ValueError("results is empty: nothing to show")
    for item in results:
        if not isinstance(item, RunResult):
            raise TypeError(f"results must hold RunResult objects, not {type(item).__name__}")
    return list(results)


def interpreter_pool_class() -> type | None:
    """``InterpreterPoolExecutor`` from the standard library (3.14+) or the 3.13 backport, else None."""
    pool, _ = _interpreter_pool()
    return pool


def _interpreter_pool() -> tuple[type | None, str]:
    """(the pool class or None, why the installed backport did not import: "" if it did or is absent)."""
    pool = getattr(cf, "InterpreterPoolExecutor", None)
    if pool is not None:
        return pool, ""
    if importlib.util.find_spec("interpreters_backport") is None:
        return None, ""
    try:
        from interpreters_backport.concurrent.futures import InterpreterPoolExecutor  # type: ignore
    except ImportError as exc:  # on 3.12: no _interpreters module (3.13+) for it to build on
        return None, str(exc) or type(exc).__name__
    return InterpreterPoolExecutor, ""


def availability() -> dict[str, str]:
    """For each executor, "" if this Python can run it, else why not."""
    reasons = {name: "" for name in EXECUTORS}
    pool, backport_error = _interpreter_pool()
    if pool is None:
        reasons["interpreters"] = (
            f"not available on Python {sys.version_info.major}.{sys.version_info.minor}: "
            "InterpreterPoolExecutor needs 3.14, or 3.13 with the interpreters-pep-734 backport"
        )
        if backport_error:
            reasons["interpreters"] += (
                f" (the backport is installed here but does not import: {backport_error}; it needs "
                "CPython's _interpreters module, which exists from 3.13)"
            )
    return reasons


def available_executors() -> list[str]:
    """The executors this Python can run."""
    return [name for name, reason in availability().items() if not reason]


def check_executor(executor: str, start_method: str | None = None) -> None:
    """Reject unknown executors and start methods with a clear message."""
    if not isinstance(executor, str):
        raise TypeError(f"executor must be a name (str), not {type(executor).__name__}")
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if start_method is not None:
        if executor != "processes":
            raise ValueError(f"start_method only applies to the processes executor, not {executor!r}")
        if start_method not in START_METHODS:
            raise ValueError(f"unknown start method {start_method!r}; choose one of {', '.join(START_METHODS)}")
        if start_method not in multiprocessing.get_all_start_methods():
            raise ValueError(f"start method {start_method!r} is not available on this platform")


def check_workers(workers: int, what: str = "workers", limit: int = MAX_WORKERS) -> int:
    return check_count(what, workers, 1, limit)


def run(
    workload: str,
    executor: str = "threads",
    workers: int = 2,
    *,
    tasks: int | None = None,
    size: int | None = None,
    repeat: int = 3,
    start_method: str | None = None,
    switch_interval: float | None = None,
    timeout: float = 60.0,
) -> RunResult:
    """Run ``tasks`` tasks (default: one per worker) of ``workload`` on ``executor``, ``repeat`` times.

    Raises ``ValueError``/``TypeError`` for bad arguments and ``TimeoutError`` if a repeat
    takes longer than ``timeout`` seconds. An executor this Python lacks gives a result with
    ``available=False`` instead of an error.
    """
    spec = get_workload(workload)
    check_executor(executor, start_method)
    check_workers(workers)
    tasks = workers if tasks is None else check_workers(tasks, "tasks", limit=10_000)
    size = spec.default_size if size is None else check_size(size)
    repeat = check_workers(repeat, "repeat", limit=MAX_REPEAT)
    check_seconds("timeout", timeout)
    if executor == "sequential":
        workers = 1
    if executor == "processes" and start_method is None:
        start_method = multiprocessing.get_all_start_methods()[0]

    result = RunResult.made_on(
        environment.where_it_ran(),
        workload=workload,
        executor=executor,
        workers=workers,
        tasks=tasks,
        size=size,
        repeat=repeat,
        start_method=start_method,
        switch_interval=switch_interval,
    )
    reason = availability()[executor]
    if reason:
        result.available, result.reason = False, reason
        return result

    with environment.switch_interval(switch_interval), _echo_server_if_needed(spec.needs_echo_server) as extra:
        started = time.perf_counter()
        if executor == "asyncio":
            with _event_loop(workload, extra, timeout) as loop:
                result.startup = time.perf_counter() - started
                for _ in range(repeat):
                    wall, cpu, spans = _run_asyncio(loop, workload, size, tasks, extra, timeout)
                    _record(result, wall, cpu, spans)
            return result
        with _pool(executor, workers, start_method, workload, extra) as pool:
            result.startup = time.perf_counter() - started
            for _ in range(repeat):
                wall, cpu, spans = _run_on_pool(pool, workload, size, tasks, extra, timeout)
                _record(result, wall, cpu, spans)
    return result


def _record(result: RunResult, wall: float, cpu: float, spans: list[list[float]]) -> None:
    result.wall_times.append(wall)
    result.cpu_times.append(cpu)
    result.task_spans = spans  # the last repeat's task start/end times, relative to its start


@contextlib.contextmanager
def _echo_server_if_needed(needed: bool) -> Iterator[dict]:
    if not needed:
        yield {}
        return
    from utils.engine.echo import EchoServer

    # 1 ms before each reply: a service with a little latency, so the work is mostly waiting.
    with EchoServer(delay=ECHO_DELAY) as address:
        yield {"address": address}


class _Sequential:
    """The smallest executor: runs each task when it is submitted, in this thread."""

    def submit(self, fn: Any, *args: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to the caller through the future, like a pool
            future.set_exception(exc)
        return future


@contextlib.contextmanager
def _pool(executor: str, workers: int, start_method: str | None, workload: str, extra: dict) -> Iterator[Any]:
    if executor == "sequential":
        warm_up(workload, extra)
        yield _Sequential()
        return
    if executor == "threads":
        pool: cf.Executor = cf.ThreadPoolExecutor(max_workers=workers)
    elif executor == "processes":
        pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(start_method))
    else:
        pool = interpreter_pool_class()(max_workers=workers)  # type: ignore[misc]
    with stopping(pool):
        # Start every worker and warm the workload up in it before timing (the short sleep in
        # each warm-up task spreads them over all workers).
        warm = [pool.submit(warm_up, workload, extra, 0.02) for _ in range(workers)]
        for future in warm:
            future.result(timeout=60)
        yield pool


def kill_workers(pool: cf.Executor) -> None:
    """Kill a process pool's workers at once (``ProcessPoolExecutor.kill_workers`` from 3.14; each worker before).

    Thread and interpreter pools have no workers that can be killed: this does nothing for them.
    """
    if not isinstance(pool, cf.ProcessPoolExecutor):
        return
    kill = getattr(pool, "kill_workers", None)  # public from 3.14
    if kill is not None:
        kill()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()


@contextlib.contextmanager
def stopping(pool: cf.Executor) -> Iterator[cf.Executor]:
    """Use ``pool`` in a ``with`` block that never waits for a task that overran.

    On a normal exit the pool shuts down as usual, waiting for its tasks. If the block raised (a task
    did not finish within its timeout, a task failed), queued tasks are cancelled, a process pool's
    workers are killed, and the pool is shut down without waiting, so the error reaches the caller at
    once. A thread (or interpreter) that is still running its task cannot be stopped from outside: it
    finishes that task in the background and then exits.
    """
    try:
        yield pool
    except BaseException:
        manager = getattr(pool, "_executor_manager_thread", None)  # a process pool's (private, 3.9+; shutdown drops it)
        kill_workers(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        if manager is not None:  # let it see the dead workers and exit, releasing the pool's queues
            manager.join(5.0)
        raise
    pool.shutdown(wait=True, cancel_futures=True)


def warm_up(workload: str, extra: dict | None = None, pause: float = 0.0, calls: int = WARMUP_CALLS) -> None:
    """Call ``workload`` at size 1 ``calls`` times (after sleeping ``pause`` seconds), untimed."""
    time.sleep(pause)
    for _ in range(calls):
        run_task(workload, 1, extra)


def _run_on_pool(pool: Any, workload: str, size: int, tasks: int, extra: dict, timeout: float):
    start_cpu = time.process_time()
    start = time.perf_counter()
    futures = [pool.submit(run_task, workload, size, extra) for _ in range(tasks)]
    _, not_done = cf.wait(futures, timeout=timeout)
    if not_done:
        for future in not_done:
            future.cancel()
        raise TimeoutError(f"{len(not_done)} of {tasks} {workload} tasks did not finish within {timeout:g} s")
    wall = time.perf_counter() - start
    records = [f.result() for f in futures]
    # The sequential executor runs in this thread: its CPU time is this process's; a pool's is its tasks' own.
    cpu = time.process_time() - start_cpu if isinstance(pool, _Sequential) else sum(r["cpu"] for r in records)
    spans = [[r["start"] - start, r["end"] - start] for r in records]
    return wall, cpu, spans


async def _one_async(spec: Any, size: int, extra: dict) -> list[float]:
    """One asyncio task: the workload's ``async`` form if it has one, else a plain call."""
    begin = time.perf_counter()
    if spec.async_func is not None:
        await spec.async_func(size, **extra)
    else:
        spec.func(size, **extra)  # CPU work inside a coroutine blocks the loop
    return [begin, time.perf_counter()]


async def _warm_up_async(workload: str, extra: dict, calls: int = WARMUP_CALLS) -> None:
    """The asyncio executor's warm-up: await one task of ``workload`` at size 1 ``calls`` times, untimed."""
    spec = get_workload(workload)
    for _ in range(calls):
        await _one_async(spec, 1, extra)


def _run_loop(loop: asyncio.AbstractEventLoop, coro: Any, timeout: float, what: str) -> Any:
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))
    except asyncio.TimeoutError:  # an alias of TimeoutError from 3.11 only
        raise TimeoutError(f"{what} did not finish within {timeout:g} s") from None


@contextlib.contextmanager
def _event_loop(workload: str, extra: dict, timeout: float) -> Iterator[asyncio.AbstractEventLoop]:
    """A new event loop with ``workload`` warmed up in it; closed afterwards like ``asyncio.run`` does."""
    loop = asyncio.new_event_loop()
    try:
        _run_loop(loop, _warm_up_async(workload, extra), timeout, f"the {workload} warm-up")
        yield loop
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())  # 3.9+
        finally:
            loop.close()


def _run_asyncio(loop: asyncio.AbstractEventLoop, workload: str, size: int, tasks: int, extra: dict, timeout: float):
    spec = get_workload(workload)

    async def main() -> tuple[float, float, float, list[list[float]]]:
        # The clock runs inside the loop, so scheduling the first task is counted, creating the loop is not.
        start_cpu, start = time.process_time(), time.perf_counter()
        spans = await asyncio.gather(*(_one_async(spec, size, extra) for _ in range(tasks)))
        return start, time.perf_counter() - start, time.process_time() - start_cpu, spans

    start, wall, cpu, spans = _run_loop(loop, main(), timeout, f"{tasks} {workload} tasks")
    return wall, cpu, [[b - start, e - start] for b, e in spans]


def compare(
    workload: str,
    executors: tuple[str, ...] | list[str] = ("sequential", "threads", "processes"),
    workers: int = 2,
    **options: Any,
) -> list[RunResult]:
    """Run the same tasks on several executors (sequential first, for speedups)."""
    if isinstance(executors, str):
        raise TypeError("executors must be a list of names, e.g. ['threads', 'processes']")
    if not executors:
        raise ValueError("executors must name at least one executor")
    for name in executors:
        check_executor(name)
    return [run(workload, name, workers, **options) for name in executors]
