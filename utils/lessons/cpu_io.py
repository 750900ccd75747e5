"""Lesson 04 (CPU-bound vs I/O-bound): hashing with a chosen block size, a results table, and plots
of several workloads (:func:`plot_summary`) or of several builds (:func:`plot_builds`).

    results = [isolated(run, "countdown", name, 2) for name in ("sequential", "threads", "processes")]
    print(results_table(results))
    by_block = isolated(compare_hashing, blocks=[1024, MiB])   # {1024: [seq, threads], MiB: [...]}
    fig = plot_summary({"countdown": results, "sleep": sleep_results})
    fig = plot_builds({"standard 3.11": results, "free-threaded 3.13t": ft_results})

Each call of :func:`utils.engine.isolation.isolated` is a fresh process, so every executor starts
from the same state. (Running them one after another in one process would favour the later ones on
Python 3.11: a function's bytecode is specialised only after 8 calls, and the 3.11 ``while`` loop of
``countdown`` does not count towards them (``QUICKENING_WARMUP_DELAY`` in
``Include/internal/pycore_code.h``).)

Why a block size: hashlib releases the GIL only while it hashes data of at least 2048 bytes
(``HASHLIB_GIL_MINSIZE`` in CPython's ``Modules/hashlib.h``, 3.10-3.14; from 3.15 only data longer
than 2048 bytes, gh-135239). Hashing the same bytes in 1 KiB and in 1 MiB pieces isolates that one
cause: with small pieces the GIL stays held, with large ones it is released, and nothing else
changes. On a free-threaded build with the GIL off there is no GIL to hold: each hash object has
its own lock (gh-111916), so threads hashing separate objects run at once whatever the block size.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from utils.engine import environment
from utils.engine.executors import RunResult, check_executor, check_results, check_workers, stopping
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import MiB, run_task

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.figure import Figure

#: Executors :func:`run_hashing` supports (the comparison in lesson 04 needs no more).
HASHING_EXECUTORS = ("sequential", "threads")
#: Largest amount of data one hashing task may hash (MiB): far beyond a lesson's needs.
MAX_MIB_PER_TASK = 4096


def run_hashing(
    executor: str = "threads",
    workers: int = 2,
    *,
    block: int = MiB,
    mib_per_task: int = 128,
    repeat: int = 3,
    timeout: float = 60.0,
) -> RunResult:
    """Each of ``workers`` tasks hashes ``mib_per_task`` MiB with SHA-256, fed in pieces of ``block`` bytes.

    ``executor`` is "sequential" (the tasks one after another, in this thread) or "threads"
    (a thread pool of ``workers`` threads). CPU time is the sum of the tasks' own CPU times
    (``time.thread_time``), as in :mod:`utils.engine.executors`. The result's ``size`` is the number
    of blocks per task.
    """
    if executor not in HASHING_EXECUTORS:
        check_executor(executor)  # a clear message for names that are no executor at all
        raise ValueError(f"run_hashing supports the executors {', '.join(HASHING_EXECUTORS)}, not {executor!r}")
    check_workers(workers)
    block = check_count("block", block, 1, 64 * MiB)
    check_count("mib_per_task", mib_per_task, 1, MAX_MIB_PER_TASK)
    size = max(1, mib_per_task * MiB // block)
    repeat = check_count("repeat", repeat, 1, 100)
    check_seconds("timeout", timeout)

    result = RunResult.made_on(
        environment.where_it_ran(),
        workload="sha256",
        executor=executor,
        workers=1 if executor == "sequential" else workers,
        tasks=workers,
        size=size,
        repeat=repeat,
    )
    kwargs = {"block": block}
    if executor == "sequential":
        for _ in range(repeat):
            start = time.perf_counter()
            records = [run_task("sha256", size, kwargs) for _ in range(workers)]
            _record(result, start, records)
        return result
    with stopping(cf.ThreadPoolExecutor(max_workers=workers)) as pool:  # an overrun task is not waited for
        # Start every thread before the clock starts.
        for future in [pool.submit(run_task, "sleep", 20) for _ in range(workers)]:
            future.result(timeout=timeout)
        for _ in range(repeat):
            start = time.perf_counter()
            futures = [pool.submit(run_task, "sha256", size, kwargs) for _ in range(workers)]
            _, not_done = cf.wait(futures, timeout=timeout)
            if not_done:
                for future in not_done:
                    future.cancel()
                raise TimeoutError(f"{len(not_done)} of {workers} hashing tasks did not finish within {timeout:g} s")
            _record(result, start, [future.result() for future in futures])
    return result


def _record(result: RunResult, start: float, records: list[dict]) -> None:
    result.wall_times.append(time.perf_counter() - start)
    result.cpu_times.append(sum(record["cpu"] for record in records))
    result.task_spans = [[record["start"] - start, record["end"] - start] for record in records]


def compare_hashing(
    blocks: Sequence[int] = (1024, MiB),
    executors: Sequence[str] = HASHING_EXECUTORS,
    workers: int = 2,
    *,
    mib_per_task: int = 128,
    repeat: int = 3,
    timeout: float = 60.0,
) -> dict[int, list[RunResult]]:
    """:func:`run_hashing` for every block size and executor: ``{block: [RunResult per executor]}``.

    In a fresh process: ``isolated(compare_hashing, blocks=[1024, MiB])``.
    """
    blocks = _check_blocks(blocks)
    names = _check_executors(executors)
    return {
        block: [
            run_hashing(name, workers, block=block, mib_per_task=mib_per_task, repeat=repeat, timeout=timeout)
            for name in names
        ]
        for block in blocks
    }


def _check_executors(executors: Sequence[str]) -> list[str]:
    if isinstance(executors, str) or not isinstance(executors, (list, tuple)):
        raise TypeError("executors must be a list of names, e.g. ['sequential', 'threads']")
    if not executors:
        raise ValueError("executors must name at least one executor")
    for name in executors:
        check_executor(name)
    return list(executors)


def _check_blocks(blocks: Sequence[int]) -> list[int]:
    if isinstance(blocks, (str, bytes)) or not isinstance(blocks, (list, tuple)):
        raise TypeError("blocks must be a list of block sizes in bytes, e.g. [1024, 1048576]")
    if not blocks:
        raise ValueError("blocks must name at least one block size")
    return [check_count("block", block, 1, 64 * MiB) for block in blocks]


def results_table(results: Sequence[RunResult], labels: Sequence[str] | None = None) -> str:
    """A text table: wall time (median, ± half the spread), CPU time, speedup over the FIRST result
    (the baseline) and effective parallelism (CPU time / wall time), one row per result."""
    results = check_results(results)
    if labels is None:
        labels = [result.label for result in results]
    elif isinstance(labels, str) or len(labels) != len(results):
        raise ValueError(f"labels must be a list with one label per result ({len(results)})")
    baseline = results[0]
    width = max(12, *(len(label) for label in labels))
    lines = [f"{'executor':<{width}}  {'wall (s)':>13}  {'CPU (s)':>7}  {'speedup':>7}  {'eff. parallelism':>16}"]
    for label, result in zip(labels, results, strict=True):
        if not result.available:
            lines.append(f"{label:<{width}}  not available: {result.reason}")
            continue
        wall = f"{result.wall:.3f} ±{result.spread * 50:3.0f}%"
        lines.append(
            f"{label:<{width}}  {wall:>13}  {result.cpu:7.3f}  {result.speedup_over(baseline):6.2f}x  "
            f"{result.parallelism:16.2f}"
        )
    return "\n".join(lines)


def plot_summary(groups: dict[str, Sequence[RunResult]], *, show: bool = True) -> Figure:
    """Speedup (left) and effective parallelism (right) for several groups of results side by side.

    ``groups`` maps a group name (e.g. a workload) to its results, the sequential baseline first;
    each group is a cluster of bars, one per result after the baseline, coloured by executor.
    Returns the Figure (after ``plt.show()`` when ``show`` is true).
    """
    return _plot_groups(groups, lambda result: result.executor, show=show)


def build_label(result: RunResult) -> str:
    """What ran, and on which build: e.g. "threads, 3.13.5 free-threaded (GIL off)"."""
    if result.free_threaded:
        build = "free-threaded, GIL " + ("on" if result.gil_enabled else "off")
    else:
        build = "standard, GIL on"
    return f"{result.label} on {result.python} ({build})"


def plot_builds(groups: dict[str, Sequence[RunResult]], *, show: bool = True) -> Figure:
    """The same workload on several builds (e.g. standard and free-threaded): speedup and effective parallelism.

    ``groups`` maps a build's name to its results, that build's own sequential run first (so each
    speedup compares runs on the same interpreter). Each bar's legend entry names its executor and
    build (:func:`build_label`); bars of a free-threaded build with the GIL off are hatched.
    """
    return _plot_groups(groups, build_label, show=show, per_build=True)


def _plot_groups(
    groups: dict[str, Sequence[RunResult]], label_of: Callable[[RunResult], str], *, show: bool, per_build: bool = False
) -> Figure:
    import matplotlib.pyplot as plt

    from utils.ui.plots import COLORS, caption, finish

    if not isinstance(groups, dict) or not groups:
        raise TypeError("groups must be a non-empty dict: name -> list of RunResult (baseline first)")
    checked = {name: check_results(results) for name, results in groups.items()}
    for name, results in checked.items():
        if len(results) < 2:
            raise ValueError(f"group {name!r} needs a baseline and at least one result to compare")
    widest = max(len(results) - 1 for results in checked.values())
    width = 0.8 / widest
    first = next(iter(checked.values()))[0]
    ideal = first.cpu_count
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    labelled: set[str] = set()
    for index, results in enumerate(checked.values()):
        compared = results[1:]
        for offset, result in enumerate(compared):
            if not result.available:
                continue
            x = index + width * (offset - (len(compared) - 1) / 2)  # each group centred on its tick
            style = dict(
                color=COLORS.get(result.executor, "#333333"),
                hatch=None if result.gil_enabled else "//",
                edgecolor="white",
            )
            name = label_of(result)
            label = name if name not in labelled else None
            labelled.add(name)
            left.bar(x, result.speedup_over(results[0]), width, label=label, **style)
            right.bar(x, result.parallelism, width, label=label, **style)
    for ax, name in ((left, "speedup over sequential"), (right, "effective parallelism\n(CPU time / wall time)")):
        ax.axhline(1, color="black", linewidth=0.8)
        ax.axhline(ideal, color="red", linestyle="--", linewidth=1, label=f"ideal: {ideal} CPUs")
        ax.set_xticks(range(len(checked)), list(checked), rotation=20, ha="right")
        ax.set_ylabel(name)
        heights = [p.get_height() for p in ax.patches if not math.isnan(p.get_height())]
        ax.set_ylim(0, max([ideal, *heights]) * 1.6)  # room for the legend above the bars
        ax.legend(loc="upper left", fontsize=7, ncol=2 if len(labelled) > 3 else 3)
    where = f"{first.cpu_count} CPUs" if per_build else caption(first)  # one caption per build is in the legend
    fig.suptitle(f"{first.tasks} tasks on {max(r.workers for rs in checked.values() for r in rs)} workers ({where})")
    return finish(fig, show)
