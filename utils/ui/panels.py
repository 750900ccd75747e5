"""Widget panels: change an experiment, press Run, see the result.

:class:`RunPanel` is the course's one Run-button layout (controls, a Run button, a status line,
an Output): every panel builds on it. The logic (:class:`ExperimentConfig`, :func:`run_experiment`,
:func:`verdict`) is plain Python and tested without a browser; :class:`ExperimentPanel` only wires
ipywidgets to it.

    panel = ExperimentPanel(workload="countdown", executor="threads", predict=True)
    panel.widget          # display this in a notebook
    panel.run()           # what the Run button does; returns [baseline, result]

    box = RunPanel(lambda: box.show(lambda: print("hello")), [some_slider])
    box.widget; box.run()  # disables the button while it runs; an error goes to the status and output
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from utils.engine.executors import RunResult, available_executors, check_executor, check_workers, run
from utils.engine.isolation import isolated
from utils.engine.validation import check_seconds
from utils.engine.workloads import WORKLOADS, check_size, get_workload

PREDICTIONS = ("faster", "about the same", "slower")
#: Switch intervals (ms) the panel offers; CPython's default is 5 ms.
SWITCH_INTERVALS_MS = (0.1, 0.5, 1, 2, 5, 10, 20, 50)
#: Speedups within this factor of 1 count as "about the same".
SAME_BAND = 1.3

T = TypeVar("T")


class RunPanel:
    """Controls, a Run button, a status line and an Output, laid out as one ``widget``.

    ``on_run()`` does the work and returns its result; it may set ``status.value`` and draw with
    :meth:`show`. :meth:`run` (what the button does) disables the button while ``on_run`` runs,
    and on an exception shows ``Failed: ...`` in the status line and the output, then re-raises
    (the button's click handler swallows it, as it has been shown). ``controls`` are rows above the
    button; ``beside`` sits between the button and the status (e.g. a progress bar); ``below`` between
    the button row and the output (e.g. a history table).
    """

    def __init__(
        self,
        on_run: Callable[[], T],
        controls: Sequence[Any] = (),
        *,
        label: str = "Run",
        ready: str = "Press Run.",
        busy: str = "Running…",
        beside: Sequence[Any] = (),
        below: Sequence[Any] = (),
    ) -> None:
        import ipywidgets as w

        if not callable(on_run):
            raise TypeError(f"on_run must be callable, not {type(on_run).__name__}")
        for name, group in (("controls", controls), ("beside", beside), ("below", below)):
            if (
                isinstance(group, (str, bytes))
                or not isinstance(group, Sequence)
                or not all(isinstance(item, w.Widget) for item in group)
            ):
                raise TypeError(f"{name} must be a sequence of ipywidgets widgets")
        if not all(isinstance(text, str) for text in (label, ready, busy)):
            raise TypeError("label, ready and busy must be str")
        self.on_run, self.busy = on_run, busy
        self.button = w.Button(description=label, button_style="primary", icon="play")
        self.status = w.Label(value=ready)
        self.output = w.Output()
        self.button.on_click(self._clicked)
        self.widget = w.VBox([*controls, w.HBox([self.button, *beside, self.status]), *below, self.output])

    def run(self) -> T:
        """Call ``on_run()`` with the button disabled; show a failure in the status and output."""
        self.button.disabled = True
        self.status.value = self.busy
        try:
            return self.on_run()
        except Exception as exc:
            self.status.value = f"Failed: {type(exc).__name__}: {exc}"
            self.output.clear_output()
            self.output.append_stderr(f"{type(exc).__name__}: {exc}\n")
            raise
        finally:
            self.button.disabled = False

    def show(self, draw: Callable[[], T]) -> T:
        """Clear the output, call ``draw()`` inside it (prints and figures land there), return its result."""
        self.output.clear_output(wait=True)
        with self.output:
            return draw()

    def _clicked(self, _button: Any) -> None:
        with contextlib.suppress(Exception):  # already shown in the status line and the output
            self.run()


@dataclass(frozen=True)
class ExperimentConfig:
    """One experiment: ``workers`` workers of ``executor`` each running one ``workload`` task of ``size``."""

    workload: str = "countdown"
    executor: str = "threads"
    workers: int = 2
    size: int | None = None
    switch_interval: float = 0.005
    repeat: int = 3

    def __post_init__(self) -> None:
        get_workload(self.workload)
        check_executor(self.executor)
        check_workers(self.workers, limit=16)
        if self.size is not None:
            check_size(self.size)
        check_seconds("switch_interval", self.switch_interval, 1e-6, 1.0, allow_low=True)
        check_workers(self.repeat, "repeat", limit=20)


def run_experiment(
    config: ExperimentConfig, *, timeout: float = 120.0, on_step: Callable[[int, str], None] | None = None
) -> list[RunResult]:
    """Run the sequential baseline, then the configured executor, each in a fresh process.

    ``on_step(index, executor)`` is called before each of the two runs (for progress displays).
    """
    if not isinstance(config, ExperimentConfig):
        raise TypeError(f"config must be an ExperimentConfig, not {type(config).__name__}")
    results = []
    for index, executor in enumerate(("sequential", config.executor)):
        if on_step is not None:
            on_step(index, executor)
        results.append(
            isolated(
                run,
                config.workload,
                executor,
                config.workers,
                size=config.size,
                repeat=config.repeat,
                switch_interval=config.switch_interval,
                timeout=timeout,
            )
        )
    return results


def verdict(baseline: RunResult, result: RunResult) -> str:
    """ "faster", "about the same" or "slower": the result's speedup over the baseline, in words."""
    speedup = result.speedup_over(baseline)
    if math.isnan(speedup):
        return "not available"
    if speedup >= SAME_BAND:
        return "faster"
    if speedup <= 1 / SAME_BAND:
        return "slower"
    return "about the same"


class ExperimentPanel:
    """ipywidgets panel: workload, executor, workers, size, switch interval, Run, progress, plot."""

    def __init__(self, *, predict: bool = False, **defaults: Any) -> None:
        import ipywidgets as w

        config = ExperimentConfig(**defaults)
        self.results: list[RunResult] = []
        self.figure = None
        self.workload = w.Dropdown(options=list(WORKLOADS), value=config.workload, description="Workload")
        self.executor = w.Dropdown(options=available_executors(), value=config.executor, description="Executor")
        self.workers = w.IntSlider(value=config.workers, min=1, max=8, description="Workers")
        self.scale = w.FloatLogSlider(
            value=1.0,
            base=2,
            min=-3,
            max=2,
            step=1,
            description="Size ×",
            tooltip="multiplies the workload's default size",
        )
        default_ms = round(config.switch_interval * 1000, 6)
        self.switch_ms = w.SelectionSlider(
            options=sorted({*SWITCH_INTERVALS_MS, default_ms}), value=default_ms, description="Switch (ms)"
        )
        self.prediction = w.RadioButtons(
            options=PREDICTIONS,
            value=None,
            description="Prediction",
            layout=w.Layout(display="" if predict else "none"),
        )
        self.progress = w.IntProgress(value=0, min=0, max=2, description="", layout=w.Layout(width="160px"))
        controls = w.VBox([self.workload, self.executor, self.workers, self.scale, self.switch_ms])
        self.panel = RunPanel(
            self._run,
            [w.HBox([controls, self.prediction])],
            beside=[self.progress],
            ready="Choose an experiment, predict, then press Run." if predict else "Press Run.",
        )
        self.run_button, self.status, self.output = self.panel.button, self.panel.status, self.panel.output
        self.widget = self.panel.widget

    def config(self) -> ExperimentConfig:
        """The experiment the widgets describe now."""
        spec = get_workload(self.workload.value)
        return ExperimentConfig(
            workload=spec.name,
            executor=self.executor.value,
            workers=self.workers.value,
            size=max(1, round(spec.default_size * self.scale.value)),
            switch_interval=self.switch_ms.value / 1000,
        )

    def run(self) -> list[RunResult]:
        """Run the configured experiment, update progress, status and plot; return the results."""
        return self.panel.run()

    def _run(self) -> list[RunResult]:
        from utils.ui.plots import plot_comparison

        config = self.config()

        def step(index: int, executor: str) -> None:
            self.progress.value = index
            self.status.value = f"Running {config.workload} on {executor} ({index + 1} of 2)…"

        baseline, result = run_experiment(config, on_step=step)
        self.progress.value = 2
        self.results = [baseline, result]
        self.status.value = self._message(baseline, result)
        self.figure = self.panel.show(lambda: plot_comparison(self.results))
        return self.results

    def _message(self, baseline: RunResult, result: RunResult) -> str:
        outcome = verdict(baseline, result)
        text = (
            f"{result.label}: {result.speedup_over(baseline):.2f}× the speed of sequential, "
            f"effective parallelism {result.parallelism:.2f} → {outcome}."
        )
        if self.prediction.value is not None:
            text += (
                " Your prediction was right."
                if self.prediction.value == outcome
                else (f" You predicted {self.prediction.value!r}: why was it {outcome!r}?")
            )
        return text


#: Workloads the GIL-profile panel offers (those that need no echo server).
PROFILE_WORKLOADS = tuple(name for name, spec in WORKLOADS.items() if not spec.needs_echo_server)


class GilProfilePanel:
    """ipywidgets panel: workload, threads and switch interval; Run profiles them with CPython 3.15's sampler.

    Shows :func:`utils.ui.plots.plot_gil_timeline` of :func:`utils.engine.gil_profile.profile_threads`,
    or, without a CPython 3.15+, says so and how to get one. ``python`` is the interpreter to profile on
    (default: found by :func:`~utils.engine.gil_profile.find_profiler_python`).
    """

    def __init__(
        self,
        workload: str = "countdown",
        threads: int = 2,
        switch_ms: float = 5,
        *,
        python: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        import ipywidgets as w

        if workload not in PROFILE_WORKLOADS:
            raise ValueError(f"unknown workload {workload!r}; choose one of {', '.join(PROFILE_WORKLOADS)}")
        check_workers(threads, "threads", limit=8)
        if switch_ms not in SWITCH_INTERVALS_MS:
            raise ValueError(f"switch_ms must be one of {SWITCH_INTERVALS_MS}, got {switch_ms!r}")
        if python is not None and not isinstance(python, str):
            raise TypeError(f"python must be a path (str) or None, not {type(python).__name__}")
        self.python, self.timeout = python, check_seconds("timeout", timeout)
        self.profiles: list[Any] = []
        self.figure = None
        self.workload = w.Dropdown(options=list(PROFILE_WORKLOADS), value=workload, description="Workload")
        self.threads = w.IntSlider(value=threads, min=1, max=8, description="Threads")
        self.switch_ms = w.SelectionSlider(
            options=list(SWITCH_INTERVALS_MS), value=switch_ms, description="Switch (ms)"
        )
        self.panel = RunPanel(self._run, [self.workload, self.threads, self.switch_ms], busy="Profiling…")
        self.button, self.status, self.output = self.panel.button, self.panel.status, self.panel.output
        for control in (self.workload, self.threads, self.switch_ms):
            control.observe(lambda _change: self._ready(), names="value")
        self._ready()
        self.widget = self.panel.widget

    def _ready(self) -> None:
        self.status.value = (
            f"Press Run to profile {self.threads.value} {self.workload.value} threads with a "
            f"{self.switch_ms.value:g} ms switch interval (needs CPython 3.15+)."
        )

    def run(self) -> Any:
        """Profile what the widgets say; show the GIL timeline (or why there is none). Returns the GilProfile."""
        return self.panel.run()

    def _run(self) -> Any:
        from utils.engine.gil_profile import profile_threads
        from utils.ui.plots import plot_gil_timeline

        profile = profile_threads(
            self.workload.value,
            self.threads.value,
            switch_interval=self.switch_ms.value / 1000,
            python=self.python,
            timeout=self.timeout,
        )
        self.profiles.append(profile)
        if not profile.available:
            self.status.value = "No profile: CPython's sampling profiler needs CPython 3.15+ (see below)."
            self.figure = self.panel.show(lambda: print(profile.reason))
            return profile
        held = ", ".join(f"{row['thread']} {row['held']:.0%}" for row in profile.summary())
        self.status.value = f"Held the GIL: {held}; two holders at once {profile.overlap():.0%} of the time."
        self.figure = self.panel.show(lambda: plot_gil_timeline(profile))
        return profile
