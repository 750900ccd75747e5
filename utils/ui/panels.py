"""Widget panels: change an experiment, press Run, see the result.

The logic (:class:`ExperimentConfig`, :func:`run_experiment`, :func:`verdict`) is plain Python
and tested without a browser; :class:`ExperimentPanel` only wires ipywidgets to it.

    panel = ExperimentPanel(workload="countdown", executor="threads", predict=True)
    panel.widget          # display this in a notebook
    panel.run()           # what the Run button does; returns [baseline, result]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from utils.engine.executors import RunResult, available_executors, check_executor, check_workers
from utils.engine.isolation import run_isolated
from utils.engine.validation import check_seconds
from utils.engine.workloads import WORKLOADS, check_size, get_workload

PREDICTIONS = ("faster", "about the same", "slower")
#: Switch intervals (ms) the panel offers; CPython's default is 5 ms.
SWITCH_INTERVALS_MS = (0.1, 0.5, 1, 2, 5, 10, 20, 50)
#: Speedups within this factor of 1 count as "about the same".
SAME_BAND = 1.3


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
        results.append(run_isolated(
            config.workload, executor, workers=config.workers, size=config.size, repeat=config.repeat,
            switch_interval=config.switch_interval, timeout=timeout,
        ))
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
        self.scale = w.FloatLogSlider(value=1.0, base=2, min=-3, max=2, step=1, description="Size ×",
                                      tooltip="multiplies the workload's default size")
        default_ms = round(config.switch_interval * 1000, 6)
        self.switch_ms = w.SelectionSlider(options=sorted({*SWITCH_INTERVALS_MS, default_ms}), value=default_ms,
                                           description="Switch (ms)")
        self.prediction = w.RadioButtons(options=PREDICTIONS, value=None,
                                         description="Prediction", layout=w.Layout(display="" if predict else "none"))
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.progress = w.IntProgress(value=0, min=0, max=2, description="", layout=w.Layout(width="160px"))
        self.status = w.Label(value="Choose an experiment, predict, then press Run." if predict else "Press Run.")
        self.output = w.Output()
        self.run_button.on_click(lambda _button: self.run())
        controls = w.VBox([self.workload, self.executor, self.workers, self.scale, self.switch_ms])
        self.widget = w.VBox([w.HBox([controls, self.prediction]),
                              w.HBox([self.run_button, self.progress, self.status]), self.output])

    def config(self) -> ExperimentConfig:
        """The experiment the widgets describe now."""
        spec = get_workload(self.workload.value)
        return ExperimentConfig(
            workload=spec.name, executor=self.executor.value, workers=self.workers.value,
            size=max(1, round(spec.default_size * self.scale.value)),
            switch_interval=self.switch_ms.value / 1000,
        )

    def run(self) -> list[RunResult]:
        """Run the configured experiment, update progress, status and plot; return the results."""
        from utils.ui.plots import plot_comparison

        config = self.config()
        self.run_button.disabled = True

        def step(index: int, executor: str) -> None:
            self.progress.value = index
            self.status.value = f"Running {config.workload} on {executor} ({index + 1} of 2)…"

        try:
            baseline, result = run_experiment(config, on_step=step)
        except Exception as exc:
            self.status.value = f"Failed: {exc}"
            raise
        finally:
            self.run_button.disabled = False
        self.progress.value = 2
        self.results = [baseline, result]
        self.status.value = self._message(baseline, result)
        self.output.clear_output(wait=True)
        with self.output:
            self.figure = plot_comparison(self.results)
        return self.results

    def _message(self, baseline: RunResult, result: RunResult) -> str:
        outcome = verdict(baseline, result)
        text = (f"{result.label}: {result.speedup_over(baseline):.2f}× the speed of sequential, "
                f"effective parallelism {result.parallelism:.2f} → {outcome}.")
        if self.prediction.value is not None:
            text += " Your prediction was right." if self.prediction.value == outcome else (
                f" You predicted {self.prediction.value!r}: why was it {outcome!r}?")
        return text
