import os
import platform
import sys
import threading

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from thread_checks import threads_left, threads_now

from utils import convoy
from utils.convoy import LatencyResult, Sweep


def result(latencies, cpu_threads=0, interval=0.005, wall=None, chunks=None, nice=0):
    return LatencyResult(
        io="echo", requests=len(latencies), cpu_threads=cpu_threads, switch_interval=interval,
        latencies=list(latencies), wall=wall if wall is not None else sum(latencies),
        cpu_chunks=chunks if chunks is not None else [0] * cpu_threads, cpu_nice=nice, wait=0.001,
        python="3.11.7", cpu_count=2,
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
    with pytest.raises(ValueError, match="unknown"):
        LatencyResult.from_dict({**r.to_dict(), "colour": 1})
    with pytest.raises(TypeError):
        LatencyResult.from_dict([1])


def test_slowdown_is_the_ratio_of_medians():
    assert convoy.slowdown(result([0.001, 0.001]), result([0.006, 0.006], 1)) == pytest.approx(6)
    with pytest.raises(TypeError):
        convoy.slowdown(0.001, result([0.001]))


def test_sleep_requests_alone_take_about_the_wait_and_leave_no_threads():
    before = threads_now()
    r = convoy.io_latencies(requests=20, io="sleep", wait=0.002)
    assert len(r.latencies) == 20 and r.cpu_chunks == [] and r.cpu_threads == 0
    assert min(r.latencies) >= 0.002
    assert r.python == platform.python_version() and r.switch_interval == sys.getswitchinterval()
    assert not threads_left(before)


def test_a_cpu_thread_delays_the_io_thread_by_about_a_switch_interval():
    previous = sys.getswitchinterval()
    alone = convoy.io_latencies(requests=20, io="sleep", wait=0.001, switch_interval=0.01)
    loaded = convoy.io_latencies(requests=20, cpu_threads=1, io="sleep", wait=0.001, switch_interval=0.01)
    assert sys.getswitchinterval() == previous  # restored
    assert loaded.switch_interval == 0.01
    assert loaded.median > alone.median + 0.005  # waited (most of) a 10 ms interval for the GIL
    assert convoy.slowdown(alone, loaded) > 3
    assert loaded.cpu_chunks[0] > 0


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
        if ratios[-1] > 3:
            break
    assert max(ratios) > 3, ratios
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


def test_isolated_latencies_run_in_a_fresh_process():
    r = convoy.isolated_latencies(requests=5, io="sleep", wait=0.001, timeout=20)
    assert isinstance(r, LatencyResult) and len(r.latencies) == 5


def test_plot_sweep_axes_data_and_labels():
    results = [
        result([0.0015] * 3, 1, interval=0.0005, wall=1.0, chunks=[900]),
        result([0.006] * 3, 1, interval=0.005, wall=1.0, chunks=[1000]),
    ]
    fig = convoy.plot_sweep(Sweep(results[::-1], [1000 * convoy.CHUNK, 1000 * convoy.CHUNK]), show=False)
    left, right = fig.axes
    median, p95, reference = left.lines
    assert list(median.get_xdata()) == pytest.approx([0.5, 5])
    assert list(median.get_ydata()) == pytest.approx([1.5, 6])
    assert list(p95.get_ydata()) == pytest.approx([1.5, 6])
    assert list(reference.get_ydata()) == pytest.approx([1.5, 6])  # server delay (1 ms) + one interval
    assert reference.get_label() == "server delay + one switch interval"
    assert list(right.lines[0].get_ydata()) == pytest.approx([0.9, 1.0])
    assert "switch interval (ms)" in left.get_xlabel() and "latency" in left.get_ylabel()
    assert "work rate" in right.get_ylabel()
    fig.canvas.draw()
    assert [t.get_text() for t in left.get_xticklabels()] == ["0.5", "5"]  # the intervals, in ms
    title = fig._suptitle.get_text()
    assert "Python 3.11.7" in title and "2 CPUs" in title and "1 CPU thread" in title


@pytest.mark.parametrize(
    "arg",
    [[], Sweep([], []), Sweep([result([0.001], 1, chunks=[1])], [0.0]), Sweep([result([0.001], 1, chunks=[1])], [])],
)
def test_plot_sweep_bad_input(arg):
    with pytest.raises((TypeError, ValueError)):
        convoy.plot_sweep(arg, show=False)
