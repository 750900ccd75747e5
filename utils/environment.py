"""Facts about the running interpreter that decide what a GIL demonstration can show.

Sources: ``sys._is_gil_enabled`` and ``sysconfig.get_config_var("Py_GIL_DISABLED")`` from the
free-threading HOWTO (Python 3.13+); ``sys.getswitchinterval`` from the ``sys`` docs (3.2+);
``os.process_cpu_count`` from the ``os`` docs (3.13+).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import platform
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from typing import Iterator

from utils.plaindata import PlainData
from utils.validation import check_seconds

#: Environment variable naming an extra interpreter (e.g. a free-threaded ``python3.14t``).
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


def _default_start_method() -> str:
    # get_start_method(allow_none=True) is None until something fixes the method; asking the
    # default context would fix it. The docs of get_all_start_methods: "the first is the default".
    return multiprocessing.get_all_start_methods()[0]


def find_free_threaded_python() -> str | None:
    """Path of a free-threaded interpreter, or None if there is none.

    Looks at the ``GIL_COURSE_PYTHON`` environment variable first, then for ``python3.14t``
    and ``python3.13t`` on ``PATH``. (Whether the named interpreter really is free-threaded is
    checked when an experiment runs on it: see ``utils.isolation``.)
    """
    named = os.environ.get(OTHER_PYTHON_ENV)
    if named:
        return shutil.which(named) or (named if os.path.exists(named) else None)
    for name in ("python3.14t", "python3.13t"):
        found = shutil.which(name)
        if found:
            return found
    return None


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
