"""Lesson 03 helpers: how the switch interval shapes the turns of CPU-bound threads.

- :func:`handovers` and :func:`describe_timeline` read a :class:`~utils.engine.timeline.Timeline`;
- :func:`sweep_switch_intervals` records timelines at several switch intervals, each in a fresh
  process, and :func:`median_handovers` sums them up;
- :class:`SwitchIntervalExplorer`: an ipywidgets panel (on :class:`utils.ui.panels.RunPanel`) that records
  a timeline at a switch interval chosen with a slider. Its :meth:`~SwitchIntervalExplorer.record`
  method is what the Record button does, and works without a browser.

    sweep = sweep_switch_intervals((0.0005, 0.005, 0.05), repeat=3)
    median_handovers(sweep)        # {0.0005: 600, 0.005: 65, 0.05: 7}, roughly
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence

from utils.engine.isolation import isolated
from utils.engine.timeline import TIMELINE_WORKLOADS, Timeline, record_timeline
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import check_size

#: Switch intervals (ms) the explorer's slider offers: 0.1 ms to 50 ms, roughly logarithmic.
INTERVALS_MS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)


def handovers(timeline: Timeline) -> int:
    """How many times the running thread changed: one thread's bar ends, another thread's bar starts.

    Different from ``timeline.turns`` (the number of bars): a bar also ends when the operating
    system pauses a thread, and then the same thread carries on after the gap, with no hand-over.
    """
    if not isinstance(timeline, Timeline):
        raise TypeError(f"timeline must be a Timeline, not {type(timeline).__name__}")
    bars = sorted((start, thread) for thread, lane in enumerate(timeline.lanes) for start, _end in lane)
    return sum(1 for (_, before), (_, after) in itertools.pairwise(bars) if before != after)


def describe_timeline(timeline: Timeline) -> str:
    """One line: switch interval, hand-overs, turns, overlap and wall time of a timeline."""
    if not isinstance(timeline, Timeline):
        raise TypeError(f"timeline must be a Timeline, not {type(timeline).__name__}")
    return (
        f"switch interval {timeline.switch_interval * 1000:g} ms: {handovers(timeline)} hand-overs, "
        f"{timeline.turns} turns, running together {timeline.overlap:.0%} of the time, "
        f"wall time {timeline.wall * 1000:.0f} ms"
    )


def sweep_switch_intervals(
    intervals: Sequence[float] = (0.0005, 0.005, 0.05),
    workload: str = "countdown",
    threads: int = 2,
    size: int | None = None,
    *,
    repeat: int = 1,
    timeout: float = 60.0,
) -> dict[float, list[Timeline]]:
    """Record ``repeat`` timelines at each switch interval (seconds), each in a fresh process.

    Returns ``{interval: [Timeline, ...]}`` in the order given; see :func:`median_handovers`.
    """
    if isinstance(intervals, (str, bytes)) or not isinstance(intervals, Sequence) or not intervals:
        raise TypeError("intervals must be a non-empty sequence of seconds, e.g. (0.0005, 0.005, 0.05)")
    for interval in intervals:
        check_seconds("switch interval", interval, 1e-6, 1.0, allow_low=True)
    if workload not in TIMELINE_WORKLOADS:
        raise ValueError(f"unknown timeline workload {workload!r}; choose one of {', '.join(TIMELINE_WORKLOADS)}")
    check_count("threads", threads, 1, 16)
    if size is not None:
        check_size(size)
    check_count("repeat", repeat, 1, 20)
    return {
        interval: [
            isolated(record_timeline, workload, threads, size, switch_interval=interval, timeout=timeout)
            for _ in range(repeat)
        ]
        for interval in intervals
    }


def median_handovers(sweep: dict[float, list[Timeline]]) -> dict[float, float]:
    """The median number of hand-overs at each switch interval of a :func:`sweep_switch_intervals` result."""
    if not isinstance(sweep, dict) or not sweep:
        raise TypeError("sweep must be the non-empty dict returned by sweep_switch_intervals")
    return {interval: statistics.median(handovers(t) for t in timelines) for interval, timelines in sweep.items()}


class SwitchIntervalExplorer:
    """Slider for the switch interval, a Record button, a status line, a history table and the timeline plot.

    Built on :class:`utils.ui.panels.RunPanel`: ``explorer.widget`` is what a notebook displays;
    :meth:`record` is what the button does.
    """

    def __init__(
        self, workload: str = "countdown", threads: int = 2, size: int | None = None, interval_ms: float = 5.0
    ) -> None:
        import ipywidgets as w

        from utils.ui.panels import RunPanel

        if workload not in TIMELINE_WORKLOADS:
            raise ValueError(f"unknown timeline workload {workload!r}; choose one of {', '.join(TIMELINE_WORKLOADS)}")
        self.workload = workload
        self.threads = check_count("threads", threads, 1, 8)
        self.size = None if size is None else check_size(size)
        if interval_ms not in INTERVALS_MS:
            raise ValueError(f"interval_ms must be one of {INTERVALS_MS}, got {interval_ms!r}")
        self.timelines: list[Timeline] = []
        self.figure = None
        self.slider = w.SelectionSlider(
            options=[(f"{ms:g} ms", ms) for ms in INTERVALS_MS],
            value=interval_ms,
            description="Switch interval",
            style={"description_width": "initial"},
            layout=w.Layout(width="420px"),
        )
        self.history = w.HTML()
        self.panel = RunPanel(self._record, [self.slider], label="Record", below=[self.history])
        self.button, self.status, self.output = self.panel.button, self.panel.status, self.panel.output
        self.slider.observe(lambda _change: self._ready(), names="value")
        self._ready()
        self.widget = self.panel.widget

    @property
    def switch_interval(self) -> float:
        """The switch interval the slider shows, in seconds."""
        return self.slider.value / 1000

    def _ready(self) -> None:
        self.status.value = (
            f"Press Record to run {self.threads} {self.workload} threads "
            f"with a {self.slider.value:g} ms switch interval."
        )

    def record(self) -> Timeline:
        """Record a timeline at the slider's switch interval; update the status, history and plot."""
        self.panel.busy = f"Recording at {self.slider.value:g} ms…"
        return self.panel.run()

    def _record(self) -> Timeline:
        from utils.ui.plots import plot_timeline

        timeline = isolated(
            record_timeline, self.workload, self.threads, self.size, switch_interval=self.switch_interval, timeout=60.0
        )
        self.timelines.append(timeline)
        self.status.value = "Last run: " + describe_timeline(timeline) + "."
        self.history.value = self._history_table()
        self.figure = self.panel.show(lambda: plot_timeline(timeline))
        return timeline

    def _history_table(self) -> str:
        rows = "".join(
            f"<tr><td>{t.switch_interval * 1000:g} ms</td><td>{t.turns}</td><td>{t.wall * 1000:.0f} ms</td></tr>"
            for t in self.timelines
        )
        return f"<table><tr><th>switch interval</th><th>turns</th><th>wall time</th></tr>{rows}</table>"
