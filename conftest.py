"""pytest's end-of-run report on notebooks: how long each one took under nbval.

Here at the project root so it applies to every run (``make test``, ``make test-notebooks``).
It reports and flags; it asserts nothing, since a time limit in a test fails on a busy machine.
"""

from __future__ import annotations

from notebook_durations import duration_lines, notebook_durations  # tests/ is on pytest's pythonpath


def pytest_terminal_summary(terminalreporter):
    reports = [
        r
        for kind in ("passed", "failed", "error", "skipped")
        for r in terminalreporter.stats.get(kind, [])
        if hasattr(r, "duration") and hasattr(r, "nodeid")
    ]
    durations = notebook_durations(reports)
    if durations:
        terminalreporter.section("notebook durations (nbval: setup + cells + teardown)")
        for line in duration_lines(durations):
            terminalreporter.write_line(line)
