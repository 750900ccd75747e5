import matplotlib

matplotlib.use("Agg")

import json
import sys
import threading

import pytest

from utils.gil_internals import (
    INTERVALS_MS,
    CheckPoints,
    SwitchIntervalExplorer,
    add_in_place,
    add_through_call,
    checkpoints_isolated,
    describe_timeline,
    eval_breaker_checkpoints,
    handovers,
    increment,
    median_handovers,
    plus_one,
    read_modify_write,
    sweep_switch_intervals,
)
from utils.timeline import Timeline


def test_plus_equals_is_a_load_an_add_and_a_store():
    steps = read_modify_write(increment, "value")
    assert [s.role for s in steps] == ["load", "add", "store"]
    assert steps[0].offset < steps[1].offset < steps[2].offset
    assert (steps[0].opname, steps[2].opname) == ("LOAD_ATTR", "STORE_ATTR")
    if sys.version_info < (3, 11):
        assert steps[1].opname == "INPLACE_ADD"
    else:
        assert (steps[1].opname, steps[1].argrepr) == ("BINARY_OP", "+=")


def test_read_modify_write_without_an_add_or_without_the_name():
    assert [s.role for s in read_modify_write(add_through_call, "value")] == ["load", "store"]
    assert [s.role for s in read_modify_write(add_in_place, "value")] == ["load", "add", "store"]
    assert read_modify_write(plus_one, "value") == []  # never stores "value"
    with pytest.raises(TypeError):
        read_modify_write(len, "value")  # a builtin has no bytecode
    with pytest.raises(TypeError):
        read_modify_write(increment, "")


def test_checks_never_fall_inside_a_plain_increment_but_do_inside_a_call():
    plain = eval_breaker_checkpoints("add_in_place", iterations=1_000_000, interval=0.0005)
    called = eval_breaker_checkpoints("add_through_call", iterations=1_000_000, interval=0.0005)
    assert plain.total > 10 and called.total > 10  # ~0.05 s of loop at one signal per 0.5 ms
    assert plain.inside == 0
    assert called.inside > 0
    assert sum(plain.by_instruction.values()) == plain.total
    backward = "JUMP_ABSOLUTE" if sys.version_info < (3, 11) else "JUMP_BACKWARD"
    assert backward in plain.instructions("add_in_place")
    assert called.instructions("plus_one")  # the callee's start is a check point on every version


def test_a_c_call_inside_is_a_check_point_except_for_fast_paths():
    called_c = eval_breaker_checkpoints("add_abs", iterations=1_000_000)
    assert called_c.inside > 0  # abs(): checked when the call returns, on every version
    length = eval_breaker_checkpoints("add_len", iterations=1_000_000)
    assert length.total > 10
    if (3, 11) <= sys.version_info < (3, 14):
        assert length.inside == 0  # the specialised len() call skips the check (measured on 3.11-3.13)
    elif sys.version_info < (3, 11):
        assert length.inside > 0  # 3.10 checks after every CALL_FUNCTION


def test_checkpoints_need_the_main_thread_and_valid_arguments():
    errors = []

    def in_a_thread():
        try:
            eval_breaker_checkpoints("add_in_place", iterations=1000)
        except RuntimeError as exc:
            errors.append(exc)

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join(10)
    assert errors and "main thread" in str(errors[0])
    with pytest.raises(ValueError, match="unknown loop"):
        eval_breaker_checkpoints("nope")
    with pytest.raises(TypeError):
        eval_breaker_checkpoints("add_in_place", iterations=1.5)
    with pytest.raises(ValueError):
        eval_breaker_checkpoints("add_in_place", interval=0)


def test_checkpoints_in_a_fresh_process_round_trip():
    spots = checkpoints_isolated("add_in_place", iterations=500_000)
    assert isinstance(spots, CheckPoints) and spots.loop == "add_in_place" and spots.inside == 0
    assert CheckPoints.from_dict(json.loads(json.dumps(spots.to_dict()))) == spots
    with pytest.raises(TypeError):
        CheckPoints.from_dict([1, 2])


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
    assert 0.1 in INTERVALS_MS and 50.0 in INTERVALS_MS
    with pytest.raises(ValueError):
        SwitchIntervalExplorer(interval_ms=3.0)
    with pytest.raises(ValueError):
        SwitchIntervalExplorer(workload="primes")
    with pytest.raises(ValueError):
        SwitchIntervalExplorer(threads=0)
