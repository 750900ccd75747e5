"""Free-threaded CPython, measured (lesson 12): speedup, the GIL as a switch, single-thread cost, what breaks.

Every measurement runs in a fresh worker process (:func:`utils.engine.isolation.isolated`) on the
interpreter it is about, so the kernel's own threads stay out of the way:

- :func:`measure_scaling` runs a pure-Python workload one task after another and on 2..N threads
  (:func:`scaling_here` in the worker) and returns a :class:`Scaling`: speedup and effective
  parallelism per number of threads. ``gil=0`` or ``gil=1`` starts the worker with ``PYTHON_GIL``
  set (free-threading HOWTO, 3.13+), so one free-threaded interpreter is measured with the GIL
  forced off and on: the GIL as a switch, not a build.
- :func:`single_thread_cost` times the same sequential work on a free-threaded interpreter and on a
  standard build of the same minor version (:func:`standard_python` finds one), alternating.
- :func:`gil_option_probe` starts an interpreter with ``-X gil=N`` or ``PYTHON_GIL=N`` and reports
  whether it started and with the GIL on or off (a standard 3.13+ build refuses ``0``).
- :func:`gil_after_imports` imports modules and reports the GIL before and after each (an
  :class:`ImportReport`, also lesson 13's); :func:`find_gil_reenabling` runs it on every
  free-threaded interpreter found, because only some have the extension installed.

Importing this module starts nothing and changes no global state; every run has a timeout.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from utils.engine import environment
from utils.engine.executors import RunResult, run
from utils.engine.isolation import PACKAGE_PARENT, isolated
from utils.engine.plaindata import PlainData
from utils.engine.timing import median_and_spread
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import check_size, get_workload

__all__ = [
    "DEFAULT_SIZE",
    "GIL_SETTINGS",
    "CostComparison",
    "GilProbe",
    "ImportReport",
    "Scaling",
    "find_gil_reenabling",
    "free_threaded_candidates",
    "gil_after_imports",
    "gil_environment",
    "gil_option_probe",
    "kernel_standard_python",
    "measure_scaling",
    "plot_scaling_by_build",
    "scaling_here",
    "shown_path",
    "single_thread_cost",
    "standard_python",
]

#: Countdown iterations per task (about 0.1-0.2 s on one CPU), and the most threads :func:`measure_scaling` tries.
DEFAULT_SIZE, MAX_SCALING_WORKERS = 2_000_000, 8
#: How a worker's GIL was set: by the build's default, or forced with ``PYTHON_GIL``.
GIL_SETTINGS = {None: "build default", 0: "PYTHON_GIL=0", 1: "PYTHON_GIL=1"}
#: Extensions tried by :func:`find_gil_reenabling`: cffi's backend did not declare ``Py_mod_gil``
#: before cffi 2.0 (issue 14 saw it re-enable the GIL on 3.13t); NumPy has declared it since 2.1.
GIL_SUSPECTS = ("_cffi_backend", "numpy")


def shown_path(path: str) -> str:
    """``path`` as a lesson may print it: relative to the course's folder when inside it."""
    absolute = os.path.abspath(path)
    if absolute.startswith(PACKAGE_PARENT + os.sep):
        return os.path.relpath(absolute, PACKAGE_PARENT)
    return path


def _check_python(python: Any) -> str | None:
    if python is not None and not isinstance(python, str):
        raise TypeError(f"python must be a path (str) or None, not {type(python).__name__}")
    return python


def _check_gil(gil: Any) -> int | None:
    if gil is not None and (isinstance(gil, bool) or gil not in (0, 1)):
        raise ValueError(f"gil must be None (the build's default), 0 (off) or 1 (on), got {gil!r}")
    return gil


def gil_environment(gil: int | None) -> dict[str, str | None]:
    """The worker environment for ``PYTHON_GIL=gil`` (None: the variable removed), for ``isolated(..., env=...)``.

    ``PYTHON_GIL`` is read at start-up only (3.13+, free-threading HOWTO): it changes only the worker.
    """
    gil = _check_gil(gil)
    return {"PYTHON_GIL": None if gil is None else str(gil)}


# --- speedup and effective parallelism ------------------------------------------------------


@dataclass
class Scaling(PlainData):
    """One interpreter's sequential run and its runs on 2..N threads (plain data)."""

    sequential: RunResult
    threads: list[RunResult] = field(default_factory=list)
    gil_setting: str = GIL_SETTINGS[None]

    @property
    def python(self) -> str:
        return self.sequential.python

    @property
    def label(self) -> str:
        """E.g. ``3.13.5t, GIL off (PYTHON_GIL=0)`` or ``3.15.2, GIL on``."""
        build = "t" if self.sequential.free_threaded else ""
        gil = "on" if all(r.gil_enabled for r in self.threads) else "off"
        setting = "" if self.gil_setting == GIL_SETTINGS[None] else f" ({self.gil_setting})"
        return f"{self.python}{build}, GIL {gil}{setting}"

    def speedup(self, result: RunResult) -> float:
        """Time the same tasks took one after another (per-task median) / wall time on the threads."""
        per_task = self.sequential.wall / self.sequential.tasks
        return per_task * result.tasks / result.wall

    @property
    def speedups(self) -> list[float]:
        return [self.speedup(r) for r in self.threads]

    @property
    def best(self) -> RunResult:
        """The threads run with the highest speedup."""
        return max(self.threads, key=self.speedup)

    def describe(self) -> str:
        lines = [f"{self.label}: sequential, {self.sequential.tasks} tasks: wall {self.sequential.wall:.3f} s"]
        lines += [
            f"  {r.workers} threads: speedup {self.speedup(r):4.2f}, effective parallelism {r.parallelism:4.2f}"
            for r in self.threads
        ]
        return "\n".join(lines)


def scaling_here(
    workload: str = "countdown", max_workers: int = 2, size: int = DEFAULT_SIZE, repeat: int = 3, timeout: float = 60.0
) -> Scaling:
    """In this process: ``workload`` sequentially (``max_workers`` tasks), then on k = 2..max_workers threads.

    Each threads run has k tasks, one per thread. Runs in the calling process: from a notebook use
    :func:`measure_scaling`, which starts a fresh worker on the interpreter you name.
    """
    spec = get_workload(workload)
    if spec.kind == "io" or spec.needs_echo_server:
        raise ValueError(f"{workload!r} is not CPU-bound; scaling is measured on a cpu workload such as countdown")
    max_workers = check_count("max_workers", max_workers, 2, MAX_SCALING_WORKERS)
    size, repeat = check_size(size), check_count("repeat", repeat, 1, 20)
    sequential = run(workload, "sequential", 1, tasks=max_workers, size=size, repeat=repeat, timeout=timeout)
    threads = [
        run(workload, "threads", k, size=size, repeat=repeat, timeout=timeout) for k in range(2, max_workers + 1)
    ]
    return Scaling(sequential=sequential, threads=threads)


def measure_scaling(
    python: str | None = None,
    *,
    gil: int | None = None,
    workload: str = "countdown",
    max_workers: int | None = None,
    size: int = DEFAULT_SIZE,
    repeat: int = 3,
    timeout: float = 120.0,
) -> Scaling:
    """:func:`scaling_here` in a fresh process on ``python`` (default: this interpreter).

    ``max_workers`` defaults to the usable CPUs (2 to 8). ``gil`` 0 or 1 starts the worker with
    ``PYTHON_GIL`` set (a standard 3.13+ build refuses 0: a clear error); None: the build's default.
    """
    python, gil = _check_python(python), _check_gil(gil)
    if max_workers is None:
        max_workers = min(MAX_SCALING_WORKERS, max(2, environment.usable_cpus()))
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    result = isolated(
        scaling_here, workload, max_workers, size, repeat, timeout=timeout, python=python, env=gil_environment(gil)
    )
    result.gil_setting = GIL_SETTINGS[gil]
    return result


def plot_scaling_by_build(series: Sequence[Scaling], *, show: bool = True) -> Any:
    """Speedup and effective parallelism against threads, one line per :class:`Scaling`."""
    from utils.ui.plots import finish, plt

    if isinstance(series, Scaling) or not isinstance(series, (list, tuple)) or not series:
        raise TypeError("series must be a non-empty list of Scaling")
    if not all(isinstance(s, Scaling) for s in series):
        raise TypeError("series must hold Scaling objects")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    top = max(r.workers for s in series for r in s.threads)
    for s in series:
        workers = [1] + [r.workers for r in s.threads]
        left.plot(workers, [1.0, *s.speedups], "o-", label=s.label)
        right.plot(workers, [s.sequential.parallelism, *(r.parallelism for r in s.threads)], "o-", label=s.label)
    cpus = series[0].sequential.cpu_count
    for ax, name in ((left, "speedup over sequential"), (right, "effective parallelism\n(CPU time / wall time)")):
        ax.plot([1, top], [1, top], color="gray", linestyle=":", label="ideal (linear)")
        ax.axhline(cpus, color="red", linestyle="--", linewidth=1, label=f"{cpus} usable CPUs")
        ax.set_xlabel("threads")
        ax.set_ylabel(name)
        ax.set_xticks(range(1, top + 1))
        ax.set_ylim(0, max(top, cpus) * 1.2)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{series[0].sequential.workload}, one task per thread, size {series[0].sequential.size:,}")
    return finish(fig, show)


# --- single-thread cost ---------------------------------------------------------------------


def standard_python(minor: str) -> str | None:
    """A standard (GIL) CPython of version ``minor`` (e.g. ``"3.13"``) found on this machine, or None.

    Looks for ``python3.N`` on PATH, in ``$PYTHONS_DIR/bin`` and in pyenv's versions, probing each
    (:func:`utils.engine.environment.probe_python`): what it returns really is that build.
    """
    if not isinstance(minor, str) or not re.fullmatch(r"3\.\d+", minor):
        raise ValueError(f"minor must look like '3.13', got {minor!r}")
    name = f"python{minor}"
    candidates = [shutil.which(name)]
    pythons_dir = Path(os.environ.get(environment.PYTHONS_DIR_ENV) or environment.DEFAULT_PYTHONS_DIR)
    candidates.append(str(pythons_dir / "bin" / name))
    pyenv = Path(os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")) / "versions"
    with contextlib.suppress(OSError):
        candidates += [str(version / "bin" / name) for version in sorted(pyenv.iterdir(), reverse=True)]
    for path in dict.fromkeys(p for p in candidates if p and "shims" not in Path(p).parts):
        found = environment.probe_python(path) if os.path.exists(path) else None
        if found is not None and not found.free_threaded and found.version.startswith(minor + "."):
            return path
    return None


def kernel_standard_python() -> str | None:
    """This interpreter if it is a standard build, else a standard build of its minor version, or None.

    On a free-threaded kernel (``python3.13t``) it is a ``python3.13`` found by :func:`standard_python`.
    """
    if not environment.free_threaded_build():
        return sys.executable
    return standard_python("{}.{}".format(*sys.version_info[:2]))


@dataclass
class CostComparison(PlainData):
    """Sequential wall times of the same work on a free-threaded and a standard build, alternating."""

    free_threaded: str  # version, e.g. "3.13.5"
    standard: str = ""  # version, "" if none was found
    measured: bool = False
    reason: str = ""
    free_threaded_walls: list[float] = field(default_factory=list)
    standard_walls: list[float] = field(default_factory=list)

    @property
    def overhead(self) -> float:
        """How much slower the free-threaded build was: median wall / median wall - 1 (0.25 = 25%)."""
        if not self.measured:
            return float("nan")
        return median_and_spread(self.free_threaded_walls)[0] / median_and_spread(self.standard_walls)[0] - 1

    def describe(self) -> str:
        if not self.measured:
            return f"Single-thread cost not measured: {self.reason}"
        return (
            f"one thread, same work: {self.free_threaded}t median {median_and_spread(self.free_threaded_walls)[0]:.3f} s, "
            f"{self.standard} median {median_and_spread(self.standard_walls)[0]:.3f} s over "
            f"{len(self.standard_walls)} alternating rounds: the free-threaded build was "
            f"{self.overhead:+.0%} {'slower' if self.overhead >= 0 else 'faster'}"
        )


def single_thread_cost(
    python: str,
    standard: str | None = None,
    *,
    workload: str = "countdown",
    size: int = DEFAULT_SIZE,
    rounds: int = 5,
    timeout: float = 120.0,
) -> CostComparison:
    """Time ``workload`` on one thread on ``python`` (free-threaded) and ``standard``, alternating rounds.

    ``standard`` defaults to :func:`standard_python` of the same minor version; if there is none,
    the result has ``measured=False`` and says why (then quote the documented figure instead). Each
    round runs the work once on each, in a fresh worker; the medians over the rounds are compared.
    """
    python = _check_python(python)
    if python is None:
        raise ValueError("python must name a free-threaded interpreter")
    found = environment.probe_python(python)
    if found is None or not found.free_threaded:
        raise ValueError(f"{python!r} is not a free-threaded CPython")
    rounds = check_count("rounds", rounds, 1, 20)
    minor = ".".join(found.version.split(".")[:2])
    standard = _check_python(standard) or standard_python(minor)
    cost = CostComparison(free_threaded=found.version)
    if standard is None:
        cost.reason = f"no standard CPython {minor} was found (python{minor} on PATH, in $PYTHONS_DIR/bin or pyenv)"
        return cost
    other = environment.probe_python(standard)
    if other is None or other.free_threaded:
        raise ValueError(f"standard={standard!r} is not a standard CPython")
    cost.standard = other.version
    each = {"size": size, "repeat": 1, "timeout": timeout, "env": gil_environment(None)}
    for _ in range(rounds):
        for path, walls in ((python, cost.free_threaded_walls), (standard, cost.standard_walls)):
            walls.append(isolated(run, workload, "sequential", 1, **each, python=path).wall)
    cost.measured = True
    return cost


# --- -X gil and PYTHON_GIL at start-up ----------------------------------------------------


@dataclass(frozen=True)
class GilProbe:
    """What happened when an interpreter was started with ``-X gil=N`` or ``PYTHON_GIL=N``."""

    gil: int
    via: str
    started: bool
    gil_enabled: bool | None
    error: str

    def describe(self) -> str:
        how = f"-X gil={self.gil}" if self.via == "option" else f"PYTHON_GIL={self.gil}"
        if not self.started:
            return f"{how}: the interpreter refused to start: {self.error}"
        if self.gil_enabled is None:
            return f"{how}: started; no sys._is_gil_enabled here (before 3.13 the GIL is always on)"
        return f"{how}: started, GIL {'on' if self.gil_enabled else 'off'}"


_GIL_REPORT = "import sys; f = getattr(sys, '_is_gil_enabled', None); print('none' if f is None else f())"


def gil_option_probe(gil: int, *, via: str = "option", python: str | None = None, timeout: float = 30.0) -> GilProbe:
    """Start ``python`` (default: this interpreter) with the GIL forced off (0) or on (1); report the outcome.

    ``via="option"`` passes ``-X gil=N``, ``via="env"`` sets ``PYTHON_GIL=N`` (both 3.13+, free-threading
    HOWTO). A standard 3.13+ build refuses ``0`` with a fatal error; before 3.13 the option is ignored
    (it only lands in ``sys._xoptions``) and ``gil_enabled`` is None (no ``sys._is_gil_enabled``).
    """
    if isinstance(gil, bool) or gil not in (0, 1):
        raise ValueError(f"gil must be 0 or 1, got {gil!r}")
    if via not in ("option", "env"):
        raise ValueError(f"via must be 'option' or 'env', got {via!r}")
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    interpreter = python or sys.executable
    if not isinstance(interpreter, str) or not os.path.isfile(interpreter):
        raise ValueError(f"python={interpreter!r} is not an executable file")
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_GIL"}
    env.update({"PYTHON_GIL": str(gil)} if via == "env" else {})
    command = [interpreter, *(["-X", f"gil={gil}"] if via == "option" else []), "-c", _GIL_REPORT]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"{interpreter} did not start and exit within {timeout:g} s") from None
    output = done.stdout.strip()
    started = done.returncode == 0 and output in ("True", "False", "none")
    gil_enabled = {"True": True, "False": False}.get(output) if started else None
    error = "" if started else (_last_error_line(done.stderr) or f"exit code {done.returncode}")
    return GilProbe(gil, via, started, gil_enabled, error)


def _last_error_line(stderr: str) -> str:
    # CPython's fatal errors read "Fatal Python error: <function>: <message>" then a state line.
    for line in stderr.splitlines():
        if line.startswith("Fatal Python error:"):
            return line.split(":", 2)[-1].strip()
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""


# --- an extension that switches the GIL back on ---------------------------------------------


@dataclass
class ImportReport(PlainData, environment.MadeOn):
    """What importing ``modules``, in order, did to the GIL of a fresh interpreter (plain data)."""

    modules: list[str]
    python: str = ""
    free_threaded: bool = False
    gil_at_start: bool = True
    gil_after: list[bool] = field(default_factory=list)  # the GIL after each import, in order
    errors: dict[str, str] = field(default_factory=dict)  # module -> why it could not be imported
    warnings: list[str] = field(default_factory=list)  # the RuntimeWarnings about the GIL
    interpreter: str = ""  # where it ran, as :func:`shown_path` shows it

    @property
    def module(self) -> str:  # the only one, in a report of :func:`find_gil_reenabling`
        return self.modules[0]

    @property
    def installed(self) -> bool:  # every module could be imported
        return not self.errors

    @property
    def gil_enabled(self) -> bool:
        """Whether the GIL was on after the last import."""
        return self.gil_after[-1] if self.gil_after else self.gil_at_start

    @property
    def culprit(self) -> str | None:
        """The first module whose import switched the GIL on (None if none did)."""
        before = self.gil_at_start
        for module, after in zip(self.modules, self.gil_after):
            if after and not before:
                return module
            before = after
        return None

    @property
    def reenabled(self) -> bool:
        return self.culprit is not None

    def describe(self) -> str:
        """One line per import: the GIL before and after it, then any RuntimeWarning; every fact from the report."""
        where = f"Python {self.python}{'t' if self.free_threaded else ''}"
        where += f" ({self.interpreter})" if self.interpreter else ""
        gil, before, lines = {True: "on", False: "off"}, self.gil_at_start, []
        for module, after in zip(self.modules, self.gil_after):
            if module in self.errors:
                lines.append(f"{where}: {module} could not be imported ({self.errors[module]})")
            else:
                lines.append(f"{where}: GIL {gil[before]} before `import {module}`, {gil[after]} after")
            before = after
        return "\n".join(lines + [f"  RuntimeWarning: {w}" for w in self.warnings])


def gil_after_imports(modules: Sequence[str]) -> ImportReport:
    """Import ``modules`` in order in this process and record ``sys._is_gil_enabled()`` before and after each.

    On a free-threaded build (3.13+) an extension that does not declare ``Py_mod_gil`` switches the
    GIL on for good, with a ``RuntimeWarning`` (free-threading HOWTO; C API ``Py_mod_gil``): run it
    in a fresh worker, ``isolated(gil_after_imports, [...], python=find_free_threaded_python())``.
    """
    if isinstance(modules, str) or not isinstance(modules, Sequence):
        raise TypeError("modules must be a list of module names, e.g. ['json', 'hashlib']")
    names = list(modules)
    if not names or not all(isinstance(n, str) and re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", n) for n in names):
        raise ValueError(f"modules must be a non-empty list of dotted module names, got {names!r}")
    where = environment.where_it_ran()
    report = ImportReport.made_on(where, modules=names, gil_at_start=where.gil_enabled)
    for name in names:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                importlib.import_module(name)
            except Exception as exc:  # ImportError, or an error the module raised while importing
                report.errors[name] = f"{type(exc).__name__}: {exc}"
        report.warnings += [str(w.message) for w in caught if "global interpreter lock" in str(w.message)]
        report.gil_after.append(environment.gil_enabled())
    return report


def free_threaded_candidates() -> list[str]:
    """Every free-threaded interpreter found, then the course's own free-threaded test venvs.

    :func:`utils.engine.environment.free_threaded_pythons`, then ``.venvs/py*t/bin/python`` (made
    by ``make matrix``, with the course's requirements, so ``_cffi_backend`` may be importable
    there). Each is probed; the same file is listed once.
    """
    paths = [p.path for p in environment.free_threaded_pythons()]
    venvs = Path(PACKAGE_PARENT) / ".venvs"
    with contextlib.suppress(OSError):
        for venv in sorted(venvs.iterdir()):
            python = venv / "bin" / "python"
            found = environment.probe_python(str(python)) if venv.name.endswith("t") and python.exists() else None
            if found is not None and found.free_threaded:
                paths.append(str(python))
    unique: dict[str, str] = {}
    for path in paths:
        unique.setdefault(os.path.abspath(path), path)  # not realpath: a venv links to its base
    return list(unique.values())


def find_gil_reenabling(
    modules: Sequence[str] = GIL_SUSPECTS, pythons: Sequence[str] | None = None, *, timeout: float = 60.0
) -> list[ImportReport]:
    """:func:`gil_after_imports` of each module alone, in a fresh worker, on the first free-threaded interpreter that has it.

    ``pythons`` defaults to :func:`free_threaded_candidates`. A module installed on none of them is
    reported once, ``installed=False``, from the first; with no free-threaded interpreter the list
    is empty. ``PYTHON_GIL`` is unset for the workers, so the build's default applies.
    """
    if isinstance(modules, str) or not all(isinstance(m, str) for m in modules):
        raise TypeError("modules must be a list of module names")
    if pythons is None:
        pythons = free_threaded_candidates()
    pythons = [p for p in pythons if _check_python(p)]
    reports: list[ImportReport] = []
    unset = gil_environment(None)  # each build's own default
    for module in modules:
        tried = [isolated(gil_after_imports, [module], python=p, timeout=timeout, env=unset) for p in pythons[:1]]
        for python in pythons[1:]:
            if tried[-1].installed:
                break
            tried.append(isolated(gil_after_imports, [module], python=python, timeout=timeout, env=unset))
        for report, python in zip(tried, pythons[: len(tried)], strict=True):
            report.interpreter = shown_path(python)
        installed = [r for r in tried if r.installed]
        reports += (installed or tried)[:1]
    return reports
