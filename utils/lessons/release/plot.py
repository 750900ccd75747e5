"""Lesson 09's plot: effective parallelism of sha256 threads against block size, with hashlib's threshold."""

from __future__ import annotations

import math
from collections.abc import Sequence

from utils.lessons.release.operations import MiB
from utils.lessons.release.rules import HASHLIB_GIL_MINSIZE, version_tuple
from utils.lessons.release.threads import ThreadRun, sweep_releases


def plot_block_sweep(runs: Sequence[ThreadRun], *, show: bool = True):
    """Bars of effective parallelism per block size, with hashlib's threshold marked.

    Blocks that keep the GIL on the run's Python (:func:`sweep_releases`) are grey, the others blue;
    the dashed line separates them (below 2048 bytes up to 3.14, up to 2048 bytes from 3.15). With
    the GIL off nothing keeps it, so there is no line. Returns the Figure (after ``plt.show()`` when ``show``).
    """
    import matplotlib.pyplot as plt

    if isinstance(runs, ThreadRun) or not isinstance(runs, (list, tuple)) or not runs:
        raise TypeError("runs must be a non-empty list of ThreadRun")
    for run in runs:
        if not isinstance(run, ThreadRun) or run.operation != "sha256":
            raise TypeError("runs must be ThreadRun results of the sha256 operation (see hash_block_sweep)")
    runs = sorted((r for r in runs if r.available), key=lambda r: r.size)
    if not runs:
        raise ValueError("none of the runs is available: nothing to plot")
    first = runs[0]
    ideal = min(first.threads, first.cpu_count)
    heights = [r.parallelism for r in runs]
    releases = [sweep_releases(r) for r in runs]
    colors = ["#1f77b4" if released else "#7f7f7f" for released in releases]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.bar(range(len(runs)), heights, color=colors)
    ax.set_xticks(range(len(runs)), [f"{r.size:,}" for r in runs])
    split = sum(not released for released in releases) - 0.5
    if 0 < split < len(runs) - 1 and releases == sorted(releases):
        compare = ">" if version_tuple(first.python) >= (3, 15) else ">="
        ax.axvline(
            split,
            color="red",
            linestyle="--",
            linewidth=1,
            label=f"releases the GIL: size {compare} {HASHLIB_GIL_MINSIZE} (HASHLIB_GIL_MINSIZE)",
        )
    ax.axhline(1, color="black", linewidth=0.8)
    ax.axhline(ideal, color="gray", linestyle=":", label=f"ideal: {ideal} (threads, usable CPUs)")
    ax.set_xlabel("block size passed to update() (bytes)")
    ax.set_ylabel("effective parallelism\n(CPU time / wall time)")
    ax.set_ylim(0, max(ideal, *[h for h in heights if not math.isnan(h)]) * 1.35)
    ax.legend(fontsize=8, loc="upper left")
    build = "" if first.gil_enabled else ", GIL off"
    ax.set_title(
        f"hashlib sha256, {first.threads} threads, {first.size * first.calls // MiB} MiB each "
        f"(Python {first.python}{build}, {first.cpu_count} CPUs)",
        fontsize=10,
    )
    fig.tight_layout()
    if show:
        plt.show()
    return fig
