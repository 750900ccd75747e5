"""Counts for the assignment tests, printed at the end of the run (issue: tasks and caught wrong answers)."""

import pytest

_STATS = {"tasks": 0, "wrong": 0}


@pytest.fixture
def assignment_stats():
    return _STATS


def pytest_terminal_summary(terminalreporter):
    if _STATS["tasks"] or _STATS["wrong"]:
        terminalreporter.write_line(
            f"Assignments: {_STATS['tasks']} tasks checked, {_STATS['wrong']} wrong answers caught by their checks"
        )
