"""The nbval-style comparison that checks the solutions' stored outputs against autograde's fresh run."""

from __future__ import annotations

import nbformat
from notebook_checks import output_difference, output_differences, sanitize_patterns

PATTERNS = sanitize_patterns()


def cell(source: str, outputs: list, count: int | None = 1):
    node = nbformat.v4.new_code_cell(source, outputs=[nbformat.from_dict(o) for o in outputs])
    node.execution_count = count
    return node


def stdout(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def result(text: str, **more) -> dict:
    return {"output_type": "execute_result", "data": {"text/plain": text, **more}, "metadata": {}, "execution_count": 3}


def test_same_text_in_different_chunks_is_the_same_output():
    assert output_difference(cell("print(1)", [stdout("a\nb\n")]), [stdout("a\n"), stdout("b\n")], PATTERNS) is None


def test_a_changed_line_is_reported_with_both_versions():
    why = output_difference(cell("print(1)", [stdout("GIL on\n")]), [stdout("GIL off\n")], PATTERNS)
    assert why and "GIL on" in why and "GIL off" in why


def test_a_missing_or_extra_output_field_is_reported():
    assert "fields" in output_difference(cell("x", [result("1")]), [stdout("1\n")], PATTERNS)
    assert "fields" in output_difference(cell("x", []), [stdout("surprise\n")], PATTERNS)


def test_sanitized_values_and_skipped_fields_do_not_count():
    stored = cell("x", [result("<Lock at 0x7f00aa11bb22>", **{"image/png": "AAAA"})])
    fresh = [result("<Lock at 0x7f99cc33dd44>", **{"image/png": "BBBB"})]
    assert output_difference(stored, fresh, PATTERNS) is None


def test_ignored_and_never_run_cells_are_not_compared_but_errors_always_count():
    assert (
        output_difference(cell("# NBVAL_IGNORE_OUTPUT\nt()", [stdout("1.0 s\n")]), [stdout("2.0 s\n")], PATTERNS)
        is None
    )
    assert output_difference(cell("t()", [], count=None), [stdout("anything\n")], PATTERNS) is None
    error = {"output_type": "error", "ename": "CheckFailed", "evalue": "no", "traceback": []}
    assert "CheckFailed" in output_difference(cell("# NBVAL_IGNORE_OUTPUT\nt()", []), [error], PATTERNS)
    assert output_difference(cell("# NBVAL_RAISES_EXCEPTION\nt()", [error]), [error], PATTERNS) is None


def test_a_notebook_is_compared_cell_by_cell_and_only_code_cells_count():
    stored = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("text"), cell("print(1)", [stdout("a\n")]), cell("x", [stdout("b\n")])]
    )
    fresh = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("other"), cell("print(1)", [stdout("a\n")]), cell("x", [stdout("c\n")])]
    )
    differences = output_differences(stored, fresh)
    assert list(differences) == [2] and "c" in differences[2]
