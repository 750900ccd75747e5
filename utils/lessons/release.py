"""Lesson 09: C code that releases the GIL. Probes and timings for calls into C.

Each **operation** is one call from Python into C code (``OPERATIONS``), with a ``size``:

- ``python``: a pure-Python loop of ``size`` iterations (the baseline: holds the GIL);
- ``sha256``: ``hashlib.sha256().update`` with a ``size``-byte block on a fresh hash object;
  hashlib releases the GIL for data of at least 2048 bytes up to 3.14, of more than 2048 bytes
  from 3.15 (:func:`hashlib_releases_gil` gives the rule and its sources);
- ``sha256-primed``: the same, on a hash object that first hashed one 4,096-byte block: up to 3.14
  that object then releases the GIL on every later update, whatever its size; from 3.15 it does not;
- ``zlib``: ``zlib.compress`` of ``size`` bytes (``Modules/zlibmodule.c`` releases the GIL
  around ``deflate``);
- ``numpy`` / ``numpy-object``: the ufunc ``np.multiply(a, a, out=...)`` on ``size`` float64 or
  object elements; numpy releases the GIL for loops over more than 500 elements that need no
  Python objects (``NPY_BEGIN_THREADS_THRESHOLDED`` in ``numpy/_core/include/numpy/ndarraytypes.h``);
- ``matmul``: ``a @ a`` for a ``size`` x ``size`` float64 matrix (BLAS, which may use threads of its own);
- ``cdll-usleep`` / ``pydll-usleep``: libc's ``usleep(size)`` (microseconds) through
  ``ctypes.CDLL``, which releases the GIL during the call, or ``ctypes.PyDLL``, which does not
  (ctypes docs, *Loading shared libraries*). Needs a C library with ``usleep`` (Linux, macOS).

Two experiments, each best run in a fresh process (the functions ending in ``_isolated`` do that):

- :func:`probe`: does another Python thread get to run while this thread is inside the
  operation? With the switch interval raised far above the probe's length, a thread that holds
  the GIL is never asked to drop it, so the answer is a yes or no that does not depend on how
  fast or busy the machine is. On a free-threaded build with the GIL off there is no GIL to
  hold or release: the other thread runs whenever the OS schedules it, and the probe says so.
- :func:`measure_threads`: ``threads`` threads each call the operation ``calls`` times; wall
  time, CPU time and **effective parallelism** (CPU time / wall time).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import math
import random
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from utils.engine.plaindata import PlainData
from utils.engine import environment
from utils.engine.isolation import call_isolated
from utils.engine.timing import RepeatedRuns
from utils.engine.validation import check_count, check_seconds

MiB = 1024 * 1024
#: hashlib's threshold for releasing the GIL (``HASHLIB_GIL_MINSIZE`` in CPython's ``Modules/hashlib.h``, 2048
#: in 3.10-3.15; exposed as ``_hashlib._GIL_MINSIZE`` from 3.14). How it is compared changed in 3.15:
#: see :func:`hashlib_releases_gil`.
HASHLIB_GIL_MINSIZE = 2048
#: Size of the one update that primes the hash object of the ``sha256-primed`` operation (bytes).
PRIMING_BLOCK = 4096
#: numpy releases the GIL for ufunc loops over more than this many elements (``NPY_BEGIN_THREADS_THRESHOLDED``).
NUMPY_THREADS_THRESHOLD = 500
#: Block sizes for the hashlib threshold experiment (bytes).
DEFAULT_BLOCKS = (256, 1024, 2047, 2048, 2049, 4096, 65536)
#: Switch interval used while probing: far longer than any probe, so a thread that holds the
#: GIL is never forced to hand it over, and the other thread runs only if the GIL is released.
PROBE_SWITCH_INTERVAL = 10.0


# --- hashlib's rule, by version -------------------------------------------------------------


def _version_tuple(version: Any) -> tuple[int, int]:
    if version is None:
        return sys.version_info[:2]
    if isinstance(version, str):  # "3.15.2", as Probe.python and ThreadRun.python hold it
        parts = version.split(".")
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            return int(parts[0]), int(parts[1])
        raise ValueError(f"version must look like '3.14' or '3.14.1', not {version!r}")
    if (isinstance(version, tuple) and len(version) >= 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in version[:2])):
        return version[0], version[1]
    raise TypeError(f"version must be a (major, minor) tuple or a string such as '3.14', not {version!r}")


def hashlib_releases_gil(size: int, *, version: Any = None, free_threaded: bool | None = None) -> bool:
    """Whether one hashlib ``update`` of ``size`` bytes, on a fresh hash object, releases the GIL.

    The rule as CPython's source states it (``version`` and ``free_threaded`` default to the
    running interpreter; ``version`` is ``(3, 14)`` or ``"3.14.1"``):

    - 3.15 and later: only for data **longer than** ``HASHLIB_GIL_MINSIZE`` (2048) bytes:
      ``if ((SIZE) > HASHLIB_GIL_MINSIZE)`` in ``HASHLIB_EXTERNAL_INSTRUCTIONS_LOCKED``,
      ``Modules/hashlib.h`` (gh-135239), so a 2,048-byte update keeps the GIL; the same on every build.
    - 3.10 to 3.14, standard build: for data of **at least** 2048 bytes
      (``view.len >= HASHLIB_GIL_MINSIZE`` in ``Modules/_hashopenssl.c``, the constant in
      ``Modules/hashlib.h``); the hashlib docs: "larger than 2047 bytes".
    - 3.13 and 3.14, free-threaded build: every update, because a hash object uses its mutex from
      creation (``HASHLIB_INIT_MUTEX`` sets ``use_mutex`` under ``Py_GIL_DISABLED``, ``Modules/hashlib.h``).
      That only shows when the GIL is switched back on (``PYTHON_GIL=1``); with it off there is no GIL to release.
    """
    check_count("size", size, 0, 1 << 62)
    major_minor = _version_tuple(version)
    if free_threaded is None:
        free_threaded = environment.free_threaded_build()
    elif not isinstance(free_threaded, bool):
        raise TypeError(f"free_threaded must be True, False or None, not {type(free_threaded).__name__}")
    if major_minor >= (3, 15):
        return size > HASHLIB_GIL_MINSIZE
    if free_threaded:
        return True
    return size >= HASHLIB_GIL_MINSIZE


def hashlib_keeps_releasing(*, version: Any = None) -> bool:
    """Whether a hash object that hashed >= 2048 bytes in one ``update`` releases the GIL on every later one.

    True up to 3.14: that update switches the object to using its lock for good (``use_mutex``,
    ``Modules/_hashopenssl.c`` and ``Modules/hashlib.h``; a ``PyThread`` lock before 3.13), and every
    update that uses the lock releases the GIL. (Data given to the constructor does not do this.)
    False from 3.15, where each update decides by its own size (gh-135239).
    """
    return _version_tuple(version) < (3, 15)


def hashlib_rule(*, version: Any = None) -> str:
    """hashlib's rule for ``version`` (default: this Python) in words, with its source."""
    if _version_tuple(version) >= (3, 15):
        return (f"more than {HASHLIB_GIL_MINSIZE} bytes "
                "(3.15+: HASHLIB_EXTERNAL_INSTRUCTIONS_LOCKED in Modules/hashlib.h, gh-135239)")
    return f"at least {HASHLIB_GIL_MINSIZE} bytes (3.10-3.14: view.len >= HASHLIB_GIL_MINSIZE)"


# --- operations ---------------------------------------------------------------------------


def libc_path() -> str | None:
    """The C library ctypes can load here (``ctypes.util.find_library("c")``), or None (e.g. Windows)."""
    return ctypes.util.find_library("c")


def _python_loop(size: int) -> Callable[[], Any]:
    def step() -> int:
        n = size
        while n > 0:
            n -= 1
        return n

    return step


def _sha256(size: int) -> Callable[[], Any]:
    # A fresh hash object per call site: up to 3.14, once an object has hashed >= 2048 bytes in one
    # update it keeps using its lock and releases the GIL on every later update, whatever their
    # size (hashlib_keeps_releasing); the sha256-primed operation shows that.
    digest = hashlib.sha256()
    data = bytes(size)
    return lambda: digest.update(data)


def _sha256_primed(size: int) -> Callable[[], Any]:
    digest = hashlib.sha256()
    digest.update(bytes(PRIMING_BLOCK))
    data = bytes(size)
    return lambda: digest.update(data)


def _zlib(size: int) -> Callable[[], Any]:
    data = random.Random(size).randbytes(size)
    return lambda: zlib.compress(data, 6)


def _numpy(dtype: str) -> Callable[[int], Callable[[], Any]]:
    def factory(size: int) -> Callable[[], Any]:
        import numpy as np

        values = np.linspace(1.0, 2.0, size)
        if dtype == "object":
            values = values.astype(object)  # each element a Python float: multiply calls float.__mul__
        out = np.empty_like(values)
        return lambda: np.multiply(values, values, out=out)

    return factory


def _matmul(size: int) -> Callable[[], Any]:
    import numpy as np

    matrix = np.random.default_rng(size).random((size, size))
    return lambda: matrix @ matrix


def _usleep(loader: type) -> Callable[[int], Callable[[], Any]]:
    def factory(size: int) -> Callable[[], Any]:
        path = libc_path()
        if path is None:
            raise OSError("no C library found (ctypes.util.find_library('c') is None)")
        usleep = loader(path).usleep
        usleep.argtypes = [ctypes.c_uint]
        usleep.restype = ctypes.c_int
        return lambda: usleep(size)

    return factory


@dataclass(frozen=True)
class Operation:
    """A call into C code: how to prepare it, and when it is documented to release the GIL."""

    name: str
    description: str
    unit: str
    max_size: int
    factory: Callable[[int], Callable[[], Any]]
    releases: Callable[[int], bool] | None
    source: str
    uses_numpy: bool = False

    def label(self, size: int) -> str:
        return self.description.format(size=size)

    def expected(self, size: int) -> bool | None:
        """Whether the operation should release the GIL at this size (None: not documented here)."""
        return None if self.releases is None else self.releases(size)


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("python", "pure-Python loop, {size:,} iterations", "iterations", 10**7,
                  _python_loop, lambda size: False, "Python/ceval.c: bytecode runs with the GIL held"),
        Operation("sha256", "hashlib sha256 update, {size:,}-byte blocks", "bytes", 64 * MiB,
                  _sha256, hashlib_releases_gil,
                  "Modules/hashlib.h: HASHLIB_GIL_MINSIZE; >= up to 3.14, > from 3.15 (gh-135239)"),
        Operation("sha256-primed", "sha256 update, {size:,}-byte blocks, after 4 KiB", "bytes", 64 * MiB,
                  _sha256_primed, lambda size: hashlib_keeps_releasing() or hashlib_releases_gil(size),
                  "Modules/_hashopenssl.c: use_mutex stays on after one update >= 2048 bytes, up to 3.14"),
        Operation("zlib", "zlib.compress, {size:,} bytes", "bytes", 16 * MiB,
                  _zlib, lambda size: True, "Modules/zlibmodule.c: Py_BEGIN_ALLOW_THREADS around deflate"),
        Operation("numpy", "np.multiply, {size:,} float64 elements", "elements", 10**7,
                  _numpy("float64"), lambda size: size > NUMPY_THREADS_THRESHOLD,
                  "numpy ndarraytypes.h: NPY_BEGIN_THREADS_THRESHOLDED", uses_numpy=True),
        Operation("numpy-object", "np.multiply, {size:,} object elements", "elements", 10**6,
                  _numpy("object"), lambda size: False, "numpy: loops that need the Python API keep the GIL",
                  uses_numpy=True),
        Operation("matmul", "a @ a, {size}x{size} float64 (BLAS)", "rows", 4000,
                  _matmul, None, "numpy: matmul calls BLAS", uses_numpy=True),
        Operation("cdll-usleep", "ctypes.CDLL libc usleep({size:,} µs)", "µs", 10**6,
                  _usleep(ctypes.CDLL), lambda size: True, "ctypes docs: CDLL releases the GIL during the call"),
        Operation("pydll-usleep", "ctypes.PyDLL libc usleep({size:,} µs)", "µs", 10**6,
                  _usleep(ctypes.PyDLL), lambda size: False, "ctypes docs: PyDLL keeps the GIL"),
    )
}


def get_operation(name: str) -> Operation:
    """The operation called ``name``; a clear error for anything else."""
    if not isinstance(name, str):
        raise TypeError(f"operation must be a name (str), not {type(name).__name__}")
    try:
        return OPERATIONS[name]
    except KeyError:
        raise ValueError(f"unknown operation {name!r}; choose one of {', '.join(OPERATIONS)}") from None


def _prepare(name: str, size: int) -> tuple[Operation, Callable[[], Any] | None, str]:
    """Validate, then build the call; (operation, step or None, why it is not available)."""
    op = get_operation(name)
    check_count(f"size of {name}", size, 1, op.max_size)
    try:
        return op, op.factory(size), ""
    except (ImportError, OSError, AttributeError) as exc:  # no numpy, no libc, no usleep
        return op, None, f"{type(exc).__name__}: {exc}"


# --- probe: does another thread run while we are inside the call? --------------------------


@dataclass
class Probe(PlainData):
    """Whether another Python thread ran while this thread was inside ``operation``; plain data."""

    operation: str
    size: int
    label: str
    other_thread_ran: bool = False
    calls: int = 0
    seconds: float = 0.0
    expected: bool | None = None
    python: str = ""
    gil_enabled: bool = True
    available: bool = True
    reason: str = ""

    @property
    def released(self) -> bool | None:
        """Whether the call released the GIL: None where that cannot be observed.

        None if the operation is not available, and on a free-threaded build with the GIL off,
        where there is no GIL to hold or release (the other thread runs whenever it is scheduled).
        """
        if not self.available or not self.gil_enabled:
            return None
        return self.other_thread_ran

    @property
    def agrees(self) -> bool:
        """True if the observation matches the documented behaviour (or nothing is documented).

        With the GIL off the documented behaviour is that the other thread runs: nothing stops it.
        """
        if not self.available or self.expected is None:
            return True
        expected = self.expected if self.gil_enabled else True
        return self.other_thread_ran == expected

    def describe(self) -> str:
        """One line: the operation and the yes/no answer (no timings); it says when there is no GIL."""
        if not self.available:
            return f"{self.label:<46} not available: {self.reason}"
        if not self.gil_enabled:
            answer = ("yes: no GIL here, nothing to release" if self.other_thread_ran
                      else "no: not scheduled in time (no GIL here)")
        else:
            answer = "yes: the GIL was released" if self.other_thread_ran else "no: the GIL was held"
        return f"{self.label:<46} {answer}"


def probe(operation: str, size: int, *, seconds: float = 0.5) -> Probe:
    """Call ``operation`` repeatedly for up to ``seconds`` while a second thread waits for the GIL.

    The switch interval is raised to :data:`PROBE_SWITCH_INTERVAL` meanwhile, so this thread is
    never forced to hand the GIL over: the second thread can only run if a call releases it.
    The probe stops as soon as the second thread has run. ``calls`` is the number of calls made.
    Run it in a fresh process (:func:`probe_isolated`): other threads in the process (a Jupyter
    kernel has several) would also take the GIL and muddle the answer.
    """
    seconds = check_seconds("seconds", seconds, 0.0, 2.0)
    op, step, reason = _prepare(operation, size)
    result = Probe(operation, size, op.label(size), expected=op.expected(size),
                   python=environment.python_info().version, gil_enabled=environment.gil_enabled())
    if step is None:
        result.available, result.reason = False, reason
        return result
    return _run_probe(step, result, seconds)


def probe_callable(func: Callable[[], Any], *, label: str = "", seconds: float = 0.5) -> Probe:
    """:func:`probe` for any function of no arguments (e.g. a learner's own workload)."""
    if not callable(func):
        raise TypeError(f"func must be callable, not {type(func).__name__}")
    seconds = check_seconds("seconds", seconds, 0.0, 2.0)
    name = label or getattr(func, "__name__", "your function")
    result = Probe("callable", 0, name, python=environment.python_info().version,
                   gil_enabled=environment.gil_enabled())
    return _run_probe(func, result, seconds)


def _run_probe(step: Callable[[], Any], result: Probe, seconds: float) -> Probe:
    state: dict[str, Any] = {"calls": 0, "finished": False, "seen": None}
    go = threading.Event()

    def other() -> None:
        go.wait(timeout=60)
        state["seen"] = state["finished"]  # runs only once it holds the GIL

    previous = sys.getswitchinterval()
    sys.setswitchinterval(PROBE_SWITCH_INTERVAL)
    try:
        thread = threading.Thread(target=other, name="probe-other", daemon=True)
        thread.start()  # returns once `other` is blocked in go.wait()
        go.set()
        start = time.perf_counter()
        deadline = start + seconds
        while state["seen"] is None and time.perf_counter() < deadline:
            step()
            state["calls"] += 1
        result.seconds = time.perf_counter() - start
        state["finished"] = True
        thread.join(timeout=60)  # lets `other` run now if it has not yet
    finally:
        sys.setswitchinterval(previous)
    if thread.is_alive() or state["seen"] is None:
        raise RuntimeError(f"the probe's second thread did not run within 60 s ({result.label})")
    result.other_thread_ran = state["seen"] is False
    result.calls = state["calls"]
    return result


def probe_many(checks: Sequence[Sequence[Any]], seconds: float = 0.5) -> list[dict[str, Any]]:
    """:func:`probe` for each ``(operation, size)`` in ``checks``; plain data (for :func:`probe_isolated`)."""
    return [probe(name, size, seconds=seconds).to_dict() for name, size in _check_pairs(checks)]


def probe_isolated(checks: Sequence[Sequence[Any]], *, seconds: float = 0.5, python: str | None = None,
                   timeout: float = 120.0) -> list[Probe]:
    """:func:`probe` for each ``(operation, size)`` pair, all in one fresh process."""
    pairs = _check_pairs(checks)
    data = call_isolated("utils.lessons.release:probe_many", {"checks": pairs, "seconds": seconds},
                         python=python, timeout=timeout)
    return [Probe.from_dict(item) for item in data]


def _check_pairs(checks: Any) -> list[list[Any]]:
    if isinstance(checks, (str, bytes)) or not isinstance(checks, (list, tuple)):
        raise TypeError("checks must be a list of (operation, size) pairs")
    if not checks:
        raise ValueError("checks is empty: nothing to probe")
    pairs = []
    for item in checks:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise TypeError(f"each check must be an (operation, size) pair, not {item!r}")
        name, size = item
        op = get_operation(name)
        check_count(f"size of {name}", size, 1, op.max_size)
        pairs.append([name, size])
    return pairs


# --- which blocks a function hashes --------------------------------------------------------


class _RecordingHash:
    """A hashlib object that records the size of every block it is given, then passes it on."""

    def __init__(self, inner: Any, sizes: list[int]) -> None:
        self._inner = inner
        self._sizes = sizes

    def update(self, data: Any) -> None:
        self._inner.update(data)
        self._sizes.append(memoryview(data).nbytes)

    def copy(self) -> "_RecordingHash":
        return _RecordingHash(self._inner.copy(), self._sizes)

    def __getattr__(self, name: str) -> Any:  # digest, hexdigest, name, digest_size, ...
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return f"<recorded {self._inner!r}>"


_RECORDING = threading.Lock()


def _recording(factory: Callable[..., Any], sizes: list[int], data_position: int) -> Callable[..., Any]:
    def make(*args: Any, **kwargs: Any) -> _RecordingHash:
        inner = factory(*args, **kwargs)
        data = args[data_position] if len(args) > data_position else kwargs.get("data", kwargs.get("string"))
        if data is not None:
            sizes.append(memoryview(data).nbytes)
        return _RecordingHash(inner, sizes)

    return make


def record_hash_updates(func: Callable[..., Any], *args: Any, timeout: float = 10.0,
                        **kwargs: Any) -> tuple[Any, list[int]]:
    """Call ``func(*args, **kwargs)``; return its result and the size of every block it hashed.

    While ``func`` runs, ``hashlib.sha256`` and ``hashlib.new`` (which ``hashlib.file_digest``
    uses) make hash objects that record, in order, the size in bytes of the data given to the
    constructor and to each ``update``; they hash exactly as usual. Where there is no GIL to
    observe (free-threaded build, GIL off), this tells whether ``func``'s updates would release
    it on a build with one (:func:`hashlib_releases_gil`). Functions that reached ``sha256``
    before the call (``from hashlib import sha256`` at module level) are not recorded.
    Waits up to ``timeout`` seconds for another recording to finish (TimeoutError after).
    """
    if not callable(func):
        raise TypeError(f"func must be callable, not {type(func).__name__}")
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    if not _RECORDING.acquire(timeout=timeout):
        raise TimeoutError(f"another record_hash_updates call did not finish within {timeout:g} s")
    sizes: list[int] = []
    original_sha256, original_new = hashlib.sha256, hashlib.new
    try:
        hashlib.sha256 = _recording(original_sha256, sizes, 0)
        hashlib.new = _recording(original_new, sizes, 1)
        result = func(*args, **kwargs)
    finally:
        hashlib.sha256, hashlib.new = original_sha256, original_new
        _RECORDING.release()
    return result, sizes


# --- timings: several threads calling the operation ----------------------------------------


@dataclass
class ThreadRun(RepeatedRuns):
    """``threads`` threads each calling ``operation`` ``calls`` times, repeated; plain data."""

    operation: str
    size: int
    calls: int
    threads: int
    repeat: int
    label: str = ""
    blas_threads: int | None = 1
    wall_times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)
    python: str = ""
    gil_enabled: bool = True
    cpu_count: int = 1
    available: bool = True
    reason: str = ""
    free_threaded_build: bool = False

    def summary(self) -> str:
        """One line for a learner."""
        name = f"{self.label} x{self.calls:,}, {self.threads} thread{'' if self.threads == 1 else 's'}"
        if not self.available:
            return f"{name}: not available: {self.reason}"
        return (f"{name:<58} wall {self.wall:6.3f} s (spread {self.spread:.0%})  CPU {self.cpu:6.3f} s  "
                f"effective parallelism {self.parallelism:4.2f}")


def measure_threads(operation: str, size: int, calls: int, threads: int = 2, repeat: int = 3, *,
                    blas_threads: int | None = 1, timeout: float = 60.0) -> ThreadRun:
    """Start ``threads`` threads that each call ``operation`` ``calls`` times; time it ``repeat`` times.

    Each thread gets its own data (its own hash object, array, ...). Wall time is
    ``time.perf_counter``, CPU time is ``time.process_time`` (all threads of the process).
    For numpy operations, ``blas_threads`` caps BLAS's own thread pool with
    ``threadpoolctl.threadpool_limits`` (default 1, so only our threads do work; None leaves the
    library's default). Raises TimeoutError if a repeat takes longer than ``timeout`` seconds.
    """
    op = get_operation(operation)
    check_count(f"size of {operation}", size, 1, op.max_size)
    check_count("calls", calls, 1, 10**7)
    check_count("threads", threads, 1, 64)
    check_count("repeat", repeat, 1, 100)
    if blas_threads is not None:
        check_count("blas_threads", blas_threads, 1, 1024)
    timeout = check_seconds("timeout", timeout)
    info = environment.python_info()
    result = ThreadRun(operation, size, calls, threads, repeat, label=op.label(size), blas_threads=blas_threads,
                       python=info.version, gil_enabled=info.gil_enabled, cpu_count=info.usable_cpus,
                       free_threaded_build=info.free_threaded_build)
    steps = []
    for _ in range(threads):
        _, step, reason = _prepare(operation, size)
        if step is None:
            result.available, result.reason = False, reason
            return result
        step()  # warm-up, untimed
        steps.append(step)

    def work(step: Callable[[], Any]) -> None:
        for _ in range(calls):
            step()

    limits = _blas_limits(blas_threads) if op.uses_numpy else None
    try:
        for _ in range(repeat):
            workers = [threading.Thread(target=work, args=(step,), daemon=True) for step in steps]
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=max(0.0, wall0 + timeout - time.perf_counter()))
            wall1, cpu1 = time.perf_counter(), time.process_time()
            if any(worker.is_alive() for worker in workers):
                raise TimeoutError(f"{threads} threads x {calls} calls of {operation} did not finish in {timeout:g} s")
            result.wall_times.append(wall1 - wall0)
            result.cpu_times.append(cpu1 - cpu0)
    finally:
        if limits is not None:
            limits.unregister()
    return result


def _blas_limits(blas_threads: int | None) -> Any:
    if blas_threads is None:
        return None
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=blas_threads, user_api="blas")


def measure_many(specs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`measure_threads` for each dict of keyword arguments; plain data (for :func:`measure_isolated`)."""
    return [measure_threads(**spec).to_dict() for spec in _check_specs(specs)]


def measure_isolated(specs: Sequence[dict[str, Any]], *, python: str | None = None,
                     timeout: float = 120.0) -> list[ThreadRun]:
    """:func:`measure_threads` for each dict of keyword arguments, one after another in one fresh process."""
    data = call_isolated("utils.lessons.release:measure_many", {"specs": _check_specs(specs)},
                         python=python, timeout=timeout)
    return [ThreadRun.from_dict(item) for item in data]


def _check_specs(specs: Any) -> list[dict[str, Any]]:
    if isinstance(specs, dict) or not isinstance(specs, (list, tuple)):
        raise TypeError("specs must be a list of dicts of measure_threads arguments")
    if not specs:
        raise ValueError("specs is empty: nothing to measure")
    allowed = {"operation", "size", "calls", "threads", "repeat", "blas_threads", "timeout"}
    for spec in specs:
        if not isinstance(spec, dict):
            raise TypeError(f"each spec must be a dict, not {type(spec).__name__}")
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown measure_threads arguments: {sorted(unknown)}")
        missing = {"operation", "size", "calls"} - set(spec)
        if missing:
            raise ValueError(f"spec {spec} lacks {sorted(missing)}")
    return [dict(spec) for spec in specs]


def hash_block_sweep(blocks: Sequence[int] = DEFAULT_BLOCKS, total_bytes: int = 128 * MiB, threads: int = 2,
                     repeat: int = 3, *, python: str | None = None, timeout: float = 120.0) -> list[ThreadRun]:
    """Threads hashing ``total_bytes`` each, in blocks of each size in ``blocks``; in a fresh process.

    Returns one :class:`ThreadRun` per block size, in the order given.
    """
    if isinstance(blocks, int) or not isinstance(blocks, (list, tuple)) or not blocks:
        raise TypeError("blocks must be a non-empty list of block sizes (bytes)")
    check_count("total_bytes", total_bytes, 1, 1024 * MiB)
    specs = []
    for block in blocks:
        check_count("block", block, 1, total_bytes)
        specs.append(dict(operation="sha256", size=block, calls=total_bytes // block, threads=threads, repeat=repeat))
    return measure_isolated(specs, python=python, timeout=timeout)


def sweep_releases(run: ThreadRun) -> bool:
    """Whether the blocks of a sha256 ``run`` let other threads run: the GIL is off, or hashlib releases it.

    Uses :func:`hashlib_releases_gil` for the Python the run was measured on (``run.python``).
    """
    if not isinstance(run, ThreadRun) or run.operation != "sha256":
        raise TypeError("run must be a ThreadRun of the sha256 operation (see hash_block_sweep)")
    if not run.gil_enabled:
        return True
    return hashlib_releases_gil(run.size, version=run.python, free_threaded=run.free_threaded_build)


def plot_block_sweep(runs: Sequence[ThreadRun], *, show: bool = True):
    """Bars of effective parallelism per block size, with hashlib's threshold marked.

    Blocks that keep the GIL on the run's Python (:func:`sweep_releases`) are grey, the others blue;
    the dashed line separates them (below 2048 bytes up to 3.14, up to 2048 bytes from 3.15). With
    the GIL off nothing keeps it, so there is no line. Returns the Figure (after ``plt.show()`` when ``show``).
    """
    import matplotlib.pyplot as plt

    if isinstance(runs, ThreadRun) or not isinstance(runs, (list, tuple)) or not runs:
        raise TypeError("runs must be a non-empty list of ThreadRun")
    for run in runs:
        if not isinstance(run, ThreadRun) or run.operation != "sha256":
            raise TypeError("runs must be ThreadRun results of the sha256 operation (see hash_block_sweep)")
    runs = sorted((r for r in runs if r.available), key=lambda r: r.size)
    if not runs:
        raise ValueError("none of the runs is available: nothing to plot")
    first = runs[0]
    ideal = min(first.threads, first.cpu_count)
    heights = [r.parallelism for r in runs]
    releases = [sweep_releases(r) for r in runs]
    colors = ["#1f77b4" if released else "#7f7f7f" for released in releases]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.bar(range(len(runs)), heights, color=colors)
    ax.set_xticks(range(len(runs)), [f"{r.size:,}" for r in runs])
    split = sum(not released for released in releases) - 0.5
    if 0 < split < len(runs) - 1 and releases == sorted(releases):
        compare = ">" if _version_tuple(first.python) >= (3, 15) else ">="
        ax.axvline(split, color="red", linestyle="--", linewidth=1,
                   label=f"releases the GIL: size {compare} {HASHLIB_GIL_MINSIZE} (HASHLIB_GIL_MINSIZE)")
    ax.axhline(1, color="black", linewidth=0.8)
    ax.axhline(ideal, color="gray", linestyle=":", label=f"ideal: {ideal} (threads, usable CPUs)")
    ax.set_xlabel("block size passed to update() (bytes)")
    ax.set_ylabel("effective parallelism\n(CPU time / wall time)")
    ax.set_ylim(0, max(ideal, *[h for h in heights if not math.isnan(h)]) * 1.35)
    ax.legend(fontsize=8, loc="upper left")
    build = "" if first.gil_enabled else ", GIL off"
    ax.set_title(f"hashlib sha256, {first.threads} threads, {first.size * first.calls // MiB} MiB each "
                 f"(Python {first.python}{build}, {first.cpu_count} CPUs)", fontsize=10)
    fig.tight_layout()
    if show:
        plt.show()
    return fig
