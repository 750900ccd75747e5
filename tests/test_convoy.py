import os
import platform
import sys
import threading

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from thread_checks import threads_left, threads_now

from utils.engine import environment
from utils.engine.isolation import isolated
from utils.lessons import convoy, convoy_plots
from utils.lessons.convoy import LatencyResult, Sweep

GIL = environment.gil_enabled()


def result(latencies, cpu_threads=0, interval=0.005, wall=None, chunks=None, nice=0, sends=None):
    return LatencyResult(
        io="echo",
        requests=len(latencies),
        cpu_threads=cpu_threads,
        switch_interval=interval,
        latencies=list(latencies),
        wall=wall if wall is not None else sum(latencies),
        cpu_chunks=chunks if chunks is not None else [0] * cpu_threads,
        cpu_nice=nice,
        wait=0.001,
        python="3.11.7",
        cpu_count=2,
        send_times=list(sends) if sends is not None else [],
    )


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_percentile_nearest_rank():
    values = list(range(1, 101))
    assert convoy.percentile(values, 95) == 95
    assert convoy.percentile(values, 100) == 100
    assert convoy.percentile([3.0], 95) == 3.0
    assert convoy.percentile([5, 1, 4, 2, 3], 50) == 3
    with pytest.raises(ValueError):
        convoy.percentile([], 95)
    with pytest.raises(ValueError):
        convoy.percentile([1], 0)


def test_result_statistics_and_round_trip():
    r = result([0.001] * 18 + [0.010, 0.020], cpu_threads=2, wall=0.5, chunks=[100, 300], nice=19)
    assert r.median == pytest.approx(0.001)
    assert r.p95 == pytest.approx(0.010)
    assert r.throughput == pytest.approx(20 / 0.5)
    assert r.cpu_rate == pytest.approx(400 * convoy.CHUNK / 0.5)
    assert r.label == "with 2 CPU threads (nice 19)"
    assert "median" in r.summary() and "1.000 ms" in r.summary()
    assert LatencyResult.from_dict(r.to_dict()) == r
    older = {k: v for k, v in r.to_dict().items() if k != "send_times"}  # a result saved before send_times
    assert LatencyResult.from_dict(older).send_times == []
    with pytest.raises(ValueError, match="unknown"):
        LatencyResult.from_dict({**r.to_dict(), "colour": 1})
    with pytest.raises(TypeError):
        LatencyResult.from_dict([1])


def test_breakdown_splits_each_request_at_sendall():
    r = result([0.006, 0.0062, 0.0011], 1, interval=0.005, sends=[0.00002, 0.0051, 0.00001])
    assert r.waited_in_send() == 1  # only the 5.1 ms sendall waited (half an interval or more)
    assert r.breakdown() == (
        "with 1 CPU thread: sendall median 0.020 ms (1 of 3 waited half an interval or more), recv median 1.100 ms"
    )
    with pytest.raises(ValueError, match="echo"):
        result([0.001]).breakdown()  # no send times: nothing to split


def test_expected_latency_ranges():
    assert convoy.expected_latency("sleep", 0.001, 0.01) == pytest.approx((0.011, 0.011))
    assert convoy.expected_latency("echo", 0.001, 0.005) == pytest.approx((0.005, 0.011))
    assert convoy.expected_latency("echo", 0.001, 0.0005) == pytest.approx((0.001, 0.002))
    for args, error in [
        (("disk", 0.001, 0.005), ValueError),
        (("echo", -1, 0.005), ValueError),
        (("echo", 0.001, 0), ValueError),
        (("echo", "1", 0.005), TypeError),
    ]:
        with pytest.raises(error):
            convoy.expected_latency(*args)


def test_slowdown_is_the_ratio_of_medians():
    assert convoy.slowdown(result([0.001, 0.001]), result([0.006, 0.006], 1)) == pytest.approx(6)
    with pytest.raises(TypeError):
        convoy.slowdown(0.001, result([0.001]))


def test_made_up_pairs_tell_every_wrong_slowdown_from_the_right_one():
    pairs = convoy.made_up_pairs(30, seed=1)
    assert len(pairs) == 30 and pairs == convoy.made_up_pairs(30, seed=1)  # a seed gives the same pairs
    lengths = set()
    for alone, loaded in pairs:
        assert (alone.cpu_threads, loaded.cpu_threads) == (0, 1) and alone.python == "made up"
        right = convoy.slowdown(alone, loaded)
        assert 1.5 < right < 8
        middle = [r.latencies[len(r.latencies) // 2] for r in (alone, loaded)]
        wrong = [
            1 / right,
            sum(loaded.latencies) / len(loaded.latencies) / (sum(alone.latencies) / len(alone.latencies)),
            loaded.p95 / alone.p95,
            loaded.median - alone.median,
            middle[1] / middle[0],
        ]
        assert all(abs(w - right) > 0.1 * right for w in wrong), (right, wrong)
        lengths |= {len(alone.latencies) % 2, len(loaded.latencies) % 2}
    assert lengths == {0, 1}  # odd and even lengths: a median of an even list is a mean of two
    with pytest.raises(ValueError):
        convoy.made_up_pairs(0)
    with pytest.raises(TypeError):
        convoy.made_up_pairs("5")


def test_sleep_requests_alone_take_about_the_wait_and_leave_no_threads():
    before = threads_now()
    r = convoy.io_latencies(requests=20, io="sleep", wait=0.002)
    assert len(r.latencies) == 20 and r.cpu_chunks == [] and r.cpu_threads == 0
    assert min(r.latencies) >= 0.002
    assert r.python == platform.python_version() and r.switch_interval == sys.getswitchinterval()
    here = environment.where_it_ran()  # the one record: python, GIL and usable CPUs (not the machine's CPUs)
    assert (r.python, r.gil_enabled, r.cpu_count) == (here.python, here.gil_enabled, here.usable_cpus)
    assert not threads_left(before)


def test_a_cpu_thread_delays_the_io_thread_by_about_a_switch_interval():
    previous = sys.getswitchinterval()
    alone = convoy.io_latencies(requests=20, io="sleep", wait=0.001, switch_interval=0.01)
    # As in the sweep test: a busy machine can keep the CPU thread off its CPU for a whole short
    # run, and then it cannot take the GIL; the wait must show in at least one of three runs.
    for _ in range(3):
        loaded = convoy.io_latencies(requests=20, cpu_threads=1, io="sleep", wait=0.001, switch_interval=0.01)
        assert sys.getswitchinterval() == previous  # restored
        assert loaded.switch_interval == 0.01 and loaded.gil_enabled == GIL
        assert loaded.cpu_chunks[0] > 0
        if not GIL or loaded.median > alone.median + 0.005:
            break
    if GIL:
        assert loaded.median > alone.median + 0.005  # waited (most of) a 10 ms interval for the GIL
        assert convoy.slowdown(alone, loaded) > 3
    else:  # GIL off: the CPU thread runs beside the sleeper, which never waits for an interval
        assert loaded.median < alone.median + 0.005


def test_echo_requests_wait_for_the_gil_in_whole_switch_intervals():
    interval, requests = 0.01, 20
    low, _ = convoy.expected_latency("echo", 0.001, interval)
    medians = []
    # A busy machine can keep the CPU thread off its CPU, so that it cannot take the GIL during
    # a run; the wait must show in at least one of three runs (it shows in nearly every one).
    for _ in range(3):
        r = convoy.io_latencies(requests=requests, cpu_threads=1, io="echo", wait=0.001, switch_interval=interval)
        assert len(r.send_times) == len(r.latencies) == requests
        assert all(0 < sent < total for sent, total in zip(r.send_times, r.latencies))
        medians.append(r.median)
        if not GIL or r.median > 0.9 * low:
            break
    if GIL:
        assert max(medians) > 0.9 * low, medians  # at least one interval, or the server's delay if longer
    else:  # nothing waits for a GIL: no request takes anywhere near a 10 ms interval
        assert r.median < interval / 2 and r.waited_in_send() <= requests // 10, r.breakdown()


def test_echo_round_trips_with_a_cpu_thread():
    r = convoy.io_latencies(requests=10, cpu_threads=1, io="echo", wait=0.0)
    assert r.io == "echo" and len(r.latencies) == 10 and all(x > 0 for x in r.latencies)
    assert len(r.cpu_chunks) == 1


def test_the_echo_server_is_stopped_even_on_a_time_out(monkeypatch):
    stopped = []

    class Recording(convoy.EchoServer):
        def stop(self):
            stopped.append(self.running)
            super().stop()

    monkeypatch.setattr(convoy, "EchoServer", Recording)
    with pytest.raises(TimeoutError):
        convoy.io_latencies(requests=1000, io="echo", wait=0.01, timeout=0.1)
    assert stopped and stopped[0] is True


def test_sleep_requests_time_out():
    before = threads_now()
    with pytest.raises(TimeoutError):
        convoy.io_latencies(requests=1000, cpu_threads=1, io="sleep", wait=0.01, timeout=0.1)
    assert not threads_left(before)


@pytest.mark.skipif(not convoy.nice_supported(), reason="per-thread nice needs Linux")
def test_nice_lowers_only_the_cpu_threads_priority():
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    r = convoy.io_latencies(requests=5, cpu_threads=1, io="sleep", wait=0.001, cpu_nice=convoy.LOWEST_PRIORITY)
    assert r.cpu_nice == convoy.LOWEST_PRIORITY and r.cpu_chunks[0] > 0
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"io": "disk"}, ValueError),
        ({"requests": 0}, ValueError),
        ({"requests": 1.5}, TypeError),
        ({"cpu_threads": -1}, ValueError),
        ({"cpu_nice": 20}, ValueError),
        ({"cpu_nice": -5}, ValueError),
        ({"wait": -1}, ValueError),
        ({"wait": "1"}, TypeError),
        ({"switch_interval": 0}, ValueError),
        ({"timeout": 0}, ValueError),
    ],
)
def test_bad_input(kwargs, error):
    with pytest.raises(error):
        convoy.io_latencies(**kwargs)


def test_sweep_latency_grows_with_the_switch_interval():
    previous = sys.getswitchinterval()
    ratios = []
    # On a busy machine the OS can deschedule the CPU thread and hide the convoy in one short
    # sweep; the effect must show in at least one of three (it shows in nearly every one).
    for _ in range(3):
        sweep = convoy.sweep_switch_interval([0.02, 0.0005], requests=12, io="sleep", wait=0.001)
        assert [r.switch_interval for r in sweep.results] == [0.0005, 0.02]
        assert sys.getswitchinterval() == previous
        ratios.append(sweep.results[1].median / sweep.results[0].median)
        if not GIL or ratios[-1] > 3:
            break
    if GIL:
        assert max(ratios) > 3, ratios
    else:  # GIL off: the switch interval sets no wait, so 20 ms costs the sleeper nothing
        assert sweep.results[1].median < 0.005, sweep.results[1].summary()
    assert len(sweep.cpu_alone_rates) == 2 and min(sweep.cpu_alone_rates) > 0
    assert sweep.cpu_shares == [r.cpu_rate / a for r, a in zip(sweep.results, sweep.cpu_alone_rates)]
    assert Sweep.from_dict(sweep.to_dict()) == sweep


@pytest.mark.parametrize(
    "kwargs",
    [{"intervals": []}, {"intervals": "0.005"}, {"intervals": [0]}, {"intervals": [0.005], "cpu_threads": 0}],
)
def test_sweep_bad_input(kwargs):
    with pytest.raises((TypeError, ValueError)):
        convoy.sweep_switch_interval(**kwargs)


def test_the_experiments_run_in_a_fresh_process():
    r = isolated(convoy.io_latencies, requests=5, io="sleep", wait=0.001, timeout=30)
    assert isinstance(r, LatencyResult) and len(r.latencies) == 5
    sweep = isolated(convoy.sweep_switch_interval, (0.005, 0.001), requests=3, io="sleep", timeout=30)
    assert isinstance(sweep, Sweep) and all(isinstance(x, LatencyResult) for x in sweep.results)
    assert [x.switch_interval for x in sweep.results] == [0.001, 0.005]
    with pytest.raises(ValueError, match="io must be one of"):  # raised in the worker, back as itself
        isolated(convoy.io_latencies, io="disk", timeout=30)


def test_sweep_round_trips_and_rejects_strangers():
    sweep = Sweep([result([0.001, 0.002], 1, chunks=[5])], [1000.0])
    assert Sweep.from_dict(sweep.to_dict()) == sweep
    with pytest.raises(ValueError, match="unknown Sweep fields"):
        Sweep.from_dict({**sweep.to_dict(), "colour": "red"})


# --- the scenario for CPython 3.15's profiler ---------------------------------------------------


def test_convoy_threads_runs_a_named_io_thread_beside_a_cpu_thread(monkeypatch):
    seen = {}
    original = convoy._echo_requests

    def spy(*args, **kwargs):
        seen["me"] = threading.current_thread().name
        seen["all"] = {t.name for t in threading.enumerate()}
        return original(*args, **kwargs)

    monkeypatch.setattr(convoy, "_echo_requests", spy)
    before = threads_now()
    r = convoy.convoy_threads(0.2, switch_interval=0.002)
    assert seen["me"] == convoy.IO_THREAD and convoy.CPU_THREAD in seen["all"]
    assert not threads_left(before)
    assert sys.getswitchinterval() == 0.005 and r.switch_interval == pytest.approx(0.002)
    assert r.io == "echo" and r.cpu_threads == 1 and r.requests == len(r.latencies) == len(r.send_times) >= 1
    assert r.wall >= 0.2  # it makes requests until the time is up, then stops
    assert r.cpu_chunks[0] > 0


@pytest.mark.skipif(not GIL or environment.usable_cpus() < 2, reason="the convoy needs the GIL and 2+ CPUs")
def test_convoy_threads_io_thread_waits_for_the_gil():
    medians = []
    for _ in range(3):  # a busy machine can hide the convoy in one short run
        r = convoy.convoy_threads(0.2)
        medians.append(r.median)
        if r.median > r.switch_interval / 2:
            break
    assert max(medians) > 0.0025, medians


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"seconds": 0}, ValueError),
        ({"seconds": 5, "timeout": 2}, ValueError),
        ({"wait": "1"}, TypeError),
        ({"switch_interval": 2}, ValueError),
    ],
)
def test_convoy_threads_bad_input(kwargs, error):
    with pytest.raises(error):
        convoy.convoy_threads(**kwargs)


def test_plot_sweep_axes_data_and_labels():
    results = [
        result([0.0015] * 3, 1, interval=0.0005, wall=1.0, chunks=[900]),
        result([0.006] * 3, 1, interval=0.005, wall=1.0, chunks=[1000]),
    ]
    fig = convoy_plots.plot_sweep(Sweep(results[::-1], [1000 * convoy.CHUNK, 1000 * convoy.CHUNK]), show=False)
    left, right = fig.axes
    median, p95, low, high = left.lines
    assert list(median.get_xdata()) == pytest.approx([0.5, 5])
    assert list(median.get_ydata()) == pytest.approx([1.5, 6])
    assert list(p95.get_ydata()) == pytest.approx([1.5, 6])
    assert list(low.get_ydata()) == pytest.approx([1, 5])  # the server delay (1 ms), or one interval if longer
    assert list(high.get_ydata()) == pytest.approx([2, 11])  # server delay + two intervals
    assert low.get_label() == "with the GIL: max(server delay, one interval)"
    assert high.get_label() == "with the GIL: server delay + two intervals"
    assert len(left.collections) == 1  # the range between them is shaded
    assert list(right.lines[0].get_ydata()) == pytest.approx([0.9, 1.0])
    assert "switch interval (ms)" in left.get_xlabel() and "latency" in left.get_ylabel()
    assert "work rate" in right.get_ylabel()
    fig.canvas.draw()
    assert [t.get_text() for t in left.get_xticklabels()] == ["0.5", "5"]  # the intervals, in ms
    title = fig._suptitle.get_text()
    assert "Python 3.11.7" in title and "2 CPUs" in title and "1 CPU thread" in title


def test_plot_sweep_of_sleeps_has_one_reference_line():
    results = [result([0.0015] * 3, 1, interval=0.0005, wall=1.0, chunks=[900])]
    results[0].io = "sleep"
    left, _ = convoy_plots.plot_sweep(Sweep(results, [1000 * convoy.CHUNK]), show=False).axes
    reference = left.lines[-1]
    assert len(left.lines) == 3 and reference.get_label() == "with the GIL: sleep + one interval"
    assert list(reference.get_ydata()) == pytest.approx([1.5])  # the 1 ms sleep + one 0.5 ms interval


@pytest.mark.parametrize(
    "arg",
    [[], Sweep([], []), Sweep([result([0.001], 1, chunks=[1])], [0.0]), Sweep([result([0.001], 1, chunks=[1])], [])],
)
def test_plot_sweep_bad_input(arg):
    with pytest.raises((TypeError, ValueError)):
        convoy_plots.plot_sweep(arg, show=False)
