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

:func:`gil_after_imports` (from :mod:`utils.lessons.free_threaded`, re-exported here) answers the
free-threaded build's first question, computed rather than assumed: does importing the modules a
program needs switch the GIL back on, and which one did it?

Importing this module starts nothing and changes no global state; every run has a timeout.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from utils.engine import environment
from utils.engine.echo import EchoServer
from utils.engine.executors import stopping
from utils.engine.timing import RepeatedRuns, median_and_spread
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import echo, sha256
from utils.lessons.free_threaded import ImportReport, gil_after_imports

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
class PipelineResult(RepeatedRuns, environment.MadeOn):
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
        return median_and_spread(self.baseline_walls)[0]

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
    result = PipelineResult.made_on(environment.where_it_ran(), plan=plan, workers=workers, tasks=tasks, repeat=repeat)
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
