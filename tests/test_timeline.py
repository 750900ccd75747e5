import json
import threading
import time

import pytest

from utils.engine import environment
from utils.engine.timeline import Timeline, instrumentation_overhead, intervals, record_timeline, run_together


def test_intervals_merge_close_notes_and_split_at_gaps():
    stamps = [0.0, 0.1, 0.2, 1.0, 1.1, 3.0]
    assert intervals(stamps, gap=0.5) == [[0.0, 0.2], [1.0, 1.1]]
    assert intervals([0.0], gap=0.5) == []
    with pytest.raises(ValueError, match="gap"):
        intervals(stamps, gap=0)


def test_overlap_and_busy_from_lanes():
    t = Timeline("countdown", 2, 1, 0.005, wall=4.0, lanes=[[[0.0, 2.0]], [[1.0, 3.0]]])
    assert t.overlap == pytest.approx(0.25)
    assert t.busy() == [2.0, 2.0] and t.turns == 2
    assert Timeline.from_dict(json.loads(json.dumps(t.to_dict()))) == t


def test_gil_bound_threads_take_turns():
    timeline = record_timeline("countdown", threads=2, size=2_000_000)
    where = environment.where_it_ran()  # cpu_count is the usable CPUs, filled by Timeline.made_on
    assert (timeline.python, timeline.cpu_count) == (where.python, where.usable_cpus)
    assert timeline.gil_enabled == where.gil_enabled
    assert len(timeline.lanes) == 2 and all(timeline.lanes)
    if timeline.gil_enabled:
        assert timeline.overlap < 0.25  # one thread runs Python at a time
        assert timeline.turns > 2  # ... and they hand over, not one after the other


def test_without_the_gil_threads_run_python_at_once():
    if environment.gil_enabled() or environment.usable_cpus() < 2:
        pytest.skip("needs a free-threaded build with the GIL off and 2 CPUs")
    # Best of 3: on a busy machine the OS, not a GIL, may keep one thread off its CPU for a while.
    overlaps = [record_timeline("countdown", threads=2, size=4_000_000).overlap for _ in range(3)]
    if max(overlaps) <= 0.25:
        # A control with no GIL involved: two processes. If they cannot overlap either, the machine
        # (a shared VM) gave this test fewer than 2 CPUs just now, and the GIL cannot be judged.
        from utils.engine.executors import run

        control = run("countdown", "processes", 2, size=4_000_000, repeat=1)
        if control.parallelism < 1.5:
            pytest.skip(f"fewer than 2 free CPUs just now (2 processes ran on {control.parallelism:.2f} at once)")
    assert max(overlaps) > 0.25, f"two countdown threads overlapped only {overlaps} of the time without a GIL"


def test_a_shorter_switch_interval_means_more_turns():
    # 0.5 ms vs 20 ms: about 40 times as many hand-overs; the OS descheduling a thread on a busy
    # machine adds some turns to both, usually far fewer than that. On a machine loaded ten times over
    # (seen here: load average 12 on 2 cores) one pair in a few can come out the wrong way: best of 3.
    pairs = []
    for _ in range(3):
        fast = record_timeline("countdown", 2, 3_000_000, switch_interval=0.0005)
        slow = record_timeline("countdown", 2, 3_000_000, switch_interval=0.02)
        if not fast.gil_enabled:
            pytest.skip("without the GIL there are no GIL turns")
        assert fast.switch_interval == 0.0005 and slow.switch_interval == 0.02
        pairs.append((fast.turns, slow.turns))
        if fast.turns > slow.turns:
            break
    else:
        pytest.fail(f"(turns at 0.5 ms, turns at 20 ms) in 3 tries: {pairs}")


def test_hashing_threads_record_progress():
    timeline = record_timeline("sha256", threads=2, size=200)
    assert all(busy > 0 for busy in timeline.busy())
    assert 0 <= timeline.overlap <= 1


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(workload="primes"), ValueError),
        (dict(threads=0), ValueError),
        (dict(threads="2"), TypeError),
        (dict(size=0), ValueError),
        (dict(chunk=0), ValueError),
        (dict(switch_interval=-1), ValueError),
    ],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        record_timeline(**kwargs)


def test_instrumentation_overhead_is_small_and_measurable():
    # Notes every 2,000 iterations (the default) cost a few percent at most; notes every 5 iterations
    # cost far more (measured here: +55 % to +82 %), so the measurement can see a real cost. On a busy
    # machine one CPU-time ratio moves by up to about 15 %, so each bound takes the best of three tries.
    assert min(abs(instrumentation_overhead(size=1_000_000, repeat=5)) for _ in range(3)) < 0.1
    assert max(instrumentation_overhead(size=1_000_000, chunk=5, repeat=5) for _ in range(3)) > 0.25


def test_run_together_releases_named_threads_and_reports_failures_and_overruns():
    seen = {}
    start, wall = run_together(lambda i: seen.__setitem__(i, threading.current_thread().name), 3, timeout=10)
    assert seen == {0: "worker-0", 1: "worker-1", 2: "worker-2"} and wall >= 0 and start <= time.perf_counter()
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        run_together(lambda i: 1 / 0, 2, timeout=10)
    before = time.perf_counter()
    with pytest.raises(TimeoutError, match=r"did not finish within 0\.2 s"):
        run_together(lambda i: time.sleep(2), 1, timeout=0.2)
    assert time.perf_counter() - before < 1.5  # the deadline, not the sleep
    with pytest.raises(TypeError):
        run_together("f", 1)
