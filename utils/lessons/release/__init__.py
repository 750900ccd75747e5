"""Lesson 09: C code that releases the GIL. Probes and timings for calls into C.

The package, by concern:

- :mod:`~utils.lessons.release.rules`: hashlib's rule by version and build (``HASHLIB_GIL_MINSIZE``:
  at least 2048 bytes up to 3.14, more than 2048 bytes from 3.15, gh-135239);
- :mod:`~utils.lessons.release.operations`: the calls into C (``OPERATIONS``: a Python loop, sha256,
  zlib, numpy, BLAS, ctypes ``CDLL``/``PyDLL``), each with a ``size``;
- :mod:`~utils.lessons.release.probing`: :func:`probe`, a yes-or-no answer to "does another thread
  run while this one is inside the call?" that does not depend on timing;
- :mod:`~utils.lessons.release.recording`: :func:`record_hash_updates`, the size of every block a function hashes;
- :mod:`~utils.lessons.release.threads`: :func:`measure_threads` and :func:`hash_block_sweep`, wall time,
  CPU time and effective parallelism of threads calling an operation;
- :mod:`~utils.lessons.release.plot`: :func:`plot_block_sweep`.

Probes and timings are best run in a fresh process, away from a Jupyter kernel's own threads::

    from utils.engine.isolation import isolated
    from utils.lessons import release
    isolated(release.probe, "sha256", 4096).describe()
    isolated(release.hash_block_sweep, [1024, 65536])
"""

from utils.lessons.release.operations import (
    NUMPY_THREADS_THRESHOLD,
    OPERATIONS,
    PRIMING_BLOCK,
    MiB,
    Operation,
    get_operation,
    libc_path,
    prepare,
)
from utils.lessons.release.plot import plot_block_sweep
from utils.lessons.release.probing import NO_GIL_PATIENCE, PROBE_SWITCH_INTERVAL, Probe, probe, probe_callable
from utils.lessons.release.recording import record_hash_updates
from utils.lessons.release.rules import (
    HASHLIB_GIL_MINSIZE,
    hashlib_keeps_releasing,
    hashlib_releases_gil,
    hashlib_rule,
    version_tuple,
)
from utils.lessons.release.threads import DEFAULT_BLOCKS, ThreadRun, hash_block_sweep, measure_threads, sweep_releases

__all__ = [
    "DEFAULT_BLOCKS",
    "HASHLIB_GIL_MINSIZE",
    "NO_GIL_PATIENCE",
    "NUMPY_THREADS_THRESHOLD",
    "OPERATIONS",
    "PRIMING_BLOCK",
    "PROBE_SWITCH_INTERVAL",
    "MiB",
    "Operation",
    "Probe",
    "ThreadRun",
    "get_operation",
    "hash_block_sweep",
    "hashlib_keeps_releasing",
    "hashlib_releases_gil",
    "hashlib_rule",
    "libc_path",
    "measure_threads",
    "plot_block_sweep",
    "prepare",
    "probe",
    "probe_callable",
    "record_hash_updates",
    "sweep_releases",
    "version_tuple",
]
