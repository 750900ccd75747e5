"""Generate exercises/ from solutions/ with nbgrader's own preprocessors.

    python scripts/make_exercises.py            # (re)write exercises/NN_*.ipynb
    python scripts/make_exercises.py --check    # exit 1 if exercises/ is out of date

solutions/*.ipynb are nbgrader *source* notebooks: answers between ``### BEGIN SOLUTION`` and
``### END SOLUTION``, hidden grading tests between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``, and nbgrader cell metadata (grade ids, points). The student version
is what nbgrader's ``generate_assignment`` would release: solutions replaced by
``raise NotImplementedError()``, hidden tests and outputs removed, graded cells locked.
This script writes only into exercises/; learners work on copies (``make my-copy``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    LockCells,
)

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = (
    LockCells,
    ClearSolutions,
    ClearOutput,
    ClearHiddenTests,
    ClearMarkScheme,
    ComputeChecksums,
    CheckCellMetadata,
)
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def student_version(source: Path) -> nbformat.NotebookNode:
    """The exercise notebook nbgrader would release for ``source``."""
    nb = nbformat.read(source, as_version=4)
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    resources: dict = {}
    for preprocessor in PIPELINE:
        nb, resources = preprocessor().preprocess(nb, resources)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = None
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report exercises that are out of date")
    parser.add_argument("names", nargs="*", help="only these assignments (e.g. 05_race_conditions.ipynb)")
    args = parser.parse_args(argv)
    stale = []
    sources = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    expected = {ROOT / "exercises" / s.name for s in sources}
    wanted = {Path(name).name for name in args.names}
    unknown = wanted - {s.name for s in sources}
    if unknown:
        parser.error(f"no such assignment in solutions/: {', '.join(sorted(unknown))}")
    for source in sources:
        if wanted and source.name not in wanted:
            continue
        target = ROOT / "exercises" / source.name
        text = nbformat.writes(student_version(source)) + "\n"
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target.name)
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote exercises/{target.name}")
    orphans = sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb") if p not in expected)
    if args.check and (stale or orphans):
        for name in stale:
            print(f"exercises/{name} is out of date with solutions/{name}: run `make exercises`", file=sys.stderr)
        for name in orphans:
            print(f"exercises/{name} has no source in solutions/", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
