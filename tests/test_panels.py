import matplotlib

matplotlib.use("Agg")

import pytest

from utils.engine.executors import RunResult
from utils.ui.panels import ExperimentConfig, ExperimentPanel, run_experiment, verdict


def result(wall):
    return RunResult("countdown", "threads", 2, 2, 10, 1, wall_times=[wall], cpu_times=[wall])


def test_verdict_in_words():
    base = result(1.0)
    assert verdict(base, result(0.5)) == "faster"
    assert verdict(base, result(1.1)) == "about the same"
    assert verdict(base, result(2.0)) == "slower"
    missing = RunResult("countdown", "interpreters", 2, 2, 10, 1, available=False)
    assert verdict(base, missing) == "not available"


@pytest.mark.parametrize(
    "kwargs, error",
    [(dict(workload="x"), ValueError), (dict(executor="x"), ValueError), (dict(workers=0), ValueError),
     (dict(size=-1), ValueError), (dict(switch_interval=0), ValueError), (dict(repeat=1.5), TypeError)],
)
def test_config_rejects_bad_values(kwargs, error):
    with pytest.raises(error):
        ExperimentConfig(**kwargs)


def test_run_experiment_reports_each_step():
    steps = []
    results = run_experiment(ExperimentConfig("sleep", "threads", 2, size=30, repeat=1),
                             on_step=lambda i, e: steps.append((i, e)))
    assert steps == [(0, "sequential"), (1, "threads")]
    assert [r.executor for r in results] == ["sequential", "threads"]
    with pytest.raises(TypeError):
        run_experiment({"workload": "sleep"})


def test_panel_runs_what_the_widgets_say():
    panel = ExperimentPanel(predict=True, workload="countdown", executor="threads")
    panel.workload.value = "sleep"
    panel.executor.value = "threads"
    panel.workers.value = 2
    panel.scale.value = 0.25  # 50 ms sleeps
    panel.prediction.value = "faster"
    assert panel.switch_ms.value == 5  # CPython's default, 5 ms
    panel.switch_ms.value = 1
    config = panel.config()
    assert config.switch_interval == 0.001
    assert (config.workload, config.executor, config.workers, config.size) == ("sleep", "threads", 2, 50)
    panel.run_button.click()  # what a learner does; runs headlessly here
    assert [r.executor for r in panel.results] == ["sequential", "threads"]
    assert panel.results[1].size == 50
    assert panel.progress.value == panel.progress.max
    assert "faster" in panel.status.value and "prediction was right" in panel.status.value
    assert panel.figure is not None and len(panel.figure.axes) == 2
    assert not panel.run_button.disabled


def test_panel_offers_only_available_executors():
    from utils.engine.executors import available_executors

    panel = ExperimentPanel()
    assert list(panel.executor.options) == available_executors()
    assert panel.prediction.layout.display == "none"
