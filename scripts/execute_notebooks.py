"""Re-execute notebooks in place from a fresh kernel and store clean outputs.

Usage: python scripts/execute_notebooks.py NOTEBOOK [NOTEBOOK ...]

Each notebook runs top to bottom in a new kernel started in the notebook's own folder,
one notebook at a time (parallel runs distort the GIL demonstrations). Afterwards:
execution counts are 1, 2, 3, ...; cell metadata keeps only what the course uses
(tags, nbgrader fields); notebook metadata keeps only the kernel spec and language name;
and an output that shows a path of this machine is an error, because nbval would compare
it against another machine's path.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KEEP_CELL_METADATA = ("tags", "nbgrader", "editable", "deletable")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def machine_path_pattern() -> re.Pattern[str]:
    """Paths that identify the author's machine (checkout, home folder, temporary folders)."""
    roots = {str(Path.cwd().resolve()), str(Path.home()), sys.prefix, "/tmp/"}
    return re.compile("|".join(re.escape(r) for r in sorted(roots, key=len, reverse=True)))


def clean(nb: nbformat.NotebookNode) -> None:
    """Drop metadata that changes from run to run or from author to author."""
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for cell in nb.cells:
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA})


def check_outputs(path: Path, nb: nbformat.NotebookNode) -> list[str]:
    """Problems that would make the stored outputs unfit for nbval or for learners."""
    problems = []
    pattern = machine_path_pattern()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            found = pattern.search(json.dumps(output))
            if found:
                problems.append(f"{path}: cell {index} shows a path of this machine: {found.group(0)}")
    return problems


def execute(path: Path, timeout: int) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    clean(nb)
    problems = check_outputs(path, nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    print(f"{path}: executed in {elapsed:.1f} s")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    problems: list[str] = []
    for path in args.notebooks:
        if path.parts and path.parts[0] == "exercises":
            print(f"{path}: skipped (exercises are generated from solutions/ and ship without outputs)")
            continue
        problems += execute(path, args.timeout)
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
