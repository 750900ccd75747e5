"""Per-notebook durations for the end-of-run report (see the conftest.py at the project root)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

#: A lesson should run top to bottom in well under a minute (issue #8); the table flags any that does not.
LESSON_BUDGET_S = 60.0


def notebook_durations(reports: Iterable) -> dict[str, float]:
    """Seconds per notebook (setup, every cell, teardown) from pytest's test reports."""
    totals: dict[str, float] = defaultdict(float)
    for report in reports:
        path = report.nodeid.split("::", 1)[0]
        if path.endswith(".ipynb"):
            totals[path] += report.duration
    return dict(totals)


def duration_lines(durations: dict[str, float]) -> list[str]:
    """The table: slowest first, lessons over LESSON_BUDGET_S flagged, then the total."""
    lines = []
    for path, seconds in sorted(durations.items(), key=lambda item: -item[1]):
        over = path.startswith("notebooks/") and seconds > LESSON_BUDGET_S
        lines.append(f"{seconds:7.1f} s  {path}" + (f"  <- over the {LESSON_BUDGET_S:.0f} s budget" if over else ""))
    lines.append(f"{sum(durations.values()):7.1f} s  in all, {len(durations)} notebooks")
    return lines
