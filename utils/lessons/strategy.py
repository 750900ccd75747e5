"""Choosing a strategy (lesson 13): a decision guide, an advisor panel, and the course's capstone.

The decision guide is plain data and one pure function, so the table in the lesson, the widget
and the tests all say the same thing:

    recommend("cpu-python")                      # -> [Recommendation("processes", why, 8), ...]
    recommend("io-many", needs=["many-machines"])
    print(describe(recommend("cpu-python", needs=["shared-state"])))
    decision_table()                             # the strategies as a Markdown table

:class:`Advisor` wires ipywidgets (a dropdown for the kind of work, a checkbox per need) to
:func:`recommend`; it holds no logic of its own and runs headlessly in the tests.

The capstone runs one workload on every executor this Python offers, each in a fresh process
(:func:`utils.engine.isolation.isolated`), and :func:`interpret` turns the results into sentences
whose numbers are computed from the measurements. With ``python=`` (a free-threaded interpreter,
:func:`utils.engine.environment.find_free_threaded_python`) it measures that interpreter's
executors the same way, so free-threaded threads are one strategy among the others. The mixed
pipeline of the assignment's capstone is :mod:`utils.lessons.capstone`.

Sources for the guide: the ``threading`` docs (CPython implementation detail: threads for
I/O-bound tasks, processes for CPU-bound ones), the ``asyncio`` docs, PEP 684 (per-interpreter
GIL, 3.12), PEP 734 (``concurrent.interpreters``, 3.14), PEP 703 and PEP 779 (free-threaded
build: experimental in 3.13, supported in 3.14) and the free-threading HOWTO (its costs).

Importing this module starts nothing and changes no global state; every run has a timeout.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from utils.engine.executors import EXECUTORS, RunResult, available_executors, check_executor
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import check_size, get_workload

__all__ = [
    "NEEDS",
    "STRATEGIES",
    "WORKS",
    "Advisor",
    "Recommendation",
    "Strategy",
    "check_needs",
    "check_work",
    "decision_table",
    "describe",
    "headline",
    "interpret",
    "recommend",
    "run_all",
]

#: The kinds of work the guide knows, with a description for the advisor's dropdown.
WORKS: dict[str, str] = {
    "cpu-python": "computing in Python code (loops over Python objects)",
    "cpu-c-releases-gil": "computing in C code that releases the GIL (numpy, hashlib, zlib)",
    "io-few": "waiting on a few to a hundred things (files, HTTP requests, a database)",
    "io-many": "waiting on thousands of things at once (many connections)",
    "io-and-cpu": "waiting and computing, mixed (a server that also computes)",
}

#: What else the program needs; each one changes the order of the recommendations.
NEEDS: dict[str, str] = {
    "short-job": "the whole job takes well under a second",
    "shared-state": "tasks read and update the same big objects",
    "large-data": "each task sends or returns a lot of data (megabytes)",
    "unready-extensions": "it needs C extensions not ready for subinterpreters or free threading",
    "many-machines": "one machine's CPUs or memory are not enough",
}


@dataclass(frozen=True)
class Strategy:
    """One way to run work concurrently: what it is good for, what it costs, where it exists."""

    key: str
    title: str
    good_for: str
    costs: str
    python: str
    lesson: int


STRATEGIES: dict[str, Strategy] = {
    s.key: s
    for s in (
        Strategy(
            "sequential",
            "Sequential: one task after another",
            "short jobs; work that cannot be split",
            "nothing to start, nothing to synchronise; uses one CPU",
            "any",
            4,
        ),
        Strategy(
            "threads",
            "Threads (`ThreadPoolExecutor`)",
            "waiting (I/O), and C code that releases the GIL",
            "with the GIL, one thread at a time runs Python code; shared data needs locks (05, 07)",
            "any",
            4,
        ),
        Strategy(
            "processes",
            "Processes (`ProcessPoolExecutor`, `multiprocessing`)",
            "computing in Python code: one GIL per process",
            "start-up; arguments and results are pickled and copied; no shared objects",
            "any",
            8,
        ),
        Strategy(
            "asyncio",
            "asyncio (one event loop)",
            "many concurrent waits (sockets, subprocesses)",
            "one thread: no parallel computing; a blocking call stalls every task",
            "3.4+ (`async`/`await` 3.5)",
            10,
        ),
        Strategy(
            "c-code",
            "C code that releases the GIL (numpy, hashlib, zlib, Cython `nogil`, numba)",
            "heavy number or byte crunching; then threads run in parallel",
            "the work must fit a library or be compiled; code touching Python objects keeps the GIL",
            "any",
            9,
        ),
        Strategy(
            "subinterpreters",
            "Subinterpreters (`InterpreterPoolExecutor`)",
            "computing in Python code, in one process: one GIL per interpreter",
            "no shared objects (pickled copies); C extensions must opt in",
            "3.14 (`concurrent.interpreters`); 3.13 with the `interpreters-pep-734` backport",
            11,
        ),
        Strategy(
            "free-threaded",
            "Free-threaded build (`python3.14t`)",
            "threads that compute in Python code and share memory",
            "slower single-threaded code; races come back; extensions without `Py_mod_gil` turn the GIL on",
            "3.13t experimental, 3.14t supported",
            12,
        ),
        Strategy(
            "cluster",
            "A cluster (dask.distributed)",
            "more CPUs or memory than one machine has",
            "seconds to start; every task and its data cross the network",
            "any (a package)",
            11,
        ),
    )
}


class Recommendation(NamedTuple):
    """One line of advice: a strategy (a key of :data:`STRATEGIES`), why, and the lesson about it."""

    strategy: str
    why: str
    lesson: int


#: The advice for each kind of work with no special needs, best first: (strategy, why, lesson).
_BASE: dict[str, list[tuple[str, str, int]]] = {
    "cpu-python": [
        ("processes", "each process has its own GIL, so Python code runs on every CPU", 8),
        ("subinterpreters", "one GIL per interpreter in one process; cheaper to start than processes", 11),
        ("free-threaded", "no GIL at all: plain threads run Python code in parallel", 12),
        ("c-code", "move the hot loop into C that releases the GIL (numpy, Cython, numba), then use threads", 9),
    ],
    "cpu-c-releases-gil": [
        ("threads", "the C code releases the GIL, so threads compute in parallel and share memory", 9),
        ("processes", "only for the parts written in Python, which hold the GIL", 8),
    ],
    "io-few": [
        ("threads", "a thread that waits releases the GIL; a small pool waits on many things at once", 4),
        ("asyncio", "if your libraries are async already", 10),
    ],
    "io-many": [
        ("asyncio", "one thread and one event loop: thousands of waits cost little memory", 10),
        ("threads", "fine up to a few hundred waits; each thread costs a stack and switches", 4),
    ],
    "io-and-cpu": [
        ("asyncio", "wait in the event loop; hand computing to an executor (to_thread, run_in_executor)", 10),
        ("processes", "for the Python computing, through loop.run_in_executor with a process pool", 8),
        ("threads", "for blocking calls and C code that releases the GIL (asyncio.to_thread)", 9),
    ],
}

#: Strategies whose workers share no objects with the caller: state and data are copied.
_COPYING = ("processes", "subinterpreters", "cluster")
#: Strategies that start new processes (or a cluster): seconds to tens of milliseconds of start-up.
_SLOW_START = ("processes", "cluster")
#: Executors that start a pool of workers (their start-up is reported).
_POOLS = ("threads", "processes", "interpreters")
#: Strategies that refuse extensions not marked safe for them.
_NEEDS_READY_EXTENSIONS = ("subinterpreters", "free-threaded")


def check_work(work: Any) -> str:
    """A key of :data:`WORKS`, or a clear TypeError/ValueError."""
    if not isinstance(work, str):
        raise TypeError(f"work must be a name (str), not {type(work).__name__}")
    if work not in WORKS:
        raise ValueError(f"unknown work {work!r}; choose one of {', '.join(WORKS)}")
    return work


def check_needs(needs: Any) -> tuple[str, ...]:
    """Keys of :data:`NEEDS`, in the guide's own order and without repeats."""
    if isinstance(needs, str) or not isinstance(needs, Iterable):
        raise TypeError(f"needs must be a list of names such as ['shared-state'], not {needs!r}")
    needs = list(needs)
    for need in needs:
        if not isinstance(need, str):
            raise TypeError(f"each need must be a name (str), not {type(need).__name__}")
        if need not in NEEDS:
            raise ValueError(f"unknown need {need!r}; choose from {', '.join(NEEDS)}")
    return tuple(n for n in NEEDS if n in needs)


def recommend(work: str, needs: Iterable[str] = ()) -> list[Recommendation]:
    """The strategies for ``work`` (a key of :data:`WORKS`) given ``needs`` (keys of :data:`NEEDS`), best first.

    Deterministic: the same question always gets the same answer, on every Python (what this
    Python can run is a separate question: see :func:`utils.engine.executors.availability`).
    """
    check_work(work)
    chosen = check_needs(needs)
    # Each entry: [strategy, why, lesson, caveats]; the caveats are joined onto ``why`` at the end.
    advice: list[list[Any]] = [[key, why, lesson, []] for key, why, lesson in _BASE[work]]

    def find(key: str) -> int | None:
        return next((i for i, entry in enumerate(advice) if entry[0] == key), None)

    def to_front(key: str, why: str, lesson: int) -> None:
        index = find(key)
        caveats = advice.pop(index)[3] if index is not None else []
        advice.insert(0, [key, why, lesson, caveats])

    def to_back(key: str, caveat: str) -> None:
        index = find(key)
        if index is not None:
            entry = advice.pop(index)
            entry[3].append(caveat)
            advice.append(entry)

    if "unready-extensions" in chosen:
        advice = [entry for entry in advice if entry[0] not in _NEEDS_READY_EXTENSIONS]
    if "large-data" in chosen:
        for key in _COPYING:
            to_back(key, "each task's data is pickled and copied")
    if "shared-state" in chosen:
        for key in _COPYING:
            to_back(key, "workers share no objects, so shared state must be copied or put in shared memory")
        if work == "cpu-python" and "unready-extensions" not in chosen:
            to_front(
                "free-threaded",
                "threads share every object and, without a GIL, compute in parallel; "
                "guard the shared state with locks, as in lesson 05",
                12,
            )
    if "short-job" in chosen:
        for key in _SLOW_START:
            to_back(key, "starting it can cost more than the whole job")
        if work in ("cpu-python", "cpu-c-releases-gil"):
            to_front("sequential", "a pool's start-up can cost more than it saves: measure before you parallelise", 8)
    if "many-machines" in chosen:
        to_front(
            "cluster",
            "spreads the tasks over many machines; pays off when each task takes much longer "
            "than the network trip, and the job much longer than the seconds of start-up",
            11,
        )
    return [
        Recommendation(key, why + ("; but " + ", and ".join(caveats) if caveats else ""), lesson)
        for key, why, lesson, caveats in advice
    ]


def describe(recommendations: list[Recommendation]) -> str:
    """Numbered lines for a learner: ``1. processes: why (lesson 08)``."""
    if not isinstance(recommendations, list) or not all(isinstance(r, Recommendation) for r in recommendations):
        raise TypeError("recommendations must be a list of Recommendation, as returned by recommend()")
    return "\n".join(f"{i}. {r.strategy}: {r.why} (lesson {r.lesson:02d})" for i, r in enumerate(recommendations, 1))


def headline(recommendations: list[Recommendation]) -> str:
    """One line: the first choice and the alternatives."""
    if not recommendations:
        return "No recommendation."
    first, rest = recommendations[0], [r.strategy for r in recommendations[1:]]
    line = f"First choice: {first.strategy} (lesson {first.lesson:02d})."
    return line + (f" Also consider: {', '.join(rest)}." if rest else "")


def decision_table() -> str:
    """The strategies as a Markdown table: good for, costs, which Python, which lesson."""
    rows = ["| Strategy | Good for | Costs and caveats | Python | Lesson |", "|---|---|---|---|---|"]
    for s in STRATEGIES.values():
        rows.append(f"| {s.title} | {s.good_for} | {s.costs} | {s.python} | {s.lesson:02d} |")
    return "\n".join(rows)


class Advisor:
    """ipywidgets panel: the kind of work and the needs in, the recommendation out.

    ``advisor.widget`` is what a notebook displays; ``advisor.label`` holds the headline and
    ``advisor.details`` the numbered list. All the logic is :func:`recommend`.
    """

    def __init__(self, work: str = "cpu-python", needs: Iterable[str] = ()) -> None:
        import ipywidgets as w

        check_work(work)
        chosen = check_needs(needs)
        self.work = w.Dropdown(
            options=[(text, key) for key, text in WORKS.items()],
            value=work,
            description="My work is",
            style={"description_width": "initial"},
            layout=w.Layout(width="560px"),
        )
        self.needs = {
            key: w.Checkbox(value=key in chosen, description=text, indent=False, layout=w.Layout(width="560px"))
            for key, text in NEEDS.items()
        }
        self.label = w.Label()
        self.details = w.HTML()
        self.work.observe(self.update, names="value")
        for box in self.needs.values():
            box.observe(self.update, names="value")
        self.update()
        self.widget = w.VBox([self.work, w.HTML("<b>and</b>"), *self.needs.values(), self.label, self.details])

    def chosen_needs(self) -> tuple[str, ...]:
        """The needs whose boxes are ticked."""
        return tuple(key for key, box in self.needs.items() if box.value)

    def recommendations(self) -> list[Recommendation]:
        return recommend(self.work.value, self.chosen_needs())

    def update(self, change: Any = None) -> None:
        """Recompute the advice from the widgets (called whenever one changes)."""
        advice = self.recommendations()
        self.label.value = headline(advice)
        items = "".join(
            f"<li><b>{html.escape(r.strategy)}</b>: {html.escape(r.why)} (lesson {r.lesson:02d})</li>" for r in advice
        )
        self.details.value = f"<ol>{items}</ol>"


# --- the capstone ----------------------------------------------------------------------------


def run_all(
    workload: str = "primes",
    workers: int = 2,
    *,
    size: int | None = None,
    repeat: int = 3,
    executors: Iterable[str] | None = None,
    python: str | None = None,
    timeout: float = 120.0,
) -> list[RunResult]:
    """Run ``workload`` on every executor (default: all this Python offers), each in a fresh process.

    ``sequential`` always comes first (the baseline for speedups). With ``python`` (another
    interpreter) every executor is tried and those it lacks come back with ``available=False``.
    """
    from utils.engine.executors import run
    from utils.engine.isolation import isolated

    get_workload(workload)
    if size is not None:
        check_size(size)
    check_count("workers", workers, 1, 64)
    check_count("repeat", repeat, 1, 100)
    check_seconds("timeout", timeout)
    if executors is None:
        executors = EXECUTORS if python is not None else available_executors()
    elif isinstance(executors, str):
        raise TypeError("executors must be a list of names, e.g. ['threads', 'processes']")
    names = list(executors)
    for name in names:
        check_executor(name)
    names = ["sequential"] + [n for n in dict.fromkeys(names) if n != "sequential"]
    return [
        isolated(run, workload, name, workers, size=size, repeat=repeat, python=python, timeout=timeout)
        for name in names
    ]


def _reading(parallelism: float) -> str:
    if math.isnan(parallelism):
        return "not measured"
    if parallelism >= 1.3:
        return "more than one CPU busy at a time: the tasks ran in parallel"
    if parallelism >= 0.7:
        return "about one CPU busy: the tasks took turns or ran one after another"
    return "less than one CPU busy on average: waiting, or a busy machine"


def interpret(results: list[RunResult]) -> str:
    """Sentences about the capstone's results, every number computed from them.

    The first result is the baseline (sequential). Unavailable executors are named with the reason.
    """
    if not isinstance(results, list) or not results or not all(isinstance(r, RunResult) for r in results):
        raise TypeError("results must be a non-empty list of RunResult, as returned by run_all()")
    baseline = results[0]
    if not baseline.available:
        raise ValueError("the first result (the baseline) is not available")
    build = "free-threaded build" if baseline.free_threaded else "standard build"
    lines = [
        f"{baseline.workload}, {baseline.tasks} tasks on {max(r.workers for r in results)} workers, "
        f"Python {baseline.python} ({build}), {baseline.cpu_count} usable CPUs, "
        f"GIL {'on' if baseline.gil_enabled else 'off'}."
    ]
    if any((r.python, r.free_threaded) != (baseline.python, baseline.free_threaded) for r in results):
        raise ValueError("results from different interpreters: interpret each interpreter's results on their own")
    for r in results:
        if not r.available:
            lines.append(f"- {r.label}: not available here ({r.reason})")
            continue
        start = f"; pool ready in {r.startup * 1000:.0f} ms" if r.executor in _POOLS else ""
        lines.append(
            f"- {r.label}: speedup {r.speedup_over(baseline):.2f}x, effective parallelism "
            f"{r.parallelism:.2f} ({_reading(r.parallelism)}){start}"
        )
    ran = [r for r in results if r.available]
    fastest = min(ran, key=lambda r: r.wall)
    lines.append(
        f"Fastest here: {fastest.label}, {fastest.wall:.3f} s per repeat against {baseline.wall:.3f} s sequential."
    )
    return "\n".join(lines)
