import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from utils.engine.executors import RunResult
from utils.engine.timeline import Timeline
from utils.ui import plots


def result(executor, wall, cpu, workers=2):
    return RunResult(
        "countdown", executor, workers, 2, 1000, 1, wall_times=[wall], cpu_times=[cpu], python="3.11.7", cpu_count=2
    )


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_comparison_bars_show_speedup_and_parallelism_against_the_ideal():
    results = [result("sequential", 2.0, 2.0), result("threads", 2.0, 2.0), result("processes", 1.0, 2.0)]
    fig = plots.plot_comparison(results, show=False)
    left, right = fig.axes
    assert [p.get_height() for p in left.patches] == pytest.approx([1.0, 1.0, 2.0])
    assert [p.get_height() for p in right.patches] == pytest.approx([1.0, 1.0, 2.0])
    assert [t.get_text() for t in left.get_xticklabels()] == ["sequential", "threads", "processes"]
    assert any(line.get_ydata()[0] == 2 and line.get_linestyle() == "--" for line in left.lines)  # ideal
    assert "Python 3.11.7" in fig._suptitle.get_text() and "2 CPUs" in fig._suptitle.get_text()


def test_unavailable_results_are_left_out():
    missing = RunResult("countdown", "interpreters", 2, 2, 1000, 1, available=False, reason="no", python="3.11.7")
    fig = plots.plot_comparison([result("sequential", 1.0, 1.0), missing], show=False)
    assert len(fig.axes[0].patches) == 1


def test_scaling_has_one_line_per_executor_and_marks_the_cpus():
    base = result("sequential", 4.0, 4.0, workers=1)
    runs = [result("threads", 4.0, 4.0, w) for w in (1, 2, 4)] + [
        result("processes", 4.0 / w, 4.0, w) for w in (1, 2, 4)
    ]
    fig = plots.plot_scaling(runs, base, show=False)
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels[:2] == ["threads", "processes"] and "2 CPUs" in labels
    processes = fig.axes[0].lines[1]
    assert list(processes.get_xdata()) == [1, 2, 4]
    assert list(processes.get_ydata()) == pytest.approx([1, 2, 4])


def test_timeline_draws_one_lane_per_thread():
    t = Timeline("countdown", 3, 1, 0.005, 0.03, [[[0, 0.01]], [[0.01, 0.02]], [[0.02, 0.03]]], python="3.11.7")
    fig = plots.plot_timeline(t, show=False)
    ax = fig.axes[0]
    assert len(ax.collections) == 3
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["thread 0", "thread 1", "thread 2"]
    assert "3 turns" in ax.get_title() and "Python 3.11.7" in ax.get_title()


def test_latencies_one_box_per_condition():
    fig = plots.plot_latencies({"alone": [0.001, 0.002], "with a CPU thread": [0.005, 0.01]}, title="Echo", show=False)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["alone", "with a CPU thread"]
    assert ax.get_title().startswith("Echo (Python")


@pytest.mark.parametrize(
    "call",
    [
        lambda: plots.plot_comparison([], show=False),
        lambda: plots.plot_comparison(result("threads", 1, 1), show=False),
        lambda: plots.plot_comparison([1, 2], show=False),
        lambda: plots.plot_timeline("timeline", show=False),
        lambda: plots.plot_latencies([], show=False),
        lambda: plots.plot_latencies({"x": []}, show=False),
    ],
)
def test_bad_input(call):
    with pytest.raises((TypeError, ValueError)):
        call()
