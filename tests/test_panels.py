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
    [
        (dict(workload="x"), ValueError),
        (dict(executor="x"), ValueError),
        (dict(workers=0), ValueError),
        (dict(size=-1), ValueError),
        (dict(switch_interval=0), ValueError),
        (dict(repeat=1.5), TypeError),
    ],
)
def test_config_rejects_bad_values(kwargs, error):
    with pytest.raises(error):
        ExperimentConfig(**kwargs)


def test_run_experiment_reports_each_step():
    steps = []
    results = run_experiment(
        ExperimentConfig("sleep", "threads", 2, size=30, repeat=1), on_step=lambda i, e: steps.append((i, e))
    )
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


# --- the Run-button helper, and the GIL-profile panel --------------------------------------------

from utils.engine import gil_profile  # noqa: E402
from utils.ui.panels import GilProfilePanel, RunPanel  # noqa: E402


def test_run_panel_disables_its_button_while_running_and_returns_the_result():
    import ipywidgets as w

    seen = []
    slider = w.IntSlider(value=3)
    panel = RunPanel(lambda: seen.append(panel.button.disabled) or slider.value * 2, [slider], busy="Busy…")
    assert panel.status.value == "Press Run." and panel.widget.children[0] is slider
    assert panel.run() == 6 and seen == [True] and not panel.button.disabled
    panel.button.click()
    assert seen == [True, True]
    assert panel.show(lambda: "drawn") == "drawn"


def test_run_panel_shows_a_failure_in_the_status_and_the_output():
    def broken():
        raise ValueError("no such setting")

    panel = RunPanel(broken)
    with pytest.raises(ValueError):
        panel.run()
    assert panel.status.value == "Failed: ValueError: no such setting" and not panel.button.disabled
    assert any("no such setting" in out.get("text", "") for out in panel.output.outputs)
    panel.button.click()  # a click does not raise: the error is already on screen
    assert "Failed" in panel.status.value


@pytest.mark.parametrize(
    "args, kwargs, error",
    [
        ((42,), {}, TypeError),
        ((print, "slider"), {}, TypeError),
        ((print, [1]), {}, TypeError),
        ((print,), dict(label=3), TypeError),
    ],
)
def test_run_panel_rejects_bad_arguments(args, kwargs, error):
    with pytest.raises(error):
        RunPanel(*args, **kwargs)


def test_gil_profile_panel_says_plainly_when_there_is_no_315(monkeypatch, tmp_path):
    monkeypatch.setattr(gil_profile, "find_profiler_python", lambda: None)
    panel = GilProfilePanel(threads=2)
    panel.threads.value, panel.switch_ms.value = 3, 1
    assert panel.status.value.startswith("Press Run to profile 3 countdown threads with a 1 ms switch interval")
    panel.button.click()
    profile = panel.profiles[-1]
    assert not profile.available and profile.threads == 3 and profile.switch_interval == 0.001
    assert "needs CPython 3.15+" in panel.status.value and panel.figure is None and not panel.button.disabled


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(workload="echo"), ValueError),
        (dict(threads=0), ValueError),
        (dict(switch_ms=3), ValueError),
        (dict(python=3), TypeError),
        (dict(timeout=0), ValueError),
    ],
)
def test_gil_profile_panel_rejects_bad_settings(kwargs, error):
    with pytest.raises(error):
        GilProfilePanel(**kwargs)


@pytest.mark.skipif(gil_profile.find_profiler_python() is None, reason="no CPython 3.15+ (the sampling profiler) here")
def test_gil_profile_panel_draws_the_profilers_timeline():
    panel = GilProfilePanel("countdown", 2, timeout=120)
    profile = panel.run()
    assert profile.available and profile.names == ["worker-0", "worker-1"]
    assert panel.figure is not None and "who holds the GIL" in panel.figure.axes[0].get_title()
    assert "Held the GIL" in panel.status.value
