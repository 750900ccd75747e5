"""Plots for the course's experiments (matplotlib). Every title says what was measured, on which
Python and with how many CPUs; every function returns the Figure (after ``plt.show()`` when
``show=True``, so a notebook cell shows the picture and no stray repr).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from utils.engine import environment
from utils.engine.executors import RunResult, check_results
from utils.engine.gecko import FREE_THREADED_NOTE, GilProfile
from utils.engine.gecko import caption as profile_caption
from utils.engine.timeline import Timeline

_MPL = tuple(int(part) for part in matplotlib.__version__.split(".")[:2])

COLORS = {
    "sequential": "#7f7f7f",
    "threads": "#1f77b4",
    "processes": "#2ca02c",
    "asyncio": "#9467bd",
    "interpreters": "#ff7f0e",
}


def caption(result: object) -> str:
    """ "Python 3.x.y[, GIL off], N CPUs" for anything carrying ``python``, ``gil_enabled``, ``cpu_count``."""
    build = "" if getattr(result, "gil_enabled", True) else ", GIL off"
    return f"Python {result.python}{build}, {result.cpu_count} CPUs"


def finish(fig: Figure, show: bool = True) -> Figure:
    """Lay the figure out, show it if ``show`` (so a notebook cell draws it once), and return it."""
    fig.tight_layout()
    if show:
        plt.show()
    return fig


def plot_comparison(results: Sequence[RunResult], *, show: bool = True) -> Figure:
    """Bars per executor: speedup over the first (sequential) result, and effective parallelism.

    Both panels mark the ideal (the CPU count) and 1 (no gain).
    """
    results = [r for r in check_results(results) if r.available]
    if not results:
        raise ValueError("none of the results is available: nothing to plot")
    baseline, ideal = results[0], results[0].cpu_count
    labels = [r.label for r in results]
    colors = [COLORS.get(r.executor, "#333333") for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.bar(labels, [r.speedup_over(baseline) for r in results], color=colors)
    left.set_ylabel(f"speedup over {baseline.label}")
    right.bar(labels, [r.parallelism for r in results], color=colors)
    right.set_ylabel("effective parallelism\n(CPU time / wall time)")
    for ax in (left, right):
        ax.axhline(1, color="black", linewidth=0.8)
        ax.axhline(ideal, color="red", linestyle="--", linewidth=1, label=f"ideal: {ideal} CPUs")
        ax.set_ylim(0, max(ideal, *[p.get_height() for p in ax.patches if not math.isnan(p.get_height())]) * 1.15)
        ax.tick_params(axis="x", labelrotation=20)
        ax.legend(loc="upper left", fontsize=8)
    first = results[0]
    fig.suptitle(
        f"{first.workload} × {first.tasks} tasks, {max(r.workers for r in results)} workers ({caption(first)})"
    )
    return finish(fig, show)


def plot_scaling(results: Sequence[RunResult], baseline: RunResult, *, show: bool = True) -> Figure:
    """Speedup and effective parallelism against the number of workers, one line per executor."""
    results = [r for r in check_results(results) if r.available]
    if not isinstance(baseline, RunResult):
        raise TypeError(f"baseline must be a RunResult, not {type(baseline).__name__}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for executor in dict.fromkeys(r.executor for r in results):
        mine = sorted((r for r in results if r.executor == executor), key=lambda r: r.workers)
        workers = [r.workers for r in mine]
        color = COLORS.get(executor)
        left.plot(workers, [r.speedup_over(baseline) for r in mine], "o-", color=color, label=executor)
        right.plot(workers, [r.parallelism for r in mine], "o-", color=color, label=executor)
    top = max(r.workers for r in results)
    cpus = baseline.cpu_count
    for ax, name in ((left, "speedup"), (right, "effective parallelism")):
        ax.plot([1, top], [1, top], color="gray", linestyle=":", label="ideal (linear)")
        ax.axvline(cpus, color="red", linestyle="--", linewidth=1, label=f"{cpus} CPUs")
        ax.set_xlabel("workers")
        ax.set_ylabel(name)
        ax.legend(fontsize=8)
    fig.suptitle(f"{baseline.workload}: scaling with workers ({caption(baseline)})")
    return finish(fig, show)


def plot_timeline(timeline: Timeline, *, ax: Axes | None = None, show: bool = True) -> Figure:
    """One lane per thread; a bar where the thread was running (Beazley-style)."""
    if not isinstance(timeline, Timeline):
        raise TypeError(f"timeline must be a Timeline, not {type(timeline).__name__}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 0.6 + 0.5 * timeline.threads))
    else:
        fig = ax.figure
    for index, lane in enumerate(timeline.lanes):
        ax.broken_barh(
            [(s * 1000, (e - s) * 1000) for s, e in lane], (index - 0.35, 0.7), color=plt.cm.tab10(index % 10)
        )
    ax.set_yticks(range(timeline.threads), [f"thread {i}" for i in range(timeline.threads)])
    ax.set_ylim(-0.6, timeline.threads - 0.4)
    ax.set_xlim(0, timeline.wall * 1000)
    ax.set_xlabel("time (ms)")
    ax.set_title(
        f"{timeline.workload}: {timeline.turns} turns, running together {timeline.overlap:.0%} of the time, "
        f"switch interval {timeline.switch_interval * 1000:g} ms ({caption(timeline)})",
        fontsize=9,
    )
    return finish(fig, show)


def plot_latencies(latencies: dict[str, Sequence[float]], *, title: str = "", show: bool = True) -> Figure:
    """Distributions of latencies (seconds) per condition, as box plots on a log scale, in ms."""
    if not isinstance(latencies, dict) or not latencies:
        raise TypeError("latencies must be a non-empty dict: condition -> list of seconds")
    for name, values in latencies.items():
        if len(values) == 0:
            raise ValueError(f"no latencies for {name!r}")
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.7 * len(latencies)))
    # Matplotlib 3.10 replaced vert=False by orientation="horizontal" (vert is deprecated in 3.11).
    sideways = {"orientation": "horizontal"} if _MPL >= (3, 10) else {"vert": False}
    ax.boxplot([[v * 1000 for v in values] for values in latencies.values()], whis=(5, 95), **sideways)
    ax.set_yticks(range(1, len(latencies) + 1), list(latencies))
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log scale; whiskers: 5th–95th percentile)")
    info = environment.python_info()
    where = f"Python {info.version}{'' if info.gil_enabled else ', GIL off'}, {info.usable_cpus} CPUs"
    ax.set_title(f"{title or 'Latency distributions'} ({where})", fontsize=10)
    return finish(fig, show)


def _profile_axes(profile: GilProfile, size: tuple[float, float], ax: Axes | None = None) -> tuple[Figure, Axes]:
    if not isinstance(profile, GilProfile):
        raise TypeError(f"profile must be a GilProfile, not {type(profile).__name__}")
    if not profile.available or not profile.lanes:
        raise ValueError(f"nothing to plot: {profile.reason or 'the profile has no threads'}")
    if ax is None:
        return plt.subplots(figsize=size)
    return ax.figure, ax


def plot_gil_timeline(profile: GilProfile, *, ax: Axes | None = None, show: bool = True) -> Figure:
    """Beazley-style lanes from CPython's sampling profiler (3.15+): green while a thread holds the GIL,
    a thin red bar while it waits for it, light blue on a CPU without the GIL, a grey strip off-CPU.

    The title names the Python, the build and the CPUs; on a free-threaded build it says what the
    markers mean there (no GIL to hold).
    """
    fig, ax = _profile_axes(profile, (10, 1.0 + 0.55 * len(profile.lanes)), ax)
    styles = (
        ("Native Code", -0.3, 0.6, "#b9d7ea", "on CPU without the GIL"),
        ("Has GIL", -0.3, 0.6, "tab:green", "holds the GIL"),
        ("Waiting for GIL", -0.12, 0.24, "tab:red", "waits for it"),
        ("Off CPU", -0.4, 0.07, "0.55", "off-CPU"),
    )
    for index, lane in enumerate(profile.lanes):
        for marker, offset, height, color, label in styles:
            ax.broken_barh(
                [(s * 1000, (e - s) * 1000) for s, e in lane.get(marker, [])],
                (index + offset, height),
                color=color,
                label=label if index == 0 else None,
            )
    ax.set_yticks(range(len(profile.lanes)), profile.names)
    ax.set_ylim(-0.55, len(profile.lanes) - 0.45)
    ax.set_xlim(0, profile.wall * 1000)
    ax.set_xlabel("time (ms), from CPython's sampling profiler")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7)
    title = (
        f"{profile.workload}: who holds the GIL, two holders at once {profile.overlap():.0%} of the time "
        f"({profile_caption(profile)})"
    )
    ax.set_title(title + (f"\n{FREE_THREADED_NOTE}" if profile.free_threaded else ""), fontsize=9)
    return finish(fig, show)


def plot_gil_summary(profile: GilProfile, *, show: bool = True) -> Figure:
    """Bars per thread: share of its time holding the GIL, waiting for it, and off-CPU (sampling profiler, 3.15+)."""
    fig, ax = _profile_axes(profile, (2.0 + 1.4 * len(profile.lanes) if isinstance(profile, GilProfile) else 4, 3.4))
    rows = profile.summary()
    bars = (
        ("held", "holding the GIL", "tab:green"),
        ("waiting", "waiting for it", "tab:red"),
        ("off_cpu", "off-CPU", "0.55"),
    )
    for k, (key, label, color) in enumerate(bars):
        ax.bar(
            [i + (k - 1) * 0.27 for i in range(len(rows))], [row[key] for row in rows], 0.27, color=color, label=label
        )
    ax.set_xticks(range(len(rows)), [row["thread"] for row in rows])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of the thread's time")
    ax.legend(fontsize=7)
    title = f"{profile.workload} x {profile.threads} threads ({profile_caption(profile)})"
    ax.set_title(
        title + ("\nno GIL: 'holding' = attached, running Python" if profile.free_threaded else ""), fontsize=9
    )
    return finish(fig, show)
