"""The course's lessons, in one place (lesson 00 and the README's table are checked against it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: The repository root (the folder holding ``notebooks/``).
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Lesson:
    number: int
    slug: str
    title: str
    summary: str

    @property
    def filename(self) -> str:
        return f"{self.number:02d}_{self.slug}.ipynb"

    def exists(self, root: Path = ROOT) -> bool:
        return (root / "notebooks" / self.filename).exists()


LESSONS: tuple[Lesson, ...] = (
    Lesson(0, "start_here", "Start here", "How the course works; check your Python and widgets"),
    Lesson(1, "origins", "Where the GIL came from", "What the GIL is, why CPython has it, its history"),
    Lesson(2, "reference_counting", "Reference counting", "The bookkeeping the GIL protects; immortal objects"),
    Lesson(
        3,
        "inside_the_gil",
        "Inside the GIL",
        "Switch interval, eval breaker, threads taking turns; GIL timelines (profiler: 3.15+)",
    ),
    Lesson(4, "cpu_vs_io", "CPU-bound vs I/O-bound", "When threads help and when they cannot"),
    Lesson(5, "race_conditions", "Race conditions despite the GIL", "Lost updates, check-then-act, locks"),
    Lesson(6, "fairness_and_latency", "Fairness and latency", "The convoy effect and the switch interval"),
    Lesson(7, "deadlocks", "Deadlocks and locking pitfalls", "Lock ordering, RLock, threads and fork"),
    Lesson(8, "processes", "Processes", "multiprocessing, start methods, pickling costs"),
    Lesson(9, "releasing_the_gil", "C code that releases the GIL", "hashlib, zlib, numpy, ctypes"),
    Lesson(10, "asyncio", "asyncio", "One thread, many waits"),
    Lesson(11, "beyond_the_gil", "Beyond the GIL", "Subinterpreters, and beyond one machine"),
    Lesson(12, "free_threaded", "Free-threaded CPython", "No GIL, measured: speedup, cost, what breaks"),
    Lesson(13, "choosing_a_strategy", "Choosing a strategy", "A decision guide and a capstone"),
)


def lesson_table_markdown(root: Path = ROOT) -> str:
    """The lesson table as Markdown, with lessons not written yet marked as coming."""
    rows = ["| # | Lesson | What it covers | Status |", "|---|---|---|---|"]
    for lesson in LESSONS:
        if lesson.exists(root):
            title, status = f"[{lesson.title}]({lesson.filename})", "ready"
        else:
            title, status = lesson.title, "coming"
        rows.append(f"| {lesson.number:02d} | {title} | {lesson.summary} | {status} |")
    return "\n".join(rows)
