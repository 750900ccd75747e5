"""Beyond the GIL (lesson 11): subinterpreters and a distributed pool.

Two ways past one GIL per process, each run from here so the lesson's cells stay short (the third,
the free-threaded build, has lesson 12 and :mod:`utils.lessons.free_threaded`):

- **Subinterpreters**, each with its own GIL (PEP 684, Python 3.12, C API only). Python code
  can use them through ``concurrent.interpreters`` and ``concurrent.futures.InterpreterPoolExecutor``
  from 3.14 (PEP 734), or through the PyPI backport ``interpreters-pep-734`` (imported as
  ``interpreters_backport``) on 3.13. The backport installs on 3.12 too but does not import there
  (it needs CPython's ``_interpreters`` module, 3.13+). :func:`subinterpreter_tour` creates one
  interpreter and shows what crosses to it and what does not; run it in a fresh process with
  ``isolated(subinterpreter_tour)`` (:func:`utils.engine.isolation.isolated`).
- **A distributed engine**: :func:`run_on_dask` runs the same tasks as ``utils.engine.executors.run`` on a
  dask.distributed cluster (a ``LocalCluster`` of worker processes, or an existing scheduler's
  address) and returns a :class:`~utils.engine.executors.RunResult`; ``isolated(run_on_dask, ...)``
  does it in a fresh process, so that no log line of the cluster reaches a notebook.

- **A stand-in for** ``InterpreterPoolExecutor`` (assignment 11), on every Python: :class:`PoolSpy`'s pool
  class passes pickled copies like the real one but runs tasks on threads here and records its use;
  :func:`try_pool_function` runs a learner's function against it on generated inputs.

Importing this module starts nothing and changes no global state; every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import importlib.util
import io
import logging
import pickle
import random
import sys
import threading
import time
import types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from utils.engine import environment
from utils.engine.executors import MAX_REPEAT, MAX_WORKERS, RunResult, availability
from utils.engine.plaindata import PlainData
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import check_size, get_workload, run_task

__all__ = [
    "BACKPORT",
    "STDLIB",
    "CannotCross",
    "PoolRun",
    "PoolSpy",
    "SubinterpreterTour",
    "TracedTask",
    "interpreters_module",
    "run_on_dask",
    "subinterpreter_tour",
    "task_value",
    "try_pool_function",
]

#: Where the high-level subinterpreter API comes from.
STDLIB = "concurrent.interpreters"  # 3.14+, PEP 734
BACKPORT = "interpreters_backport"  # PyPI package interpreters-pep-734 (runs on 3.13; imports fail on 3.12)

#: A C extension module that the tour tries to import in a subinterpreter. NumPy's core module
#: does not declare support for subinterpreters, so an isolated interpreter refuses to load it.
EXTENSION_EXAMPLE = "numpy"

#: Objects whose "shareability" the tour asks about (name -> object).
SHAREABLE_SAMPLES: dict[str, Any] = dict(
    zip(
        ("None", "bool", "int", "float", "str", "bytes", "tuple", "list", "dict", "memoryview"),
        (None, True, 7, 1.5, "text", b"bytes", (1, "a", None), [1, 2], {"a": 1}, memoryview(b"ab")),
    )
)


# --- subinterpreters ------------------------------------------------------------------------


def interpreters_module() -> tuple[ModuleType | None, str]:
    """The high-level subinterpreter module and where it comes from: (module, STDLIB or BACKPORT).

    ``(None, "")`` when this Python has neither (3.10-3.12, or 3.13 without the backport; on 3.12
    the backport is installable but raises ImportError: there is no ``_interpreters`` module).
    """
    try:
        return importlib.import_module(STDLIB), STDLIB
    except ImportError:
        pass
    try:
        return importlib.import_module(f"{BACKPORT}.interpreters"), BACKPORT
    except ImportError:
        return None, ""


@dataclass
class SubinterpreterTour(PlainData):
    """What one new subinterpreter shared with the main one, and what it did not (plain data)."""

    available: bool
    reason: str = ""
    api: str = ""
    main_id: int = -1
    sub_id: int = -1
    n: int = 0
    computed: int = -1
    sub_sees_main_imports: bool = True
    main_sees_sub_global: bool = True
    sent: list = field(default_factory=list)
    received: list = field(default_factory=list)
    sent_after: list = field(default_factory=list)
    shared_byte: int = -1
    shareable: dict[str, bool] = field(default_factory=dict)
    extension: str = EXTENSION_EXAMPLE
    extension_error: str = ""
    extension_message: str = ""

    @property
    def expected(self) -> int:
        """What the subinterpreter should have computed: sum(range(n))."""
        return self.n * (self.n - 1) // 2

    def describe(self) -> str:
        if not self.available:
            return f"Subinterpreters from Python code: {self.reason}"
        source = "standard library (3.14+)" if self.api == STDLIB else "PyPI backport interpreters-pep-734"
        shareable = ", ".join(f"{name} {'yes' if ok else 'no'}" for name, ok in self.shareable.items())
        if self.extension_error:
            extension = f"failed: {self.extension_error}: {self.extension_message}"
        else:
            extension = self.extension_message or "imported"
        return "\n".join(
            [
                f"API:              {self.api} ({source})",
                f"interpreter ids:  main {self.main_id}, new one {self.sub_id}",
                f"computed there:   sum(range({self.n:,})) = {self.computed:,}, sent back through a queue",
                f"imports:          'utils.lessons.beyond' is imported here; there too? {self.sub_sees_main_imports}",
                f"globals:          a global set there, visible here? {self.main_sees_sub_global}",
                f"a list:           sent {self.sent} through a queue; there it became {self.received}, "
                f"here it is still {self.sent_after}",
                f"a memoryview:     the byte written there reads {self.shared_byte} here (shared memory)",
                f"is_shareable:     {shareable}",
                f"import {self.extension} there: {extension}",
            ]
        )


def _last_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    # NumPy wraps the interpreter's ImportError in advice, ending with "Original error was: ...".
    return lines[-1].removeprefix("Original error was: ") if lines else ""


def subinterpreter_tour(n: int = 1000, timeout: float = 10.0) -> SubinterpreterTour:
    """Create one subinterpreter, run small pieces of code in it, and report what crossed over.

    Runs in the calling process and leaves an imported extension behind in it: from a notebook
    use ``isolated(subinterpreter_tour)``. ``timeout`` bounds every wait on the queue (whole seconds are
    used: ``concurrent.interpreters`` rounds queue timeouts down to an int).
    """
    n = check_count("n", n, 1, 10**7)
    seconds = max(1, int(check_seconds("timeout", timeout, 0.0, 600.0)))
    module, api = interpreters_module()
    if module is None:
        return SubinterpreterTour(available=False, reason=availability()["interpreters"])
    tour = SubinterpreterTour(available=True, api=api, n=n)
    interp = module.create()
    try:
        if api == BACKPORT:  # the backport's queue type must be imported there before a queue can cross
            interp.exec(f"import {BACKPORT}.interpreters.queues")
        queue = module.create_queue()
        buffer = bytearray(4)
        interp.prepare_main(results=queue, n=n, view=memoryview(buffer), seconds=seconds)
        tour.main_id, tour.sub_id = module.get_main().id, interp.id

        interp.exec("results.put(sum(range(n)))")
        tour.computed = queue.get(timeout=seconds)

        interp.exec("import sys\nresults.put('utils.lessons.beyond' in sys.modules)")
        tour.sub_sees_main_imports = queue.get(timeout=seconds)
        interp.exec("secret = 42")
        tour.main_sees_sub_global = "secret" in vars(sys.modules["__main__"])

        tour.sent = [1, 2, 3]
        queue.put(tour.sent)
        interp.exec("items = results.get(timeout=seconds)\nitems.append(4)\nresults.put(items)")
        tour.received = queue.get(timeout=seconds)
        tour.sent_after = list(tour.sent)

        interp.exec("view[0] = 255")
        tour.shared_byte = buffer[0]

        tour.shareable = {name: bool(module.is_shareable(obj)) for name, obj in SHAREABLE_SAMPLES.items()}

        if importlib.util.find_spec(EXTENSION_EXAMPLE) is None:
            tour.extension_message = f"{EXTENSION_EXAMPLE} is not installed here"
        else:
            try:
                interp.exec(f"import {EXTENSION_EXAMPLE}")
                tour.extension_message = "imported"
            except module.ExecutionFailed as exc:
                kind = getattr(exc.excinfo, "type", None)
                tour.extension_error = getattr(kind, "__name__", str(kind))
                tour.extension_message = _last_line(getattr(exc.excinfo, "msg", "") or str(exc))
    finally:
        interp.close()
    return tour


# --- a distributed pool: dask.distributed -----------------------------------------------------


def run_on_dask(
    workload: str = "countdown",
    workers: int = 2,
    *,
    tasks: int | None = None,
    size: int | None = None,
    repeat: int = 3,
    address: str | None = None,
    run_timeout: float = 60.0,
) -> RunResult:
    """Run ``tasks`` tasks of ``workload`` on a dask.distributed cluster, like ``utils.engine.executors.run``.

    Without ``address``, starts a ``LocalCluster`` of ``workers`` worker processes with one thread
    each (no dashboard, logs silenced) and closes it at the end, whatever happens. With ``address``
    (e.g. ``"tcp://scheduler:8786"``), the same code sends the tasks to that existing cluster, whose
    workers must be able to import ``utils``. ``startup`` is the time to start (or connect to) the
    cluster, wait for ``workers`` workers and run a tiny task on each. Runs in the calling process:
    from a notebook use ``isolated(run_on_dask, ...)``. Raises ``TimeoutError`` if the cluster or a repeat
    takes longer than ``run_timeout`` seconds (named so that ``isolated(run_on_dask, ...,
    run_timeout=..., timeout=...)`` can bound both the run and the whole worker process).
    """
    spec = get_workload(workload)
    if spec.needs_echo_server:
        raise ValueError(f"the {workload!r} workload needs an echo server; choose a cpu or sleep workload")
    workers = check_count("workers", workers, 1, MAX_WORKERS)
    tasks = workers if tasks is None else check_count("tasks", tasks, 1, 10_000)
    size = spec.default_size if size is None else check_size(size)
    repeat = check_count("repeat", repeat, 1, MAX_REPEAT)
    timeout = check_seconds("run_timeout", run_timeout, 0.0, 600.0)
    if address is not None and not isinstance(address, str):
        raise TypeError(f"address must be a scheduler address (str) or None, not {type(address).__name__}")

    info = environment.python_info()
    result = RunResult(
        workload=workload,
        executor="dask",
        workers=workers,
        tasks=tasks,
        size=size,
        repeat=repeat,
        python=info.version,
        free_threaded=info.free_threaded_build,
        gil_enabled=info.gil_enabled,
        cpu_count=info.usable_cpus,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("distributed").setLevel(logging.ERROR)
        from distributed import Client, LocalCluster, wait

        started = time.perf_counter()
        if address is None:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        else:
            cluster = None
        try:
            with Client(cluster if cluster is not None else address, timeout=timeout) as client:
                client.wait_for_workers(workers, timeout=timeout)
                warm = client.map(run_task, ["sleep"] * workers, [20] * workers, pure=False)
                wait(warm, timeout=timeout)
                result.startup = time.perf_counter() - started
                for _ in range(repeat):
                    start = time.perf_counter()
                    futures = client.map(run_task, [workload] * tasks, [size] * tasks, pure=False)
                    wait(futures, timeout=timeout)
                    wall = time.perf_counter() - start
                    records = client.gather(futures)
                    result.wall_times.append(wall)
                    result.cpu_times.append(sum(r["cpu"] for r in records))
                    # perf_counter is system-wide on Linux: worker records line up with ours.
                    result.task_spans = [[r["start"] - start, r["end"] - start] for r in records]
        except (asyncio.TimeoutError, TimeoutError) as exc:
            # Up to 3.10 asyncio's TimeoutError is a class of its own (an alias of the built-in one from 3.11):
            # callers, and isolated(), get the built-in one.
            raise TimeoutError(f"dask did not finish within {timeout:g} s ({type(exc).__name__})") from exc
        finally:
            if cluster is not None:
                cluster.close()
    return result


# --- a stand-in for InterpreterPoolExecutor (assignment 11) ---------------------------------------


class CannotCross(pickle.PicklingError):
    """An object that another interpreter could not rebuild (a lambda, a notebook function, a closure)."""


class _CrossingPickler(pickle.Pickler):
    """Refuses functions and classes of ``__main__``, lambdas and local functions."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, (types.FunctionType, type)):
            module, qualname = getattr(obj, "__module__", ""), getattr(obj, "__qualname__", "")
            if module == "__main__" or "<locals>" in qualname or "<lambda>" in qualname:
                raise CannotCross(
                    f"{qualname} (defined in {module}) cannot be rebuilt in another interpreter, which has its "
                    "own __main__ and none of the variables a closure holds here"
                )
        return NotImplemented


def _cross(obj: Any) -> Any:
    """A copy of ``obj`` made the way it would reach another interpreter (pickled and unpickled)."""
    buffer = io.BytesIO()
    try:
        _CrossingPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    except Exception as exc:  # a lambda, a lock, a generator, a local object
        raise exc if isinstance(exc, CannotCross) else CannotCross(f"{type(exc).__name__}: {exc}") from exc
    return pickle.loads(buffer.getvalue())


def task_value(n: int) -> int:
    """The task's result for ``n``: the sum of the squares below ``n`` (a pure-Python loop)."""
    return sum(i * i for i in range(n))


class TracedTask:
    """The task function handed to the learner. It notes each call made on *this* object; what crosses to a
    worker is :func:`task_value` itself, so ``calls_here`` lists the calls made in the main interpreter."""

    def __init__(self) -> None:
        self.calls_here: list[Any] = []

    def __call__(self, n: int) -> int:
        self.calls_here.append(n)
        return task_value(n)

    def __reduce__(self) -> tuple[Callable, tuple]:
        return (_crossed_task, ())

    def __repr__(self) -> str:
        return "<task function>"


def _crossed_task() -> Callable[[int], int]:
    return task_value


@dataclass
class PoolRecord:
    """What the learner did with one pool: its ``max_workers``, what it was given, whether it was shut down."""

    max_workers: Any = None
    submitted: list = field(default_factory=list)
    shut_down: bool = False


class PoolSpy:
    """``spy.pool_class`` behaves like ``InterpreterPoolExecutor`` (same arguments) and records how it is used.

    ``submit`` sends a pickled copy of the callable and its arguments to a worker and returns a real
    ``Future`` holding a pickled copy of the result (3.14 docs: the pool "serializes the callable and
    arguments using pickle"); what another interpreter could not rebuild raises :class:`CannotCross`.
    The workers are threads here, as many as the tasks; the i-th task sleeps ``delays[i]`` seconds first.
    """

    def __init__(self, delays: Sequence[float] = ()) -> None:
        self.delays = [check_seconds("delay", d, 0.0, 60.0, allow_low=True) for d in delays]
        self.pools: list[PoolRecord] = []
        self.crossing_errors: list[str] = []
        self._lock = threading.Lock()
        self._inner: list[concurrent.futures.ThreadPoolExecutor] = []
        self.pool_class = self._make_class()

    def _make_class(self) -> type:
        spy = self

        class InterpreterPoolStandIn(concurrent.futures.Executor):
            """Stands in for InterpreterPoolExecutor: copies cross, tasks run on threads here."""

            def __init__(self, max_workers=None, thread_name_prefix="", initializer=None, initargs=()):
                if max_workers is not None:
                    check_count("max_workers", max_workers, 1, 10**6)
                self._record = PoolRecord(max_workers)
                self._inner = concurrent.futures.ThreadPoolExecutor(max_workers=32)
                with spy._lock:
                    spy.pools.append(self._record)
                    spy._inner.append(self._inner)

            def submit(self, fn, /, *args, **kwargs):
                with spy._lock:
                    index = sum(len(pool.submitted) for pool in spy.pools)
                    self._record.submitted.append(args[0] if len(args) == 1 and not kwargs else (args, kwargs))
                try:
                    task = _cross((fn, args, kwargs))
                except CannotCross as exc:
                    with spy._lock:
                        spy.crossing_errors.append(str(exc))
                    raise
                delay = spy.delays[index] if index < len(spy.delays) else 0.0
                return self._inner.submit(_run_crossed, task, delay)

            def shutdown(self, wait=True, *, cancel_futures=False):
                self._record.shut_down = True
                self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)

        return InterpreterPoolStandIn


def _run_crossed(task: tuple, delay: float) -> Any:
    fn, args, kwargs = task
    if delay:
        time.sleep(delay)
    return _cross(fn(*args, **kwargs))  # the result crosses back as a copy too


@dataclass
class PoolRun:
    """One call of a learner's ``run_in_interpreters(pool_class, func, items, workers, timeout)``."""

    items: list
    workers: int
    timeout: float
    expected: list
    returned: Any = None
    error: str = ""
    error_message: str = ""
    timed_out: bool = False
    finished: bool = True
    pools: list = field(default_factory=list)
    calls_here: list = field(default_factory=list)
    crossing_errors: list = field(default_factory=list)

    @property
    def submitted(self) -> list:
        """Every argument submitted to any pool, in order."""
        return [item for pool in self.pools for item in pool.submitted]


def try_pool_function(
    function: Callable,
    *,
    workers: int = 3,
    tasks: int | None = None,
    timeout: float = 30.0,
    slow: float = 0.0,
    limit: float = 60.0,
    seed: int | None = None,
) -> PoolRun:
    """Call ``function(pool_class, func, items, workers, timeout)`` with a :class:`PoolSpy`; record what it did.

    ``items``: ``tasks`` random sizes (3 to 8 of them by default). Without ``slow`` the tasks finish in the
    reverse of the order they were submitted in; with it, the first takes ``slow`` seconds. The call runs
    in a daemon thread; not returned after ``limit`` seconds: ``finished`` is False (the thread is left).
    """
    if not callable(function):
        raise TypeError(f"function must be callable, not {type(function).__name__}")
    workers = check_count("workers", workers, 1, MAX_WORKERS)
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    slow = check_seconds("slow", slow, 0.0, 60.0, allow_low=True)
    limit = check_seconds("limit", limit, 0.0, 600.0)
    rng = random.Random(seed)
    count = rng.randint(3, 8) if tasks is None else check_count("tasks", tasks, 1, 32)
    items = rng.sample(range(50, 5000), count)
    delays = [slow] if slow else [0.03 * (count - i) for i in range(count)]
    spy, func = PoolSpy(delays), TracedTask()
    run = PoolRun(items=list(items), workers=workers, timeout=timeout, expected=[task_value(n) for n in items])
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            outcome["returned"] = function(spy.pool_class, func, list(items), workers, timeout)
        except BaseException as exc:  # the learner's mistake, reported, not raised here
            outcome["error"] = exc

    thread = threading.Thread(target=call, name="run_in_interpreters", daemon=True)
    thread.start()
    thread.join(limit)
    run.finished = not thread.is_alive()
    error = outcome.get("error")
    if error is not None:
        run.error, run.error_message = type(error).__name__, str(error)
        run.timed_out = isinstance(error, (TimeoutError, concurrent.futures.TimeoutError))
    run.returned = outcome.get("returned")
    run.pools = [PoolRecord(p.max_workers, list(p.submitted), p.shut_down) for p in spy.pools]
    run.calls_here, run.crossing_errors = list(func.calls_here), list(spy.crossing_errors)
    if run.finished:  # after reading whether the learner shut the pools down
        for inner in spy._inner:
            inner.shutdown(wait=True, cancel_futures=True)
    return run
