"""Plots of lesson 08's measurements (matplotlib is imported only when a plot is drawn)."""

from __future__ import annotations

from typing import Any

from utils.lessons.ipc.experiments import IpcCost, TaskOverhead

# --- Plots (matplotlib is imported only here) ------------------------------------------------------


def plot_task_overhead(result: TaskOverhead, *, show: bool = True) -> Any:
    """Bars: wall time of the tiny tasks, sequential and on the pool for each chunksize."""
    if not isinstance(result, TaskOverhead):
        raise TypeError(f"result must be a TaskOverhead, not {type(result).__name__}")
    import matplotlib.pyplot as plt

    from utils.ui.plots import finish

    labels = ["sequential"] + [f"pool\nchunksize={c}" for c in result.chunksizes]
    walls = [result.sequential * 1000] + [w * 1000 for w in result.pooled]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    bars = ax.bar(labels, walls, color=["#7f7f7f"] + ["#2ca02c"] * len(result.chunksizes))
    for bar, us in zip(bars, result.per_task_us().values(), strict=True):
        ax.annotate(
            f"{us:.0f} µs/task",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=9,
        )
    ax.set_ylabel("wall time (ms)")
    ax.set_ylim(0, max(walls) * 1.2)
    ax.set_title(
        f"{result.tasks} tiny tasks (primes({result.size})), {result.workers} workers "
        f"(Python {result.python}, {result.cpu_count} CPUs)",
        fontsize=10,
    )
    return finish(fig, show)


def plot_ipc_cost(result: IpcCost, *, show: bool = True) -> Any:
    """Round-trip time against payload size (log-log), per kind, beside pickling alone and a thread."""
    if not isinstance(result, IpcCost):
        raise TypeError(f"result must be an IpcCost, not {type(result).__name__}")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    from utils.ui.plots import finish

    colors = {"bytes": "#2ca02c", "list": "#d62728"}
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.6))
    for kind in result.kinds:
        mb = result.pickled_mb[kind]
        left.plot(
            mb,
            [t * 1000 for t in result.round_trip[kind]],
            "o-",
            color=colors[kind],
            label=f"{kind}: round trip to a process",
        )
        left.plot(
            mb, [t * 1000 for t in result.pickling[kind]], "o:", color=colors[kind], label=f"{kind}: pickling alone"
        )
        right.plot(mb, result.ms_per_mb(kind), "o-", color=colors[kind], label=kind)
    if result.thread_round_trip:
        left.plot(
            result.pickled_mb.get("bytes", result.sizes),
            [t * 1000 for t in result.thread_round_trip],
            "s--",
            color="#1f77b4",
            label="bytes: round trip to a thread",
        )
    left.set(xscale="log", yscale="log", xlabel="payload (MiB of pickle)", ylabel="time (ms)")
    right.set(xscale="log", xlabel="payload (MiB of pickle)", ylabel="round trip per MiB (ms)")
    right.set_ylim(bottom=0)
    for ax in (left, right):
        ax.set_xticks(result.sizes, [f"{mb:g}" for mb in result.sizes])
        ax.xaxis.set_minor_locator(NullLocator())
    left.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.18), ncol=2)
    right.legend(fontsize=8)
    fig.suptitle(
        f"Sending data to a worker process and back ({result.start_method}; "
        f"Python {result.python}, {result.cpu_count} CPUs)",
        fontsize=11,
    )
    return finish(fig, show)
