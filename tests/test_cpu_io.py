import matplotlib

matplotlib.use("Agg")

import threading
import time

import matplotlib.pyplot as plt
import pytest

from utils.engine import environment
from utils.engine.executors import RunResult
from utils.engine.isolation import isolated
from utils.engine.workloads import MiB
from utils.lessons import cpu_io
from utils.lessons.cpu_io import (
    build_label,
    compare_hashing,
    plot_builds,
    plot_summary,
    results_table,
    run_hashing,
)


def result(executor, wall, cpu, workload="countdown", workers=2, **extra):
    return RunResult(
        workload,
        executor,
        workers,
        2,
        1000,
        1,
        wall_times=[wall],
        cpu_times=[cpu],
        python="3.11.7",
        cpu_count=2,
        **extra,
    )


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_run_hashing_structure():
    for executor in cpu_io.HASHING_EXECUTORS:
        r = run_hashing(executor, 2, block=4096, mib_per_task=2, repeat=2)
        assert (r.workload, r.executor, r.tasks, r.repeat) == ("sha256", executor, 2, 2)
        assert r.workers == (1 if executor == "sequential" else 2)
        assert r.size == 2 * MiB // 4096  # blocks per task
        assert len(r.wall_times) == len(r.cpu_times) == 2 and r.cpu > 0
        assert len(r.task_spans) == 2 and all(0 <= s <= e for s, e in r.task_spans)


def test_small_blocks_keep_the_gil_so_threads_use_at_most_about_one_cpu():
    threads = run_hashing("threads", 2, block=1024, mib_per_task=16, repeat=3)
    assert threads.gil_enabled == environment.gil_enabled()
    if threads.gil_enabled:
        # Blocks under 2048 bytes are hashed with the GIL held (HASHLIB_GIL_MINSIZE, Modules/hashlib.h).
        assert threads.parallelism < 1.3, threads.summary()
    else:
        # No GIL (PEP 703): each hash object has its own lock (gh-111916), so 2 threads hashing 2 objects
        # may run at once whatever the block size; the bound left is one CPU per thread. (That they did
        # run at once is not asserted: other programs on the machine can always push the number down.)
        assert threads.parallelism < threads.workers + 0.2, threads.summary()


def test_sequential_hashing_keeps_one_cpu_at_most():
    sequential = run_hashing("sequential", 2, block=MiB, mib_per_task=16, repeat=2)
    assert sequential.parallelism < 1.3  # one thread cannot be on two CPUs at once


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(executor="processes"), ValueError),
        (dict(executor="fibers"), ValueError),
        (dict(executor="threads", workers=0), ValueError),
        (dict(executor="threads", block=0), ValueError),
        (dict(executor="threads", block="1024"), TypeError),
        (dict(executor="threads", mib_per_task=10**6), ValueError),
        (dict(executor="threads", repeat=0), ValueError),
        (dict(executor="threads", timeout=0), ValueError),
    ],
)
def test_run_hashing_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        run_hashing(**kwargs)


def test_compare_hashing_is_keyed_by_block_and_ordered_by_executor():
    data = compare_hashing(blocks=[1024, 8192], workers=2, mib_per_task=1, repeat=1)
    assert list(data) == [1024, 8192]
    for block, results in data.items():
        assert [r.executor for r in results] == ["sequential", "threads"]
        assert all(r.size == MiB // block for r in results)


def test_compare_hashing_in_a_fresh_process_returns_run_results_per_block():
    by_block = isolated(cpu_io.compare_hashing, blocks=(1024, MiB), workers=2, mib_per_task=2, repeat=1)
    assert list(by_block) == [1024, MiB]
    assert all(isinstance(r, RunResult) for results in by_block.values() for r in results)
    assert by_block[MiB][0].size == 2 and by_block[1024][0].size == 2048


@pytest.mark.parametrize("blocks, error", [(1024, TypeError), ("1024", TypeError), ([], ValueError), ([0], ValueError)])
def test_compare_hashing_rejects_bad_blocks(blocks, error):
    with pytest.raises(error):
        compare_hashing(blocks=blocks)


@pytest.mark.parametrize("executors, error", [("threads", TypeError), ([], ValueError), (["fibers"], ValueError)])
def test_compare_hashing_rejects_bad_executors(executors, error):
    with pytest.raises(error):
        compare_hashing(blocks=[4096], executors=executors)


def test_run_hashing_times_out_without_waiting_for_the_task():
    # 256 MiB in 1 KiB blocks takes far longer than 0.05 s; the pool guard (executors.stopping) must not wait for it.
    before = threading.active_count()
    started = time.perf_counter()
    with pytest.raises(TimeoutError, match=r"did not finish within 0\.05 s"):
        run_hashing("threads", 1, block=1024, mib_per_task=256, repeat=1, timeout=0.05)
    elapsed = time.perf_counter() - started
    deadline = time.monotonic() + 30  # a thread cannot be stopped: let it finish, so it loads no later test
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert elapsed < 1.0  # far below the task's own time


def test_results_table_speedups_are_over_the_first_result():
    table = results_table([result("sequential", 2.0, 2.0), result("threads", 2.2, 2.0), result("processes", 1.0, 2.0)])
    header, seq, thr, proc = table.splitlines()
    assert "speedup" in header and "eff. parallelism" in header
    assert seq.split()[0] == "sequential" and "1.00x" in seq
    assert "0.91x" in thr and thr.endswith("0.91")  # 2.0 / 2.2
    assert "2.00x" in proc and proc.endswith("2.00")


def test_results_table_labels_and_unavailable_rows():
    missing = RunResult("countdown", "interpreters", 2, 2, 10, 1, available=False, reason="needs 3.14")
    table = results_table([result("sequential", 1.0, 1.0), missing], labels=["one by one", "subinterpreters"])
    assert table.splitlines()[1].startswith("one by one")
    assert "subinterpreters" in table and "not available: needs 3.14" in table


@pytest.mark.parametrize(
    "args, error",
    [
        (([],), ValueError),
        ((result("sequential", 1, 1),), TypeError),
        (([{"wall": 1}],), TypeError),
        (([result("sequential", 1, 1)], ["a", "b"]), ValueError),
        (([result("sequential", 1, 1)], "a"), ValueError),
    ],
)
def test_results_table_rejects_bad_input(args, error):
    with pytest.raises(error):
        results_table(*args)


def test_plot_summary_draws_one_bar_per_compared_result():
    groups = {
        "countdown": [result("sequential", 2.0, 2.0), result("threads", 2.0, 2.0), result("processes", 1.0, 2.0)],
        "sleep": [result("sequential", 2.0, 0.0, "sleep"), result("threads", 1.0, 0.0, "sleep")],
    }
    fig = plot_summary(groups, show=False)
    left, right = fig.axes
    assert sorted(p.get_height() for p in left.patches) == pytest.approx([1.0, 2.0, 2.0])  # speedups
    assert sorted(p.get_height() for p in right.patches) == pytest.approx([0.0, 1.0, 2.0])  # parallelism
    assert [t.get_text() for t in left.get_xticklabels()] == ["countdown", "sleep"]
    assert any(line.get_ydata()[0] == 2 and line.get_linestyle() == "--" for line in left.lines)  # ideal
    assert "Python 3.11.7" in fig._suptitle.get_text() and "2 CPUs" in fig._suptitle.get_text()
    centres = sorted(p.get_x() + p.get_width() / 2 for p in left.patches)
    assert centres == pytest.approx([-0.2, 0.2, 1.0])  # each group's bars centred on its tick


def test_plot_summary_skips_unavailable_results():
    missing = RunResult("countdown", "interpreters", 2, 2, 10, 1, available=False, reason="no", python="3.11.7")
    fig = plot_summary({"countdown": [result("sequential", 1.0, 1.0), missing]}, show=False)
    assert len(fig.axes[0].patches) == 0


@pytest.mark.parametrize(
    "groups, error",
    [
        ({}, TypeError),
        ([result("sequential", 1, 1)], TypeError),
        ({"a": [result("sequential", 1, 1)]}, ValueError),
        ({"a": "not results"}, TypeError),
    ],
)
def test_plot_summary_rejects_bad_groups(groups, error):
    with pytest.raises(error):
        plot_summary(groups, show=False)


def test_plot_builds_labels_each_bar_with_its_build():
    standard = [result("sequential", 2.0, 2.0), result("threads", 2.0, 2.0), result("processes", 1.0, 2.0)]
    free = [
        result("sequential", 2.5, 2.5, free_threaded=True, gil_enabled=False),
        result("threads", 1.25, 2.5, free_threaded=True, gil_enabled=False),
    ]
    fig = plot_builds({"standard": standard, "free-threaded": free}, show=False)
    left, right = fig.axes
    assert sorted(p.get_height() for p in left.patches) == pytest.approx([1.0, 2.0, 2.0])  # each over its own baseline
    assert sorted(p.get_height() for p in right.patches) == pytest.approx([1.0, 2.0, 2.0])
    hatched = [p for p in left.patches if p.get_hatch()]
    assert len(hatched) == 1 and hatched[0].get_height() == pytest.approx(2.0)  # the GIL-off threads
    legend = [t.get_text() for t in left.get_legend().get_texts()]
    assert build_label(free[1]) in legend and build_label(standard[1]) in legend
    assert "Python 3.11.7" not in fig._suptitle.get_text() and "2 CPUs" in fig._suptitle.get_text()


def test_build_label_names_the_build_and_the_gil():
    assert build_label(result("threads", 1, 1)) == "threads on 3.11.7 (standard, GIL on)"
    assert "free-threaded, GIL off" in build_label(result("threads", 1, 1, free_threaded=True, gil_enabled=False))
    assert "free-threaded, GIL on" in build_label(result("threads", 1, 1, free_threaded=True))
