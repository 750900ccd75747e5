"""The course's capstone: a mixed pipeline, one strategy per stage, against a sequential baseline.

A job that fetches, hashes and parses, as real programs do:

- ``fetch``: round trips to a local echo server that waits before each reply (waiting: the GIL is
  released while a socket blocks);
- ``hash``: SHA-256 over 1 MiB blocks (C code that releases the GIL for buffers of 2048 bytes or
  more, ``Modules/hashlib.h``);
- ``parse``: parsing text records in pure Python (holds the GIL on a standard build).

:func:`run_pipeline` runs the job with every stage sequential (the baseline) and with the plan
the learner chose, one stage executor each, alternating the two in every repeat so that both
see the same machine. Run it in a fresh process with the course's one call for that:

    from utils.engine.isolation import isolated
    result = isolated(run_pipeline, {"fetch": "threads", "hash": "threads", "parse": "processes"})
    print(result.summary())

:func:`gil_after_imports` answers the free-threaded build's first question, computed rather than
assumed: does importing the modules a program needs switch the GIL back on, and which one did it?

Importing this module starts nothing and changes no global state; every run has a timeout.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from utils.engine import environment
from utils.engine.echo import EchoServer
from utils.engine.executors import stopping
from utils.engine.timing import RepeatedRuns
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import echo, sha256

__all__ = [
    "STAGES",
    "STAGE_EXECUTORS",
    "ImportReport",
    "PipelineResult",
    "StageRun",
    "check_plan",
    "gil_after_imports",
    "parse_records",
    "run_pipeline",
    "run_stage_task",
]

#: The pipeline's stages, in order, with what each one does.
STAGES: dict[str, str] = {
    "fetch": "round trips to a local echo server that waits 5 ms before each reply (waiting)",
    "hash": "SHA-256 over 1 MiB blocks (C code that releases the GIL)",
    "parse": "parsing text records in pure Python (holds the GIL on a standard build)",
}
#: What can run a stage's tasks.
STAGE_EXECUTORS = ("sequential", "threads", "processes")
#: Size of one task of each stage: round trips, MiB hashed, records parsed (about 160, 25 and 40 ms on a quiet core).
TASK_SIZES: dict[str, int] = {"fetch": 30, "hash": 32, "parse": 12_500}
#: Seconds the echo server waits before each reply (a remote service, made local).
FETCH_DELAY = 0.005


def parse_records(size: int) -> int:
    """Parse ``size`` text records ``"id=7;name=item7;price=12.50;tags=a|b"`` in pure Python.

    Returns the number of records whose price is above 50 (so the work cannot be skipped).
    """
    check_count("size", size, 1, 10_000_000)
    count = 0
    for i in range(size):
        line = f"id={i};name=item{i};price={(i * 37) % 10_000 / 100:.2f};tags=a|b|c"
        record = dict(pair.split("=", 1) for pair in line.split(";"))
        record["tags"] = record["tags"].split("|")
        if float(record["price"]) > 50 and int(record["id"]) >= 0:
            count += 1
    return count


def run_stage_task(stage: str, size: int, address: list[Any] | tuple[str, int] | None = None) -> float:
    """Run one task of ``stage`` and return its own CPU time (``time.thread_time``, seconds)."""
    started = time.thread_time()
    if stage == "fetch":
        if address is None:
            raise ValueError("the fetch stage needs the echo server's address")
        echo(size, (str(address[0]), int(address[1])))
    elif stage == "hash":
        sha256(size)
    elif stage == "parse":
        parse_records(size)
    else:
        raise ValueError(f"unknown stage {stage!r}; the stages are {', '.join(STAGES)}")
    return time.thread_time() - started


def check_plan(plan: Any) -> dict[str, str]:
    """A plan: one executor of :data:`STAGE_EXECUTORS` for each stage of :data:`STAGES`, or a clear error."""
    if not isinstance(plan, Mapping):
        raise TypeError(f"plan must be a dict from stage to executor, e.g. {dict.fromkeys(STAGES, 'threads')}")
    if set(plan) != set(STAGES):
        raise ValueError(
            f"plan must name an executor for exactly these stages: {', '.join(STAGES)}; got "
            f"{', '.join(map(repr, plan)) or 'none'}"
        )
    for stage, executor in plan.items():
        if executor not in STAGE_EXECUTORS:
            raise ValueError(f"plan[{stage!r}] = {executor!r}: choose one of {', '.join(STAGE_EXECUTORS)}")
    return {stage: plan[stage] for stage in STAGES}


@dataclass
class StageRun(RepeatedRuns):
    """One stage on one executor: wall and CPU time of each repeat (``wall``, ``cpu``, ``parallelism``)."""

    stage: str
    executor: str
    tasks: int
    wall_times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)


@dataclass
class PipelineResult(RepeatedRuns):
    """The planned pipeline and its sequential baseline, measured in the same run.

    ``wall_times``/``cpu_times`` are the planned pipeline's totals per repeat, and
    ``baseline_walls`` the baseline's; ``speedup`` compares their medians.
    """

    plan: dict[str, str]
    workers: int
    tasks: int
    repeat: int
    wall_times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)
    baseline_walls: list[float] = field(default_factory=list)
    baseline_cpus: list[float] = field(default_factory=list)
    stages: list[StageRun] = field(default_factory=list)
    baseline_stages: list[StageRun] = field(default_factory=list)
    startup: float = 0.0
    python: str = ""
    free_threaded: bool = False
    gil_enabled: bool = True
    cpu_count: int = 1

    @property
    def baseline_wall(self) -> float:
        """Median wall time of the sequential baseline (seconds)."""
        return statistics.median(self.baseline_walls) if self.baseline_walls else math.nan

    @property
    def speedup(self) -> float:
        """How many times sooner the planned pipeline finished than the baseline (median wall times)."""
        return self.baseline_wall / self.wall if self.wall_times and self.baseline_walls else math.nan

    def stage(self, name: str, baseline: bool = False) -> StageRun:
        """The run of stage ``name`` in the plan (or, with ``baseline=True``, in the baseline)."""
        for run in self.baseline_stages if baseline else self.stages:
            if run.stage == name:
                return run
        raise ValueError(f"no stage {name!r}; the stages are {', '.join(STAGES)}")

    def summary(self) -> str:
        """Lines for a learner: each stage's wall time, speedup and effective parallelism, then the total."""
        gil = "on" if self.gil_enabled else "off"
        lines = [
            f"Python {self.python}, {self.cpu_count} usable CPUs, GIL {gil}; {self.tasks} tasks per stage, "
            f"{self.workers} workers, {self.repeat} repeats (pools ready in {self.startup * 1000:.0f} ms)"
        ]
        for run in self.stages:
            base = self.stage(run.stage, baseline=True)
            lines.append(
                f"  {run.stage:<6} on {run.executor:<10} wall {run.wall:6.3f} s (sequential "
                f"{base.wall:6.3f} s): speedup {base.wall / run.wall:4.2f}x, effective parallelism "
                f"{run.parallelism:4.2f}"
            )
        lines.append(
            f"  whole pipeline: {self.wall:.3f} s against {self.baseline_wall:.3f} s sequential: "
            f"speedup {self.speedup:.2f}x, effective parallelism {self.parallelism:.2f}"
        )
        return "\n".join(lines)


def _run_stage(
    stage: str, pool: cf.Executor | None, tasks: int, address: tuple[str, int], timeout: float
) -> tuple[float, float]:
    """(wall, CPU) of ``tasks`` tasks of ``stage`` on ``pool`` (None: one after another, here)."""
    size = TASK_SIZES[stage]
    started = time.perf_counter()
    if pool is None:
        cpu = sum(run_stage_task(stage, size, address) for _ in range(tasks))
    else:
        futures = [pool.submit(run_stage_task, stage, size, address) for _ in range(tasks)]
        cpu = sum(f.result(timeout=timeout) for f in futures)
    return time.perf_counter() - started, cpu


def run_pipeline(
    plan: dict[str, str], workers: int = 4, *, tasks: int = 4, repeat: int = 3, timeout: float = 60.0
) -> PipelineResult:
    """Run the pipeline with ``plan`` (stage -> executor) and all-sequential, alternating, ``repeat`` times.

    Pools are started and warmed up before the clock starts (their start-up is ``startup``); each
    stage waits for its tasks before the next stage begins. ``timeout`` bounds every task.
    """
    plan = check_plan(plan)
    check_count("workers", workers, 1, 32)
    check_count("tasks", tasks, 1, 64)
    check_count("repeat", repeat, 1, 20)
    check_seconds("timeout", timeout)
    info = environment.python_info()
    result = PipelineResult(
        plan=plan,
        workers=workers,
        tasks=tasks,
        repeat=repeat,
        python=info.version,
        free_threaded=info.free_threaded_build,
        gil_enabled=info.gil_enabled,
        cpu_count=info.usable_cpus,
    )
    result.stages = [StageRun(stage, executor, tasks) for stage, executor in plan.items()]
    result.baseline_stages = [StageRun(stage, "sequential", tasks) for stage in STAGES]
    wanted = set(plan.values())
    started = time.perf_counter()
    with (
        EchoServer(delay=FETCH_DELAY) as address,
        stopping(cf.ThreadPoolExecutor(workers)) as threads,
        stopping(cf.ProcessPoolExecutor(workers if "processes" in wanted else 1)) as processes,
    ):
        pools: dict[str, cf.Executor | None] = {"sequential": None, "threads": threads, "processes": processes}
        for executor in wanted - {"sequential"}:  # start every worker, and warm each stage up, untimed
            warm = [
                pools[executor].submit(run_stage_task, stage, 1, address) for stage in STAGES for _ in range(workers)
            ]
            for future in warm:
                future.result(timeout=timeout)
        for stage in STAGES:
            run_stage_task(stage, 1, address)
        result.startup = time.perf_counter() - started
        for _ in range(repeat):
            for runs, walls, cpus, choose in (
                (result.baseline_stages, result.baseline_walls, result.baseline_cpus, lambda stage: None),
                (result.stages, result.wall_times, result.cpu_times, lambda stage: pools[plan[stage]]),
            ):
                total_wall = total_cpu = 0.0
                for run in runs:
                    wall, cpu = _run_stage(run.stage, choose(run.stage), tasks, address, timeout)
                    run.wall_times.append(wall)
                    run.cpu_times.append(cpu)
                    total_wall, total_cpu = total_wall + wall, total_cpu + cpu
                walls.append(total_wall)
                cpus.append(total_cpu)
    return result


# --- is the GIL still off after the imports? ---------------------------------------------------


@dataclass
class ImportReport:
    """What importing ``modules`` in order did to the GIL in a fresh interpreter."""

    python: str
    free_threaded: bool
    modules: list[str]
    gil_at_start: bool
    gil_after: list[bool] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def gil_enabled(self) -> bool:
        """Whether the GIL was on after the last import."""
        return self.gil_after[-1] if self.gil_after else self.gil_at_start

    @property
    def culprit(self) -> str | None:
        """The first module whose import switched the GIL on (None if none did)."""
        before = self.gil_at_start
        for module, after in zip(self.modules, self.gil_after):
            if after and not before:
                return module
            before = after
        return None

    def describe(self) -> str:
        """One sentence about the imports and the GIL, every fact from the report."""
        if not self.free_threaded:
            return f"Python {self.python} is a standard build: its GIL is always on, whatever it imports."
        if self.gil_at_start:
            return f"Python {self.python} (free-threaded) started with the GIL on (PYTHON_GIL=1 or -X gil=1?)."
        missing = f" ({', '.join(self.errors)} could not be imported)" if self.errors else ""
        if self.culprit is None:
            return (
                f"Python {self.python} (free-threaded): the GIL stayed off after importing "
                f"{', '.join(self.modules)}{missing}."
            )
        return f"Python {self.python} (free-threaded): importing {self.culprit} switched the GIL on{missing}."


_PROBE = """
import json, sys, sysconfig, warnings
gil = lambda: bool(getattr(sys, "_is_gil_enabled", lambda: True)())
report = {"gil_at_start": gil(), "gil_after": [], "errors": {}, "warnings": []}
for name in json.loads(sys.argv[1]):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            __import__(name)
        except Exception as exc:
            report["errors"][name] = f"{type(exc).__name__}: {exc}"
    report["warnings"] += [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    report["gil_after"].append(gil())
print(json.dumps(report))
"""


def gil_after_imports(modules: Iterable[str], timeout: float = 60.0) -> ImportReport:
    """Import ``modules`` in order in a fresh interpreter (this one's executable) and record the GIL after each.

    On a free-threaded build (3.13+), an extension module that does not declare ``Py_mod_gil``
    switches the GIL on when it is imported, with a ``RuntimeWarning`` (free-threading HOWTO; C API
    ``Py_mod_gil``). Run it on the interpreter you care about: ``isolated(gil_after_imports, [...],
    python=find_free_threaded_python())``. A module that cannot be imported is listed in ``errors``.
    """
    if isinstance(modules, str) or not isinstance(modules, Iterable):
        raise TypeError("modules must be a list of module names, e.g. ['json', 'hashlib']")
    names = list(modules)
    if not names or not all(isinstance(n, str) and n and all(p.isidentifier() for p in n.split(".")) for n in names):
        raise ValueError(f"modules must be a non-empty list of dotted module names, got {names!r}")
    check_seconds("timeout", timeout)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, json.dumps(names)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"importing {', '.join(names)} took longer than {timeout:g} s") from None
    if done.returncode != 0 or not done.stdout.strip():
        raise ValueError(f"the import probe failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    info = environment.python_info()
    return ImportReport(python=info.version, free_threaded=info.free_threaded_build, modules=names, **data)
