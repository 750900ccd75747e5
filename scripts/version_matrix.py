"""Run the notebook validation on every CPython 3.10+ this machine has, each in its own environment.

    python scripts/version_matrix.py                 # lessons and solutions on every Python found
    python scripts/version_matrix.py --list          # only show which interpreters were found
    python scripts/version_matrix.py notebooks/03_inside_the_gil.ipynb   # one notebook

Interpreters come from PATH (python3.10 ... python3.14, python3.13t, python3.14t), from pyenv's
versions folder, and from the GIL_COURSE_PYTHON environment variable. Each gets a virtual
environment in .venvs/<name>/ (created or refreshed from the requirements files; unchanged
requirements install nothing), then runs nbval over the notebooks one at a time. A summary
table ends the run; the exit code is 1 if any Python failed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINORS = ("3.10", "3.11", "3.12", "3.13", "3.14")
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "pyproject.toml")


@dataclass
class Interpreter:
    path: str
    version: str  # e.g. "3.12.1"
    free_threaded: bool

    @property
    def name(self) -> str:
        return f"py{self.version}{'t' if self.free_threaded else ''}"


def probe(path: str) -> Interpreter | None:
    code = ("import sys, sysconfig; print('.'.join(map(str, sys.version_info[:3])), "
            "bool(sysconfig.get_config_var('Py_GIL_DISABLED')), sys.implementation.name)")
    try:
        out = subprocess.run([path, "-c", code], capture_output=True, text=True, timeout=30).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return None
    if len(out) != 3 or out[2] != "cpython" or tuple(map(int, out[0].split(".")[:2])) < (3, 10):
        return None
    return Interpreter(os.path.realpath(path), out[0], out[1] == "True")


def find_interpreters() -> list[Interpreter]:
    candidates = [shutil.which(f"python{m}{t}") for m in MINORS for t in ("", "t")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        candidates += [str(p / "bin" / "python3") for p in sorted(pyenv.iterdir())]
    candidates.append(os.environ.get("GIL_COURSE_PYTHON"))
    found: dict[tuple[str, bool], Interpreter] = {}
    for path in filter(None, candidates):
        if os.path.exists(path) and (interp := probe(path)) is not None:
            found.setdefault((interp.version, interp.free_threaded), interp)
    return sorted(found.values(), key=lambda i: (tuple(map(int, i.version.split("."))), i.free_threaded))


def environment(interp: Interpreter) -> Path:
    """The interpreter's own virtual environment, installed from the requirements (idempotent)."""
    venv = ROOT / ".venvs" / interp.name
    python = venv / "bin" / "python"
    digest = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in REQUIREMENTS)).hexdigest()
    stamp = venv / ".installed"
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    if not python.exists():
        subprocess.run([interp.path, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(pip + ["-r", str(ROOT / "requirements.txt"), "-r", str(ROOT / "requirements-dev.txt")], check=True)
    subprocess.run(pip + ["--no-deps", "-e", str(ROOT)], check=True)
    stamp.write_text(digest)
    return python


def validate(python: Path, targets: list[str]) -> tuple[bool, str, float]:
    subprocess.run([str(python), "-c", "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"],
                   capture_output=True)
    start = time.perf_counter()
    result = subprocess.run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", "nbval_sanitize.cfg", "--nbval-cell-timeout", "120", *targets],
        cwd=ROOT, capture_output=True, text=True,
    )
    lines = [line for line in result.stdout.strip().splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else result.stderr.strip()[-200:]
    if result.returncode != 0:
        failed = [line for line in lines if line.startswith("FAILED")]
        summary += "".join(f"\n      {line}" for line in failed[:10])
    return result.returncode == 0, summary, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", default=["notebooks", "solutions"])
    parser.add_argument("--list", action="store_true", help="list the interpreters found and stop")
    args = parser.parse_args(argv)
    interpreters = find_interpreters()
    if not interpreters:
        print("No CPython 3.10+ found.")
        return 1
    print("Found: " + ", ".join(f"{i.name} ({i.path})" for i in interpreters))
    if not any(i.free_threaded for i in interpreters):
        print("No free-threaded interpreter found (python3.13t/python3.14t or GIL_COURSE_PYTHON): not tested.")
    if args.list:
        return 0
    rows = []
    for interp in interpreters:
        print(f"\n== {interp.name}: preparing .venvs/{interp.name}", flush=True)
        try:
            python = environment(interp)
        except subprocess.CalledProcessError as exc:
            rows.append((interp.name, False, f"environment failed: {exc}", 0.0))
            continue
        ok, summary, seconds = validate(python, args.targets)
        print(f"   {'ok' if ok else 'FAILED'}: {summary}", flush=True)
        rows.append((interp.name, ok, summary, seconds))
    print("\nPython       result   time    nbval")
    for name, ok, summary, seconds in rows:
        print(f"{name:<12} {'pass' if ok else 'FAIL':<8} {seconds:5.0f} s  {summary}")
    return 0 if all(ok for _, ok, _, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
