"""Shared readers for the notebook tests (lessons, solutions, exercises)."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
