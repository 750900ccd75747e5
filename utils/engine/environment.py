"""Facts about the running interpreter that decide what a GIL demonstration can show.

Sources: ``sys._is_gil_enabled`` and ``sysconfig.get_config_var("Py_GIL_DISABLED")`` from the
free-threading HOWTO (Python 3.13+); ``sys.getswitchinterval`` from the ``sys`` docs (3.2+);
``os.process_cpu_count`` from the ``os`` docs (3.13+).

:func:`find_free_threaded_python` (and :func:`free_threaded_pythons`) look for a free-threaded
interpreter on this machine (``GIL_COURSE_PYTHON``, the running interpreter, ``python3.Nt`` on
PATH, in ``$PYTHONS_DIR/bin`` and in pyenv) and probe each candidate in a subprocess, with a
timeout, so that what they return really is a free-threaded build.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from utils.engine.plaindata import PlainData
from utils.engine.validation import check_seconds

#: Environment variable naming a free-threaded interpreter to prefer (e.g. ``python3.14t`` or a path).
OTHER_PYTHON_ENV = "GIL_COURSE_PYTHON"


def free_threaded_build() -> bool:
    """True if this CPython was built with ``--disable-gil`` (``Py_GIL_DISABLED``, 3.13+)."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled() -> bool:
    """True if the GIL is enabled right now.

    On a free-threaded build the GIL can still be switched on (``PYTHON_GIL=1``, ``-X gil=1``,
    or importing an extension that does not declare free-threading support). Before 3.13
    there is no ``sys._is_gil_enabled`` and the GIL is always on.
    """
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask), which can be fewer than the machine has."""
    if hasattr(os, "process_cpu_count"):  # 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class PythonInfo(PlainData):
    """What a GIL experiment depends on, as plain data."""

    version: str
    implementation: str
    free_threaded_build: bool
    gil_enabled: bool
    cpu_count: int
    usable_cpus: int
    switch_interval: float
    start_method: str
    platform: str

    def describe(self) -> str:
        """A short report for a learner, one fact per line."""
        build = "free-threaded (built without the GIL)" if self.free_threaded_build else "standard (with the GIL)"
        return "\n".join(
            [
                f"Python:            {self.implementation} {self.version}",
                f"Build:             {build}",
                f"GIL enabled now:   {'yes' if self.gil_enabled else 'no'}",
                f"CPUs:              {self.cpu_count} on the machine, {self.usable_cpus} usable by this process",
                f"Switch interval:   {self.switch_interval * 1000:g} ms",
                f"Start method:      {self.start_method} (default for multiprocessing here)",
                f"Platform:          {self.platform}",
            ]
        )


def python_info() -> PythonInfo:
    """Collect :class:`PythonInfo` for the running interpreter."""
    return PythonInfo(
        version=platform.python_version(),
        implementation=platform.python_implementation(),
        free_threaded_build=free_threaded_build(),
        gil_enabled=gil_enabled(),
        cpu_count=os.cpu_count() or 1,
        usable_cpus=usable_cpus(),
        switch_interval=sys.getswitchinterval(),
        start_method=multiprocessing.get_start_method(allow_none=True) or _default_start_method(),
        platform=f"{platform.system()} {platform.machine()}",
    )


@dataclass(frozen=True)
class WhereItRan(PlainData):
    """Where a measurement ran: the one record of the facts every result in the course depends on.

    ``usable_cpus`` is the number of CPUs the measuring process could use (its affinity mask,
    :func:`usable_cpus`), which bounds effective parallelism; it is never the machine's CPU count.
    """

    python: str
    free_threaded: bool
    gil_enabled: bool
    usable_cpus: int

    def describe(self) -> str:
        """E.g. "Python 3.13.5 (free-threaded, GIL off), 2 usable CPUs"."""
        build = f"free-threaded, GIL {'on' if self.gil_enabled else 'off'}" if self.free_threaded else "standard"
        return f"Python {self.python} ({build}), {self.usable_cpus} usable CPU{'s' if self.usable_cpus != 1 else ''}"


def where_it_ran() -> WhereItRan:
    """:class:`WhereItRan` for the running interpreter, right now (the GIL can be switched on at run time)."""
    return WhereItRan(
        python=platform.python_version(),
        free_threaded=free_threaded_build(),
        gil_enabled=gil_enabled(),
        usable_cpus=usable_cpus(),
    )


#: The fields a result records where it ran, and the :class:`WhereItRan` fact each is filled from.
_WHERE_FIELDS = {
    "python": "python",
    "free_threaded": "free_threaded",
    "gil_enabled": "gil_enabled",
    "cpu_count": "usable_cpus",
}


class MadeOn:
    """Mixin for result dataclasses that record where they ran in flat fields.

    A result declares any of ``python``, ``free_threaded``, ``gil_enabled`` and ``cpu_count``
    (``cpu_count`` always means the usable CPUs, :func:`usable_cpus`) and is built with
    ``Result.made_on(where_it_ran(), other_field=...)``, so no experiment fills them by hand.
    """

    @classmethod
    def made_on(cls, where: WhereItRan, **fields: Any) -> Any:
        """A result of an experiment that ran at ``where``: its where-it-ran fields filled from it."""
        if not isinstance(where, WhereItRan):
            raise TypeError(f"where must be a WhereItRan (from where_it_ran()), not {type(where).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        filled = {name: getattr(where, fact) for name, fact in _WHERE_FIELDS.items() if name in names}
        clash = sorted(set(filled) & set(fields))
        if clash:
            raise TypeError(f"{cls.__name__}.made_on fills {', '.join(clash)} from `where`; do not pass them")
        return cls(**filled, **fields)

    @property
    def ran_on(self) -> WhereItRan:
        """Where this ran, as the course's one record (facts the class does not record are left at their defaults)."""
        return WhereItRan(
            python=getattr(self, "python", ""),
            free_threaded=getattr(self, "free_threaded", False),
            # A class that records only the build: a free-threaded build runs without the GIL unless told otherwise.
            gil_enabled=getattr(self, "gil_enabled", not getattr(self, "free_threaded", False)),
            usable_cpus=getattr(self, "cpu_count", 1),
        )


def _default_start_method() -> str:
    # get_start_method(allow_none=True) is None until something fixes the method; asking the
    # default context would fix it. The docs of get_all_start_methods: "the first is the default".
    return multiprocessing.get_all_start_methods()[0]


@dataclass(frozen=True)
class OtherPython(PlainData):
    """An interpreter found on this machine, as it described itself when probed."""

    path: str
    version: str  # e.g. "3.13.5"
    free_threaded: bool

    @property
    def version_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("."))

    @property
    def name(self) -> str:
        """``3.13.5t`` for a free-threaded 3.13.5, ``3.12.1`` for a standard one."""
        return self.version + ("t" if self.free_threaded else "")


#: Environment variable naming the course's interpreter folder (``make pythons`` fills ``$PYTHONS_DIR/bin``).
PYTHONS_DIR_ENV = "PYTHONS_DIR"
DEFAULT_PYTHONS_DIR = "/opt/pythons"
#: Seconds a candidate interpreter gets to say what it is before it is skipped.
PROBE_TIMEOUT = 10.0
#: Names of free-threaded interpreters: python3.13t, python3.14t, ... (no upper version).
FREE_THREADED_NAME = re.compile(r"^python3\.(\d+)t$")
_PYENV_FREE_THREADED_NAME = re.compile(r"^python3(\.\d+)?t$")  # pyenv's versions/3.13.5t/bin/python3.13t, python3t

_PROBE_CODE = (
    "import sys, sysconfig; print(sys.implementation.name, "
    "'.'.join(map(str, sys.version_info[:3])), int(bool(sysconfig.get_config_var('Py_GIL_DISABLED'))))"
)
_PROBE_OUTPUT = re.compile(r"^(\w+) (\d+\.\d+\.\d+) ([01])$")
_probed: dict[tuple[str, int, int], OtherPython | None] = {}


def probe_python(path: str, *, timeout: float | None = None) -> OtherPython | None:
    """Ask the interpreter at ``path`` what it is: a CPython version and build, or None.

    Runs ``path -I -c ...`` in a subprocess that must answer within ``timeout`` seconds
    (default :data:`PROBE_TIMEOUT`); the build is ``sysconfig.get_config_var("Py_GIL_DISABLED")``
    (free-threading HOWTO, 3.13+). Anything that is missing, not executable, not CPython, slow,
    or answers nonsense gives None. Answers are cached per file (path, size and modification time).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like, not {type(path).__name__}")
    path = os.fspath(path)
    if not path:
        raise ValueError("path is empty: name an interpreter, e.g. /usr/bin/python3.13t")
    timeout = check_seconds("timeout", PROBE_TIMEOUT if timeout is None else timeout, 0.0, 600.0)
    try:
        real = os.path.realpath(path)
        stat = os.stat(real)
    except (OSError, ValueError):
        return None
    if not os.path.isfile(real) or not os.access(real, os.X_OK):
        return None
    key = (real, stat.st_size, stat.st_mtime_ns)
    if key in _probed:
        found = _probed[key]
        return None if found is None else OtherPython(path, found.version, found.free_threaded)
    env = {name: value for name, value in os.environ.items() if name != "PYTHON_GIL"}
    try:
        done = subprocess.run(
            [path, "-I", "-c", _PROBE_CODE],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None  # a timeout is not cached: the machine may just have been busy
    match = _PROBE_OUTPUT.match(done.stdout.strip()) if done.returncode == 0 else None
    found = None
    if match and match.group(1) == "cpython":
        found = OtherPython(path, match.group(2), match.group(3) == "1")
    _probed[key] = found
    return found


def _named_in(folder: Path, pattern: re.Pattern[str]) -> list[str]:
    try:
        return [str(entry) for entry in sorted(folder.iterdir()) if pattern.match(entry.name)]
    except OSError:
        return []


def _candidate_paths() -> list[str]:
    """Where free-threaded interpreters may be: PATH, the course's folder, pyenv's versions."""
    paths = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if folder and "shims" not in Path(folder).parts:  # pyenv's shims: its versions are read below
            paths += _named_in(Path(folder), FREE_THREADED_NAME)
    pythons_dir = Path(os.environ.get(PYTHONS_DIR_ENV) or DEFAULT_PYTHONS_DIR)
    paths += _named_in(pythons_dir / "bin", FREE_THREADED_NAME)
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv"))
    try:
        versions = sorted((pyenv_root / "versions").iterdir())
    except OSError:
        versions = []
    for version in versions:
        paths += _named_in(version / "bin", _PYENV_FREE_THREADED_NAME)
    return paths


def free_threaded_pythons() -> list[OtherPython]:
    """Every free-threaded interpreter found, in order of preference, each checked by probing it.

    1. the one named by ``GIL_COURSE_PYTHON`` (a path, or a command on PATH), if it is free-threaded;
    2. the running interpreter, if it is a free-threaded build (a kernel started on ``python3.13t``);
    3. every ``python3.Nt`` on ``PATH``, in ``$PYTHONS_DIR/bin`` (default ``/opt/pythons/bin``,
       filled by ``make pythons``) and in pyenv's ``$PYENV_ROOT/versions/*/bin`` (default
       ``~/.pyenv``), newest version first.

    An interpreter is listed only if it reports ``Py_GIL_DISABLED`` when probed (with a timeout,
    :func:`probe_python`); the same file is listed once.
    """
    chosen: list[OtherPython] = []
    seen: set[str] = set()

    def add(found: OtherPython | None) -> None:
        if found is not None and found.free_threaded and os.path.realpath(found.path) not in seen:
            seen.add(os.path.realpath(found.path))
            chosen.append(found)

    named = os.environ.get(OTHER_PYTHON_ENV)
    if named:
        add(probe_python(shutil.which(named) or named))
    if free_threaded_build() and sys.executable:
        add(OtherPython(sys.executable, platform.python_version(), True))
    found = [probe_python(path) for path in dict.fromkeys(_candidate_paths())]
    for other in sorted((f for f in found if f is not None), key=lambda f: f.version_key, reverse=True):
        add(other)
    return chosen


def find_free_threaded_python() -> str | None:
    """Path of a free-threaded interpreter, or None if there is none.

    The first of :func:`free_threaded_pythons`: ``GIL_COURSE_PYTHON`` if it names a free-threaded
    interpreter, else the running interpreter if it is one, else the newest ``python3.Nt`` on PATH,
    in ``$PYTHONS_DIR/bin`` or in pyenv. Every candidate is probed, so the path returned really is
    a free-threaded build (``Py_GIL_DISABLED``).
    """
    found = free_threaded_pythons()
    return found[0].path if found else None


@contextlib.contextmanager
def switch_interval(seconds: float | None) -> Iterator[None]:
    """Set ``sys.setswitchinterval(seconds)`` inside a ``with`` block, restoring it after.

    ``None`` leaves the interval alone. Values from 1 µs to 1 s are accepted.
    """
    if seconds is None:
        yield
        return
    check_seconds("switch_interval", seconds, 1e-6, 1.0, allow_low=True)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)
