"""Timing: measure a callable honestly (warm-up, repeats, median and spread, CPU beside wall).

    timing = measure(sum, range(10**6), repeat=7)
    timing.wall, timing.cpu, timing.parallelism, timing.spread

Wall time comes from ``time.perf_counter`` and CPU time from ``time.process_time`` (all
threads of this process). **Effective parallelism** = CPU time / wall time: about 1 when one
CPU was busy the whole time, about N when N were, below 1 when the code mostly waited. It
stays meaningful on a busy machine, where wall-clock speedups alone mislead.
"""

from __future__ import annotations

import math
import statistics
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from utils.engine.plaindata import PlainData
from utils.engine.validation import check_count

MAX_REPEAT = 1000


def median_and_spread(values: Sequence[float]) -> tuple[float, float]:
    """The median of ``values`` and their spread, (largest - smallest) / median: the course's one summary of repeats.

    A spread of 0.1 means the repeats disagreed by 10 % of the median. One value has spread 0.0;
    no values give ``(nan, nan)``; a median of 0 gives spread 0.0 if all values are 0, else ``inf``.
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise TypeError(f"values must be a list or tuple of numbers, not {type(values).__name__}")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"values must be numbers, not {type(value).__name__} ({value!r})")
    if not values:
        return math.nan, math.nan
    middle = statistics.median(values)
    width = max(values) - min(values)
    if middle == 0:
        return middle, 0.0 if width == 0 else math.inf
    return middle, width / middle


@dataclass(frozen=True)
class Sample:
    """One timed call: wall time and process CPU time, in seconds."""

    wall: float
    cpu: float

    @property
    def parallelism(self) -> float:
        return self.cpu / self.wall if self.wall > 0 else float("nan")


@dataclass(frozen=True)
class Timing:
    """Repeated samples of one callable, with their median and spread; plain data."""

    label: str
    samples: tuple[Sample, ...]
    number: int = 1

    @property
    def walls(self) -> list[float]:
        return [s.wall / self.number for s in self.samples]

    @property
    def wall(self) -> float:
        """Median wall time per call (seconds)."""
        return median_and_spread(self.walls)[0]

    @property
    def cpu(self) -> float:
        """Median process CPU time per call (seconds)."""
        return statistics.median(s.cpu / self.number for s in self.samples)

    @property
    def parallelism(self) -> float:
        """Median of CPU time / wall time over the samples."""
        return statistics.median(s.parallelism for s in self.samples)

    @property
    def spread(self) -> float:
        """(slowest - fastest) / median: how much the repeats disagreed (0.1 = 10 %)."""
        return median_and_spread(self.walls)[1]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(wall=self.wall, cpu=self.cpu, parallelism=self.parallelism, spread=self.spread)
        return data

    def __str__(self) -> str:
        return (
            f"{self.label}: {_fmt(self.wall)} median of {len(self.samples)} "
            f"(spread {self.spread:.0%}), CPU {_fmt(self.cpu)}, effective parallelism {self.parallelism:.2f}"
        )


class RepeatedRuns(PlainData):
    """Statistics for a dataclass with ``wall_times`` and ``cpu_times`` (one per repeat, seconds).

    Shared by the results of :mod:`utils.engine.executors` and the lessons' own experiments, so that
    every result in the course reports the same medians, spread and effective parallelism, and
    turns into plain data and back the same way.
    """

    wall_times: list[float]
    cpu_times: list[float]

    @property
    def wall(self) -> float:
        """Median wall time of the repeats (seconds); NaN if nothing ran."""
        return median_and_spread(self.wall_times)[0]

    @property
    def cpu(self) -> float:
        """Median CPU time of the repeats (seconds)."""
        return median_and_spread(self.cpu_times)[0]

    @property
    def parallelism(self) -> float:
        """Median over repeats of CPU time / wall time: how many CPUs were busy on average."""
        ratios = [c / w for c, w in zip(self.cpu_times, self.wall_times, strict=False) if w > 0]
        return median_and_spread(ratios)[0]

    @property
    def spread(self) -> float:
        """(slowest - fastest) / median wall time: how much the repeats disagreed."""
        return median_and_spread(self.wall_times)[1]


def _fmt(seconds: float) -> str:
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def measure(
    func: Callable[..., Any],
    *args: Any,
    repeat: int = 5,
    warmup: int = 1,
    number: int = 1,
    label: str | None = None,
    **kwargs: Any,
) -> Timing:
    """Call ``func(*args, **kwargs)`` ``warmup`` times untimed, then time ``repeat`` samples.

    Each sample times ``number`` consecutive calls (use ``number`` > 1 for very short
    callables, as ``timeit`` does); results are per call.
    """
    if not callable(func):
        raise TypeError(f"func must be callable, not {type(func).__name__}")
    check_count("repeat", repeat, 1, MAX_REPEAT)
    check_count("warmup", warmup, 0, MAX_REPEAT)
    check_count("number", number, 1, 10**9)
    for _ in range(warmup):
        func(*args, **kwargs)
    samples = []
    calls = range(number)
    for _ in range(repeat):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in calls:
            func(*args, **kwargs)
        wall1, cpu1 = time.perf_counter(), time.process_time()
        samples.append(Sample(wall=wall1 - wall0, cpu=cpu1 - cpu0))
    return Timing(label=label or getattr(func, "__name__", repr(func)), samples=tuple(samples), number=number)


def _nothing() -> None:
    return None


def harness_overhead(repeat: int = 20, number: int = 10_000) -> float:
    """Seconds :func:`measure` adds per call: the median time per call of a function that does nothing."""
    return measure(_nothing, repeat=repeat, number=number, label="overhead").wall


@dataclass(frozen=True)
class TimeitAgreement:
    """:func:`measure` and ``timeit`` timing the same statement."""

    statement: str
    measure_median: float
    timeit_median: float

    @property
    def ratio(self) -> float:
        return self.measure_median / self.timeit_median

    def __str__(self) -> str:
        return (
            f"{self.statement!r}: measure {_fmt(self.measure_median)} vs timeit {_fmt(self.timeit_median)} "
            f"per loop (ratio {self.ratio:.3f})"
        )


def agreement_with_timeit(size: int = 100_000, repeat: int = 7) -> TimeitAgreement:
    """Time ``sum(range(size))`` with :func:`measure` and with ``timeit``; both medians per call.

    The two should agree within a few percent (``measure`` adds a Python-level call per loop,
    see :func:`harness_overhead`, which is negligible for a statement this long).
    """
    check_count("size", size, 1, 10**8)
    check_count("repeat", repeat, 3, MAX_REPEAT)
    statement = f"sum(range({size}))"
    ours = measure(sum, range(size), repeat=repeat, number=20).wall
    theirs = statistics.median(t / 20 for t in timeit.repeat(statement, repeat=repeat, number=20))
    return TimeitAgreement(statement, ours, theirs)
