import threading
import time

import pytest
from thread_checks import threads_left, threads_now

from utils.engine import counters
from utils.engine.counters import (
    Counter,
    Tally,
    add_in_place,
    add_through_call,
    add_under_lock,
    count_in_threads,
    increment,
    run_threads,
)


def test_the_loops_count_right_on_one_thread():
    for loop in (add_in_place, add_through_call, add_under_lock):
        counter = Counter(5)
        loop(counter, 1_000)
        assert counter.value == 1_005, loop.__name__
    counter = Counter()
    increment(counter)
    assert counter.value == 1 and not counter.lock.locked()


def test_count_in_threads_tallies_expected_and_actual():
    n = 2 * counters.CHUNK + 7  # not a multiple of the chunk size
    tally = count_in_threads(add_under_lock, threads=3, iterations=n)
    assert (tally.threads, tally.iterations, tally.expected, tally.actual, tally.lost) == (3, n, 3 * n, 3 * n, 0)
    assert Tally.from_dict(tally.to_dict()) == tally


def test_a_call_between_read_and_write_loses_updates():
    # With the GIL (3.10+) a switch lands inside add_one; without it the threads run at once.
    # 4 x 1,000,000 lost updates on every run measured on 3.10-3.15 and 3.13t; allow 3 tries.
    for _ in range(3):
        tally = count_in_threads(add_through_call, threads=4, iterations=1_000_000)
        if tally.lost > 0:
            break
    assert 0 < tally.actual < tally.expected


def test_a_custom_counter_and_reader():
    class Pair(Counter):
        def __init__(self) -> None:
            super().__init__()
            self.items: list[int] = []

    def append(pair: Pair, n: int) -> None:
        for _ in range(n):
            pair.items.append(1)

    pair = Pair()
    tally = count_in_threads(append, threads=2, iterations=5_000, counter=pair, read=lambda p: len(p.items))
    assert (tally.actual, pair.value) == (10_000, 0)


def test_run_threads_releases_the_threads_together_and_runs_helpers():
    seen: list[int] = []
    helped = threading.Event()
    seconds = run_threads(seen.append, 4, helpers=[helped.set], timeout=10)
    assert sorted(seen) == [0, 1, 2, 3] and helped.is_set() and seconds >= 0


def test_run_threads_reports_a_thread_error():
    def work(index: int) -> None:
        if index == 1:
            raise KeyError("boom")

    with pytest.raises(RuntimeError, match="KeyError") as caught:
        run_threads(work, 3, timeout=10, name="demo")
    assert isinstance(caught.value.__cause__, KeyError)


def test_timeouts_stop_the_threads():
    before = threads_now()
    start = time.perf_counter()
    with pytest.raises(TimeoutError, match="did not finish within"):
        count_in_threads(add_under_lock, threads=4, iterations=10**8, timeout=0.2)
    assert time.perf_counter() - start < 10
    assert not threads_left(before, wait=5), "the timed-out threads were not stopped"


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: count_in_threads("add", 2, 10), TypeError),
        (lambda: count_in_threads(add_in_place, 0, 10), ValueError),
        (lambda: count_in_threads(add_in_place, 2, 0), ValueError),
        (lambda: count_in_threads(add_in_place, 2, 1.5), TypeError),
        (lambda: count_in_threads(add_in_place, 2, 10, chunk=0), ValueError),
        (lambda: count_in_threads(add_in_place, 2, 10, timeout=0), ValueError),
        (lambda: run_threads(None, 2), TypeError),
        (lambda: run_threads(print, 2, helpers=[3]), TypeError),
    ],
)
def test_bad_arguments_are_rejected(call, error):
    with pytest.raises(error):
        call()
