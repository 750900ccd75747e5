import matplotlib

matplotlib.use("Agg")

import pytest

from utils.engine.environment import free_threaded_build
from utils.engine.timeline import Timeline
from utils.lessons.switching import (
    INTERVALS_MS,
    SwitchIntervalExplorer,
    describe_timeline,
    handovers,
    median_handovers,
    sweep_switch_intervals,
)


def test_handovers_count_changes_of_thread_not_bars():
    t = Timeline("countdown", 2, 1, 0.005, wall=3.0, lanes=[[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0]]])
    assert handovers(t) == 2 and t.turns == 3
    paused = Timeline("countdown", 2, 1, 0.005, wall=3.0, lanes=[[[0.0, 1.0], [1.5, 2.0]], [[2.0, 3.0]]])
    assert handovers(paused) == 1 and paused.turns == 3  # the OS paused thread 0: a bar, no hand-over
    text = describe_timeline(t)
    assert "2 hand-overs" in text and "3 turns" in text and "5 ms" in text
    with pytest.raises(TypeError):
        handovers({"lanes": []})


def test_a_shorter_switch_interval_hands_over_more_often():
    sweep = sweep_switch_intervals((0.0005, 0.05), size=2_000_000)
    assert list(sweep) == [0.0005, 0.05] and all(len(v) == 1 for v in sweep.values())
    fast, slow = sweep[0.0005][0], sweep[0.05][0]
    assert fast.switch_interval == 0.0005 and slow.switch_interval == 0.05
    if fast.gil_enabled:
        medians = median_handovers(sweep)
        assert medians[0.0005] > medians[0.05]
    else:  # no GIL to hand over: the operating system alone decides when each thread runs
        assert free_threaded_build() and not slow.gil_enabled
        assert all(lane for t in (fast, slow) for lane in t.lanes)  # both threads ran at both intervals


@pytest.mark.parametrize(
    "args, kwargs, error",
    [
        (("0.005",), {}, TypeError),
        (((),), {}, TypeError),
        (((0.0,),), {}, ValueError),
        (((0.005,),), dict(workload="primes"), ValueError),
        (((0.005,),), dict(threads=0), ValueError),
        (((0.005,),), dict(repeat=0), ValueError),
        (((0.005,),), dict(size=0), ValueError),
    ],
)
def test_sweep_rejects_bad_arguments(args, kwargs, error):
    with pytest.raises(error):
        sweep_switch_intervals(*args, **kwargs)
    with pytest.raises(TypeError):
        median_handovers({})


def test_explorer_records_at_the_slider_value():
    explorer = SwitchIntervalExplorer(size=1_000_000)
    assert explorer.slider.value == 5.0 and "5 ms" in explorer.status.value
    explorer.slider.value = 0.5
    assert "0.5 ms" in explorer.status.value and "Record" in explorer.status.value
    timeline = explorer.record()
    assert timeline.switch_interval == explorer.slider.value / 1000 == 0.0005
    assert "turns" in explorer.status.value and "hand-overs" in explorer.status.value
    assert explorer.history.value.count("<tr>") == 2  # header + one run
    assert explorer.figure is not None and not explorer.button.disabled
    explorer.slider.value = 50.0
    explorer.button.click()  # what a learner does; runs headlessly here
    assert [t.switch_interval for t in explorer.timelines] == [0.0005, 0.05]
    assert explorer.history.value.count("<tr>") == 3


def test_explorer_rejects_bad_settings():
    assert list(INTERVALS_MS) == sorted(set(INTERVALS_MS))  # the slider runs from short to long, no repeats
    with pytest.raises(ValueError):
        SwitchIntervalExplorer(interval_ms=3.0)
    with pytest.raises(ValueError):
        SwitchIntervalExplorer(workload="primes")
    with pytest.raises(ValueError):
        SwitchIntervalExplorer(threads=0)
