"""The calls into C code that lesson 09 probes and times (``OPERATIONS``), each with a ``size``.

- ``python``: a pure-Python loop of ``size`` iterations (the baseline: holds the GIL);
- ``sha256``: ``hashlib.sha256().update`` with a ``size``-byte block on a fresh hash object;
  hashlib releases the GIL for data of at least 2048 bytes up to 3.14, of more than 2048 bytes
  from 3.15 (:func:`~utils.lessons.release.rules.hashlib_releases_gil` gives the rule and its sources);
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
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from utils.engine.validation import check_count
from utils.lessons.release.rules import hashlib_keeps_releasing, hashlib_releases_gil

MiB = 1024 * 1024
#: Size of the one update that primes the hash object of the ``sha256-primed`` operation (bytes).
PRIMING_BLOCK = 4096
#: numpy releases the GIL for ufunc loops over more than this many elements (``NPY_BEGIN_THREADS_THRESHOLDED``).
NUMPY_THREADS_THRESHOLD = 500


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
        Operation(
            "python",
            "pure-Python loop, {size:,} iterations",
            "iterations",
            10**7,
            _python_loop,
            lambda size: False,
            "Python/ceval.c: bytecode runs with the GIL held",
        ),
        Operation(
            "sha256",
            "hashlib sha256 update, {size:,}-byte blocks",
            "bytes",
            64 * MiB,
            _sha256,
            hashlib_releases_gil,
            "Modules/hashlib.h: HASHLIB_GIL_MINSIZE; >= up to 3.14, > from 3.15 (gh-135239)",
        ),
        Operation(
            "sha256-primed",
            "sha256 update, {size:,}-byte blocks, after 4 KiB",
            "bytes",
            64 * MiB,
            _sha256_primed,
            lambda size: hashlib_keeps_releasing() or hashlib_releases_gil(size),
            "Modules/_hashopenssl.c: use_mutex stays on after one update >= 2048 bytes, up to 3.14",
        ),
        Operation(
            "zlib",
            "zlib.compress, {size:,} bytes",
            "bytes",
            16 * MiB,
            _zlib,
            lambda size: True,
            "Modules/zlibmodule.c: Py_BEGIN_ALLOW_THREADS around deflate",
        ),
        Operation(
            "numpy",
            "np.multiply, {size:,} float64 elements",
            "elements",
            10**7,
            _numpy("float64"),
            lambda size: size > NUMPY_THREADS_THRESHOLD,
            "numpy ndarraytypes.h: NPY_BEGIN_THREADS_THRESHOLDED",
            uses_numpy=True,
        ),
        Operation(
            "numpy-object",
            "np.multiply, {size:,} object elements",
            "elements",
            10**6,
            _numpy("object"),
            lambda size: False,
            "numpy: loops that need the Python API keep the GIL",
            uses_numpy=True,
        ),
        Operation(
            "matmul",
            "a @ a, {size}x{size} float64 (BLAS)",
            "rows",
            4000,
            _matmul,
            None,
            "numpy: matmul calls BLAS",
            uses_numpy=True,
        ),
        Operation(
            "cdll-usleep",
            "ctypes.CDLL libc usleep({size:,} µs)",
            "µs",
            10**6,
            _usleep(ctypes.CDLL),
            lambda size: True,
            "ctypes docs: CDLL releases the GIL during the call",
        ),
        Operation(
            "pydll-usleep",
            "ctypes.PyDLL libc usleep({size:,} µs)",
            "µs",
            10**6,
            _usleep(ctypes.PyDLL),
            lambda size: False,
            "ctypes docs: PyDLL keeps the GIL",
        ),
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


def prepare(name: str, size: int) -> tuple[Operation, Callable[[], Any] | None, str]:
    """Validate ``name`` and ``size``, then build the call: ``(operation, step or None, why it is not available)``.

    ``step()`` makes one call; it is None where the operation cannot run here (no numpy, no C library).
    """
    op = get_operation(name)
    check_count(f"size of {name}", size, 1, op.max_size)
    try:
        return op, op.factory(size), ""
    except (ImportError, OSError, AttributeError) as exc:  # no numpy, no libc, no usleep
        return op, None, f"{type(exc).__name__}: {exc}"
