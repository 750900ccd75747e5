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

Importing this module starts nothing and changes no global state; every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import sys
import time
import warnings
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
    "SubinterpreterTour",
    "interpreters_module",
    "run_on_dask",
    "subinterpreter_tour",
]

#: Where the high-level subinterpreter API comes from.
STDLIB = "concurrent.interpreters"  # 3.14+, PEP 734
BACKPORT = "interpreters_backport"  # PyPI package interpreters-pep-734 (runs on 3.13; imports fail on 3.12)

#: A C extension module that the tour tries to import in a subinterpreter. NumPy's core module
#: does not declare support for subinterpreters, so an isolated interpreter refuses to load it.
EXTENSION_EXAMPLE = "numpy"

#: Objects whose "shareability" the tour asks about (name -> object).
SHAREABLE_SAMPLES: dict[str, Any] = {
    "None": None,
    "bool": True,
    "int": 7,
    "float": 1.5,
    "str": "text",
    "bytes": b"bytes",
    "tuple": (1, "a", None),
    "list": [1, 2],
    "dict": {"a": 1},
    "memoryview": memoryview(b"ab"),
}


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
