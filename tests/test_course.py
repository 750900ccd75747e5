"""The lesson list in utils.course matches the notebooks and the README."""

import re

from utils.course import LESSONS, ROOT, lesson_table_markdown


def test_every_notebook_is_listed_in_order():
    on_disk = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    listed = [lesson.filename for lesson in LESSONS if lesson.exists()]
    assert on_disk == listed, "every lesson file must be in utils.course.LESSONS under the same name"
    assert [lesson.number for lesson in LESSONS] == list(range(len(LESSONS)))


def test_table_marks_missing_lessons_as_coming(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / LESSONS[0].filename).write_text("{}")
    rows = lesson_table_markdown(tmp_path).splitlines()[2:]
    assert len(rows) == len(LESSONS)
    assert rows[0].endswith("| ready |") and f"]({LESSONS[0].filename})" in rows[0]
    assert all(row.endswith("| coming |") and "](" not in row for row in rows[1:])


def test_readme_lists_every_lesson_with_its_status():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for lesson in LESSONS:
        row = next((line for line in readme.splitlines() if line.startswith(f"| {lesson.number:02d} |")), None)
        assert row, f"README's lesson table has no row for lesson {lesson.number:02d}"
        assert lesson.title in row
        status = "ready" if lesson.exists() else "coming"
        assert re.search(rf"\|\s*{status}\s*\|\s*$", row), (
            f"README says otherwise than '{status}' for {lesson.filename}"
        )


def test_notebook_durations_add_up_per_notebook_and_flag_slow_lessons():
    from types import SimpleNamespace

    from notebook_durations import duration_lines, notebook_durations

    reports = [
        SimpleNamespace(nodeid=n, duration=d)
        for n, d in [
            ("notebooks/04_x.ipynb::Cell 0", 30.0),
            ("notebooks/04_x.ipynb::Cell 1", 31.0),
            ("solutions/04_x.ipynb::Cell 0", 70.0),
            ("tests/test_a.py::test_b", 99.0),
        ]
    ]
    durations = notebook_durations(reports)
    assert durations == {"notebooks/04_x.ipynb": 61.0, "solutions/04_x.ipynb": 70.0}
    lines = duration_lines(durations)
    assert "over the 60 s budget" in lines[1] and "notebooks/04_x" in lines[1]
    assert "over" not in lines[0]  # solutions are not lessons
    assert lines[-1].split() == ["131.0", "s", "in", "all,", "2", "notebooks"]
