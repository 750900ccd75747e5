"""Lesson 06's figure: the I/O thread's latency and the CPU threads' work against the switch interval."""

from __future__ import annotations

from utils.lessons.convoy import Sweep, expected_latency


def plot_sweep(sweep: Sweep, *, show: bool = True):
    """Two panels against the switch interval (ms, log scale): the I/O thread's latency (median
    and 95th percentile, with the range :func:`expected_latency` gives for one CPU thread) and the
    CPU threads' work rate as a share of one thread alone. Returns the Figure (after ``plt.show()``
    when ``show``)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    from utils.ui.plots import caption, finish

    if not isinstance(sweep, Sweep):
        raise TypeError(f"sweep must be a Sweep, not {type(sweep).__name__}")
    if not sweep.results:
        raise ValueError("the sweep has no results: nothing to plot")
    if len(sweep.cpu_alone_rates) != len(sweep.results) or min(sweep.cpu_alone_rates) <= 0:
        raise ValueError("cpu_alone_rates must hold one positive rate per result")
    pairs = sorted(zip(sweep.results, sweep.cpu_shares), key=lambda pair: pair[0].switch_interval)
    results, shares = [r for r, _ in pairs], [share for _, share in pairs]
    first = results[0]
    x = [r.switch_interval * 1000 for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.plot(x, [r.median * 1000 for r in results], "o-", label="median")
    left.plot(x, [r.p95 * 1000 for r in results], "s--", label="95th percentile")
    bands = [expected_latency(r.io, r.wait, r.switch_interval) for r in results]
    low, high = ([band[i] * 1000 for band in bands] for i in (0, 1))
    if first.io == "sleep":
        left.plot(x, low, ":", color="grey", label="with the GIL: sleep + one interval")
    else:
        left.plot(x, low, ":", color="grey", label="with the GIL: max(server delay, one interval)")
        left.plot(x, high, "-.", color="grey", label="with the GIL: server delay + two intervals")
        left.fill_between(x, low, high, color="grey", alpha=0.12, linewidth=0)
    left.set_xscale("log")
    left.set_yscale("log")
    right.set_xscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")  # 20, not 2x10^1
    for ax in (left, right):
        ax.set_xticks(x)
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(NullFormatter())
    left.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    left.yaxis.set_major_formatter(plain)
    left.yaxis.set_minor_formatter(NullFormatter())
    left.set_xlabel("switch interval (ms)")
    left.set_ylabel(f"I/O thread latency per {first.io} request (ms)")
    left.legend(fontsize=8)
    right.plot(x, shares, "o-", color="#d62728")
    right.axhline(1.0, color="grey", linestyle=":", label="one CPU thread alone")
    right.set_ylim(0, 1.2 * max(1.0, *shares))
    right.set_xlabel("switch interval (ms)")
    right.set_ylabel("CPU threads' work rate\n(share of one thread alone)")
    right.legend(fontsize=8)
    where = caption(first)
    threads = f"{first.cpu_threads} CPU thread{'s' if first.cpu_threads > 1 else ''}"
    fig.suptitle(f"Switch interval vs latency and CPU work: 1 I/O thread, {threads} ({where})", fontsize=10)
    return finish(fig, show)
