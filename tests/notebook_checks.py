"""Shared readers for the notebook tests (lessons, solutions, exercises)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))

#: The only nbval markers the course uses (see docs/STYLE_GUIDE.md).
ALLOWED_MARKERS = {"NBVAL_IGNORE_OUTPUT", "NBVAL_RAISES_EXCEPTION"}
MARKER_LINE = re.compile(r"^\s*#\s*(NBVAL_\w+)(.*)$")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def markdown(nb: dict) -> str:
    return "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")


def markers(cell: dict) -> list[tuple[str, str]]:
    """(marker, rest of line) for every line mentioning NBVAL_ in a code cell."""
    found = []
    for line in source(cell).splitlines():
        if "NBVAL_" in line:
            match = MARKER_LINE.match(line)
            found.append((match.group(1), match.group(2)) if match else ("<not a comment line>", line))
    return found


# --- Stored outputs against a fresh run, as nbval compares them (strict mode, the course's sanitize file) ---
# The solutions are run top to bottom in a fresh kernel by `nbgrader autograde` (student "solver" of
# tests/test_assignments.py); comparing that run's outputs with the stored ones checks what nbval would,
# without running every solution a third time. nbval's own stream handling is reused.

#: Output keys nbval does not compare (nbval.plugin.IPyNbFile.skip_compare, without --nbdime).
NBVAL_SKIP_COMPARE = {
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
}


def sanitize_patterns(path: Path = ROOT / "nbval_sanitize.cfg") -> list[tuple[str, str]]:
    """The (regex, replacement) pairs of the course's nbval sanitize file."""
    from nbval.plugin import get_sanitize_patterns

    return get_sanitize_patterns(path.read_text(encoding="utf-8"))


def _flatten(outputs: list, patterns: list[tuple[str, str]]) -> dict[str, list]:
    from nbval.plugin import coalesce_streams, transform_streams_for_comparison

    def clean(value):
        if isinstance(value, str):
            for regex, replacement in patterns:
                value = re.sub(regex, replacement, value)
        return value

    flat: dict[str, list] = {}
    nodes = coalesce_streams([nbformat.from_dict(dict(o)) for o in outputs])
    for output in transform_streams_for_comparison(nodes):
        for key, value in output.items():
            if key in NBVAL_SKIP_COMPARE:
                continue
            if key == "data":
                for mime, data in value.items():
                    if mime not in NBVAL_SKIP_COMPARE:
                        flat.setdefault(mime, []).append(clean(data))
            else:
                flat.setdefault(key, []).append(clean(value))
    return flat


def output_difference(stored: dict, fresh_outputs: list, patterns: list[tuple[str, str]]) -> str | None:
    """Why a fresh run's outputs of a code cell differ from its stored ones under nbval's rules, or None.

    As nbval: a cell marked ``# NBVAL_IGNORE_OUTPUT`` or never run is not compared, and an error
    fails the cell unless it is marked ``# NBVAL_RAISES_EXCEPTION``.
    """
    marks = {name for name, _ in markers(stored)}
    if "NBVAL_RAISES_EXCEPTION" not in marks:
        errors = [f"{o['ename']}: {o['evalue']}" for o in fresh_outputs if o.get("output_type") == "error"]
        if errors:
            return f"the cell raised {errors[0]}"
    if "NBVAL_IGNORE_OUTPUT" in marks or stored.get("execution_count") is None:
        return None
    want, got = _flatten(stored.get("outputs", []), patterns), _flatten(fresh_outputs, patterns)
    if want.keys() != got.keys():
        return f"output fields differ: stored {sorted(want)}, fresh run {sorted(got)}"
    for key, values in want.items():
        if values != got[key]:
            return f"{key} differs:\n--- stored\n{values}\n+++ fresh run\n{got[key]}"
    return None


def output_differences(stored, fresh) -> dict[int, str]:
    """Why each code cell of a fresh run differs from the stored notebook under nbval's rules (cell index -> why)."""
    patterns = sanitize_patterns()
    return {
        n: why
        for n, (want, got) in enumerate(zip(stored.cells, fresh.cells, strict=True))
        if want.cell_type == "code" and (why := output_difference(want, got.get("outputs", []), patterns))
    }
