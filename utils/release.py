"""Lesson 09: C code that releases the GIL. Probes and timings for calls into C.

Each **operation** is one call from Python into C code (``OPERATIONS``), with a ``size``:

- ``python``: a pure-Python loop of ``size`` iterations (the baseline: holds the GIL);
- ``sha256``: ``hashlib.sha256().update`` with a ``size``-byte block; hashlib releases the GIL
  for data of at least 2048 bytes (``HASHLIB_GIL_MINSIZE`` in CPython's ``Modules/hashlib.h``);
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
  fast or busy the machine is.
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

from utils.plaindata import PlainData
from utils import environment
from utils.isolation import call_isolated
from utils.timing import RepeatedRuns
from utils.validation import check_count, check_seconds

MiB = 1024 * 1024
#: hashlib releases the GIL for data of at least this many bytes (CPython ``Modules/hashlib.h``).
HASHLIB_GIL_MINSIZE = 2048
#: numpy releases the GIL for ufunc loops over more than this many elements (``NPY_BEGIN_THREADS_THRESHOLDED``).
NUMPY_THREADS_THRESHOLD = 500
#: Block sizes for the hashlib threshold experiment (bytes).
DEFAULT_BLOCKS = (256, 1024, 2047, 2048, 4096, 65536)
#: Switch interval used while probing: far longer than any probe, so a thread that holds the
#: GIL is never forced to hand it over, and the other thread runs only if the GIL is released.
PROBE_SWITCH_INTERVAL = 10.0


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
    # A fresh hash object per call site: once an object has hashed >= 2048 bytes it keeps a lock
    # and releases the GIL on every later update (Modules/_hashopenssl.c), whatever their size.
    digest = hashlib.sha256()
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
                  _sha256, lambda size: size >= HASHLIB_GIL_MINSIZE, "Modules/hashlib.h: HASHLIB_GIL_MINSIZE"),
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
    def agrees(self) -> bool:
        """True if the observation matches the documented behaviour (or nothing is documented)."""
        if not self.available or self.expected is None:
            return True
        # Without a GIL (free-threaded build) every other thread runs whenever it likes.
        expected = self.expected if self.gil_enabled else True
        return self.other_thread_ran == expected

    def describe(self) -> str:
        """One stable line: the operation and the yes/no answer (no timings)."""
        if not self.available:
            return f"{self.label:<46} not available: {self.reason}"
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
    data = call_isolated("utils.release:probe_many", {"checks": pairs, "seconds": seconds},
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
                       python=info.version, gil_enabled=info.gil_enabled, cpu_count=info.usable_cpus)
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
    data = call_isolated("utils.release:measure_many", {"specs": _check_specs(specs)},
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


def plot_block_sweep(runs: Sequence[ThreadRun], *, show: bool = True):
    """Bars of effective parallelism per block size, with hashlib's 2048-byte threshold marked.

    Blocks below the threshold (the GIL is held while hashing) are grey, the others blue; the
    dashed line separates them. Returns the Figure (after ``plt.show()`` when ``show``).
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
    colors = ["#1f77b4" if r.size >= HASHLIB_GIL_MINSIZE else "#7f7f7f" for r in runs]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.bar(range(len(runs)), heights, color=colors)
    ax.set_xticks(range(len(runs)), [f"{r.size:,}" for r in runs])
    split = sum(r.size < HASHLIB_GIL_MINSIZE for r in runs) - 0.5
    if 0 < split < len(runs) - 1:
        ax.axvline(split, color="red", linestyle="--", linewidth=1,
                   label=f"{HASHLIB_GIL_MINSIZE} bytes (HASHLIB_GIL_MINSIZE)")
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
