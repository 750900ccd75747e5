"""Plausible wrong answers, per assignment and task (the grade_id of the answer cell).

tests/test_assignments.py puts each one in place of the solution and requires the task's check
cell to fail. Every task needs at least one. Keep them plausible: the mistakes learners make.

Each wrong answer starts from the names the solution left (see WrongAnswerRun), so one whose
mistake is in the conclusion, not in the measurement, uses the solution's measurement (`rows`,
`sweep`, `alone`/`loaded`, `on_threads`/`on_processes`) instead of measuring again: the tests
measure once, and a learner who re-runs only the last lines of the cell makes the same mistake.

One module per assignment (``aNN_slug.py``, holding ``WRONG``), so each assignment's wrong answers
are edited beside no other's.
"""

import importlib
from pathlib import Path

WRONG_ANSWERS: dict[str, dict[str, list[str]]] = {
    path.stem[1:]: importlib.import_module(f"wrong_answers.{path.stem}").WRONG
    for path in sorted(Path(__file__).parent.glob("a[0-9][0-9]_*.py"))
}
