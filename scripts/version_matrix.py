"""Run the course's tests on every CPython 3.10+ this machine has, standard and free-threaded, each in its own venv.

    python scripts/version_matrix.py                        # tests/ and nbval over lessons and solutions, everywhere
    python scripts/version_matrix.py --list                 # which interpreters were found (and which were not)
    python scripts/version_matrix.py --python 3.13t tests/test_release.py notebooks/09_releasing_the_gil.ipynb
    python scripts/version_matrix.py --execute notebooks/09_releasing_the_gil.ipynb   # store outputs (newest Python)

Interpreters come from PATH (every ``python3.N`` and ``python3.Nt``), pyenv's versions folder, the course's
interpreter folder (``$PYTHONS_DIR/bin``, default /opt/pythons/bin, filled by ``make pythons``) and the
GIL_COURSE_PYTHON environment variable; there is no upper version. Each gets a virtual environment in
.venvs/<name>/ (installed by scripts/install_env.py; unchanged requirements install nothing), then one pytest run
over the targets with nbval in strict mode, one notebook at a time. A table ends the run; the exit code is 1 if any
Python failed.

``--execute`` re-runs notebooks in place (scripts/execute_notebooks.py) on the newest standard build found, with
GIL_COURSE_PYTHON pointing at a free-threaded interpreter when there is one, so that the stored outputs show what a
learner on the newest CPython sees.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What the course supports and CI tests (README, "Testing"); only used to say what was not found.
SUPPORTED = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15", "3.13t")
#: Free-threaded lines that no machine of ours can install (no Debian source package is served for them).
NOT_INSTALLABLE_HERE = ("3.14t", "3.15t")
INSTALL_INPUTS = (
    "requirements.txt",
    "requirements-dev.txt",
    "constraints-free-threaded.txt",
    "pyproject.toml",
    "scripts/install_env.py",
)
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "nbval_sanitize.cfg", "--nbval-cell-timeout", "120"]
#: With nbgrader (3.11+), the solutions' stored outputs are compared with autograde's fresh run of them
#: (tests/test_assignments.py); without it (3.10) nbval runs them.
DEFAULT_TARGETS = ["tests", "notebooks"]
WITHOUT_NBGRADER = ["solutions"]
#: Run once, in `make test` (on .venv's Python), not again on each interpreter here: the browser test drives
#: JupyterLab's front end, the same code on every Python; the lessons with every other interpreter hidden take
#: the branches a learner with one Python sees, which depend on what is found, not on the kernel's version.
RUN_ONCE = ["--ignore=tests/test_browser.py", "--ignore=tests/test_lessons_alone.py"]
NAME = re.compile(r"^python3\.(\d+)(t?)$")


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str  # e.g. "3.12.1"
    free_threaded: bool

    @property
    def minor(self) -> str:
        """``3.13`` or ``3.13t``: the line, as SUPPORTED names it."""
        return ".".join(self.version.split(".")[:2]) + ("t" if self.free_threaded else "")

    @property
    def name(self) -> str:
        return f"py{self.version}{'t' if self.free_threaded else ''}"

    def key(self) -> tuple:
        return tuple(map(int, self.version.split("."))), self.free_threaded


def probe(path: str) -> Interpreter | None:
    """The interpreter at ``path`` if it is a CPython 3.10+, else None."""
    code = (
        "import sys, sysconfig; print('.'.join(map(str, sys.version_info[:3])), "
        "bool(sysconfig.get_config_var('Py_GIL_DISABLED')), sys.implementation.name)"
    )
    try:
        out = subprocess.run(
            [path, "-c", code], capture_output=True, text=True, timeout=30, env={**os.environ, "PYTHON_GIL": ""}
        ).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return None
    if len(out) != 3 or out[2] != "cpython" or tuple(map(int, out[0].split(".")[:2])) < (3, 10):
        return None
    return Interpreter(os.path.realpath(path), out[0], out[1] == "True")


def candidates() -> Iterator[str]:
    """Paths that may be a CPython 3.10+, in order of preference: GIL_COURSE_PYTHON, the course's folder, pyenv, PATH."""
    if os.environ.get("GIL_COURSE_PYTHON"):
        yield os.environ["GIL_COURSE_PYTHON"]
    folders = [Path(os.environ.get("PYTHONS_DIR", "/opt/pythons")) / "bin"]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        folders += [p / "bin" for p in sorted(pyenv.iterdir())]
    folders += [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    for folder in folders:
        with contextlib.suppress(OSError):
            for entry in sorted(folder.iterdir()):
                if NAME.match(entry.name) or (entry.name == "python3" and pyenv in entry.parents):
                    yield str(entry)


def find_interpreters() -> list[Interpreter]:
    """One interpreter per minor version and build (the first found), oldest first; pyenv's shims are skipped."""
    found: dict[tuple, Interpreter] = {}
    seen: set[str] = set()
    for path in candidates():
        real = os.path.realpath(path)
        if real in seen or "/shims/" in path or not os.access(real, os.X_OK):
            continue
        seen.add(real)
        if (interp := probe(path)) is not None:
            found.setdefault(interp.minor, interp)
    return sorted(found.values(), key=Interpreter.key)


def select(interpreters: list[Interpreter], wanted: list[str]) -> list[Interpreter]:
    """The interpreters named by ``--python`` (``3.13t``, ``3.15``, ``3.12.1`` or a path); all if none named."""
    if not wanted:
        return interpreters
    chosen = []
    for spec in wanted:
        if os.sep in spec:
            interp = probe(spec)
            matches = [interp] if interp else []
        else:
            matches = [i for i in interpreters if spec in (i.minor, i.version + ("t" if i.free_threaded else ""))]
        if not matches:
            raise SystemExit(f"--python {spec}: no such interpreter found (see --list)")
        chosen += [m for m in matches if m not in chosen]
    return chosen


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (two runs never install into one environment at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def environment(interp: Interpreter) -> Path:
    """The interpreter's own virtual environment with the course and its test tools installed (idempotent)."""
    venv = ROOT / ".venvs" / interp.name
    python = venv / "bin" / "python"
    digest = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in INSTALL_INPUTS)).hexdigest()
    stamp = venv / ".installed"
    with locked(ROOT / ".venvs" / f"{interp.name}.lock"):
        if python.exists() and stamp.exists() and stamp.read_text() == digest:
            return python
        if not python.exists():
            subprocess.run([interp.path, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), str(ROOT / "scripts" / "install_env.py"), "--dev"], check=True)
        stamp.write_text(digest)
    return python


def warm_matplotlib(python: Path) -> None:
    """Build matplotlib's font cache, so its one-time message never lands in a compared output."""
    subprocess.run(
        [str(python), "-c", "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"], capture_output=True
    )


def run_tests(python: Path, targets: list[str], log: Path, env: dict | None = None) -> tuple[bool, str, float]:
    """One pytest run over ``targets`` (unit tests and notebooks); returns (passed, pytest's last line, seconds)."""
    warm_matplotlib(python)
    start = time.perf_counter()
    with open(log, "w") as out:
        result = subprocess.run(
            [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfEs", *NBVAL, *RUN_ONCE, *targets],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else "no output"
    if result.returncode != 0:
        failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
        summary += "".join(f"\n      {line[:160]}" for line in failed[:25])
        summary += f"\n      (whole output: {log.relative_to(ROOT)})"
    return result.returncode == 0, summary, time.perf_counter() - start


def newest_standard(interpreters: list[Interpreter]) -> Interpreter:
    standard = [i for i in interpreters if not i.free_threaded]
    if not standard:
        raise SystemExit("no standard CPython 3.10+ found")
    return standard[-1]


def execute(interpreters: list[Interpreter], chosen: list[Interpreter], notebooks: list[str]) -> int:
    """Re-run notebooks in place on one interpreter, a free-threaded one named for the lessons that compare."""
    if len(chosen) > 1:
        raise SystemExit("--execute runs on one interpreter: name it with --python")
    interp = chosen[0] if chosen else newest_standard(interpreters)
    env = dict(os.environ)
    free = [i for i in interpreters if i.free_threaded]
    if free and "GIL_COURSE_PYTHON" not in env:
        env["GIL_COURSE_PYTHON"] = free[-1].path
    print(
        f"Executing on {interp.name} ({interp.path}); free-threaded interpreter for comparisons: "
        f"{env.get('GIL_COURSE_PYTHON', 'none')}",
        flush=True,
    )
    python = environment(interp)
    warm_matplotlib(python)
    return subprocess.run(
        [str(python), str(ROOT / "scripts" / "execute_notebooks.py"), *notebooks], cwd=ROOT, env=env
    ).returncode


def venv_interpreter() -> tuple | None:
    """Version and build of the interpreter behind ``.venv`` (what ``make test`` ran on), if there is one."""
    python = ROOT / ".venv" / "bin" / "python"
    interp = probe(str(python)) if python.exists() else None
    return interp.key() if interp else None


def has_nbgrader(python: Path) -> bool:
    """Whether the environment of ``python`` has nbgrader (it needs Python 3.11+)."""
    check = "import importlib.util, sys; sys.exit(importlib.util.find_spec('nbgrader') is None)"
    return subprocess.run([str(python), "-c", check], capture_output=True, timeout=60).returncode == 0


def cross_grading(interp: Interpreter) -> dict | None:
    """The free-threaded leg also grades a learner's notebooks with .venv's standard Python (make test's).

    tests/test_assignments.py then compares the two graders' scores cell by cell (issue 16: a prediction's
    truth must not depend on the grading machine's Python). Other legs: the environment unchanged.
    """
    second = ROOT / ".venv" / "bin" / "python"
    if not interp.free_threaded or not second.exists():
        return None
    return dict(os.environ, GIL_COURSE_SECOND_GRADER=str(second))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "targets",
        nargs="*",
        help="test files, folders or notebooks (default: tests notebooks "
        "solutions; with --execute: the notebooks to re-run)",
    )
    parser.add_argument("--list", action="store_true", help="list the interpreters found and stop")
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="SPEC",
        help="only this interpreter: 3.13t, 3.15, 3.12.1 or a path (repeatable)",
    )
    parser.add_argument(
        "--skip-venv",
        action="store_true",
        help="skip the Python that .venv uses (make test has just run everything on it)",
    )
    parser.add_argument("--execute", action="store_true", help="re-run the named notebooks and store their outputs")
    parser.add_argument("--prepare", action="store_true", help="only create or refresh the environments")
    args = parser.parse_args(argv)
    interpreters = find_interpreters()
    if not interpreters:
        print("No CPython 3.10+ found.")
        return 1
    print("Found: " + ", ".join(f"{i.name} ({i.path})" for i in interpreters))
    missing = [m for m in SUPPORTED if m not in {i.minor for i in interpreters}]
    if missing:
        print(f"Not found, so not tested: {', '.join(missing)} (make pythons installs 3.14, 3.15 and 3.13t).")
    print(
        f"Never tested here: {', '.join(NOT_INSTALLABLE_HERE)} (no free-threaded build of them installs on these "
        "machines; their code paths follow the docs and CPython's source)."
    )
    if args.list:
        return 0
    chosen = select(interpreters, args.python)
    if args.execute:
        if not args.targets:
            parser.error("--execute needs the notebooks to re-run")
        return execute(interpreters, chosen if args.python else [], args.targets)
    skipped = venv_interpreter() if args.skip_venv else None
    rows = []
    for interp in chosen:
        if interp.key() == skipped:
            rows.append((interp.name, True, "tested by make test (.venv)", 0.0))
            continue
        print(f"\n== {interp.name}: preparing .venvs/{interp.name}", flush=True)
        try:
            python = environment(interp)
        except subprocess.CalledProcessError as exc:
            rows.append((interp.name, False, f"environment failed: {exc}", 0.0))
            continue
        if args.prepare:
            rows.append((interp.name, True, f"environment ready: {python}", 0.0))
            continue
        targets = args.targets or DEFAULT_TARGETS + ([] if has_nbgrader(python) else WITHOUT_NBGRADER)
        ok, summary, seconds = run_tests(
            python, targets, python.parent.parent / "matrix.log", env=cross_grading(interp)
        )
        print(f"   {'ok' if ok else 'FAILED'} in {seconds:.0f} s: {summary}", flush=True)
        rows.append((interp.name, ok, summary, seconds))
    print("\nPython       result   time    pytest (unit tests and strict nbval)")
    for name, ok, summary, seconds in rows:
        print(f"{name:<12} {'pass' if ok else 'FAIL':<8} {seconds:5.0f} s  {summary}")
    return 0 if all(ok for _, ok, _, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
