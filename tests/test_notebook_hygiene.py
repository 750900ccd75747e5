"""Lessons and solutions follow the style guide and carry clean, comparable outputs.

nbval compares the stored outputs; these tests make sure there is something honest to compare.
"""

from __future__ import annotations

import re

import pytest
from notebook_checks import ALLOWED_MARKERS, LESSONS, ROOT, SOLUTIONS, code_cells, load, markdown, markers, source

EXECUTED = LESSONS + SOLUTIONS
MACHINE_PATHS = re.compile(r"/root/|/home/[^/\s]+/|/Users/[^/\s]+/|/tmp/|" + re.escape(str(ROOT)))
MAX_CODE_LINES = 15


def ids(paths):
    return [p.name for p in paths]


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_executed_in_order_from_a_fresh_kernel(path):
    counts = [c["execution_count"] for c in code_cells(load(path))]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1, 2, 3, ...; run `make execute NB={path.relative_to(ROOT)}`"
    )


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_no_unexpected_errors_or_machine_paths(path):
    for index, cell in enumerate(code_cells(load(path))):
        for output in cell["outputs"]:
            if output["output_type"] == "error":
                assert any(m == "NBVAL_RAISES_EXCEPTION" for m, _ in markers(cell)), (
                    f"{path.name} code cell {index}: stored output is an error ({output['ename']})"
                )
            text = str(output)
            assert not MACHINE_PATHS.search(text), f"{path.name} code cell {index} shows a path of the author's machine"


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_nbval_markers_are_whole_lines_from_the_allowed_set(path):
    for index, cell in enumerate(code_cells(load(path))):
        for marker, rest in markers(cell):
            assert marker in ALLOWED_MARKERS and not rest.strip(), (
                f"{path.name} code cell {index}: '# {marker}{rest}' is not allowed; markers stand alone on their "
                f"line (nbval silently ignores '# NBVAL_SKIP reason') and only {sorted(ALLOWED_MARKERS)} are used"
            )


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_clean_metadata(path):
    nb = load(path)
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
    assert set(nb["metadata"]) <= {"kernelspec", "language_info"}, "stray notebook metadata (widget state, timings)"
    for cell in nb["cells"]:
        assert set(cell.get("metadata", {})) <= {"tags", "nbgrader", "editable", "deletable"}


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_skeleton(path):
    """Opens with objectives, prerequisites and time; closes with key points, reading and the exercise."""
    nb = load(path)
    opening = source(nb["cells"][0])
    number = path.name[:2]
    assert opening.startswith(f"# {number} · "), f"{path.name}: first cell starts with '# {number} · Title'"
    for part in ("**What you'll learn**", "**Prerequisites**", "**Time**"):
        assert part in opening, f"{path.name}: the opening cell lacks {part}"
    text = markdown(nb)
    for heading in ("## Key points", "## Further reading", "## Exercise"):
        assert heading in text, f"{path.name}: no '{heading}' section"
    closing = text[text.index("## Key points") :]
    assert "](http" in closing, f"{path.name}: further reading links its sources"


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_cells_are_small(path):
    for index, cell in enumerate(code_cells(load(path))):
        lines = [line for line in source(cell).splitlines() if line.strip()]
        assert len(lines) <= MAX_CODE_LINES, (
            f"{path.name} code cell {index} has {len(lines)} lines; move long code into utils/"
        )
        assert not re.search(r"sys\.path\.(insert|append)", source(cell)), "no sys.path hacks: utils is installed"


UNPINNED_DOCS = re.compile(r"https?://docs\.python\.org/3/")


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_python_docs_links_are_pinned_to_a_version(path):
    # docs.python.org/3/ follows the newest release (3.15 now) and pages move (the C API on releasing the GIL
    # moved to c-api/threads.html in 3.14): a link pinned to a version keeps pointing at what the lesson cites.
    for index, cell in enumerate(load(path)["cells"]):
        found = UNPINNED_DOCS.search("".join(cell["source"]) + str(cell.get("outputs", "")))
        assert not found, f"{path.name} cell {index}: pin {found.group(0)}... to a version, e.g. docs.python.org/3.14/"
