"""What happens to a function a worker cannot import (one defined in a notebook), per start method."""

from __future__ import annotations

import gc
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from utils.engine.executors import START_METHODS
from utils.engine.validation import check_seconds
from utils.lessons.ipc.workers import check_start_method, process_pool, quiet_worker

# --- Functions a worker cannot import --------------------------------------------------------------


def call_in_new_pool(func: Callable[[Any], Any], arg: Any, start_method: str, *, timeout: float = 30.0) -> str:
    """Run ``func(arg)`` in a new one-worker process pool with ``start_method``; say what happened.

    Returns ``"returned <value>"``, or ``"failed: <exception name>"`` when the worker could not run
    the task (a function it cannot import breaks the pool: ``BrokenProcessPool``), or ``"not available on
    this platform (...)"`` for a start method the platform lacks (fork and forkserver on Windows). The worker's
    stderr is silenced, so its traceback does not land in a notebook.
    """
    if not callable(func):
        raise TypeError(f"func must be callable, not {type(func).__name__}")
    if start_method is None:
        raise ValueError("name a start method: 'fork', 'spawn' or 'forkserver'")
    if start_method in START_METHODS and start_method not in multiprocessing.get_all_start_methods():
        return f"not available on this platform ({sys.platform} has no {start_method})"  # e.g. fork on Windows
    start_method = check_start_method(start_method)
    timeout = check_seconds("timeout", timeout)
    pool = None
    try:
        with process_pool(1, start_method, timeout, initializer=quiet_worker) as pool:
            value = pool.submit(func, arg).result(timeout=timeout)
    except Exception as exc:  # the outcome is the answer: BrokenProcessPool, PicklingError, TimeoutError, ...
        outcome = f"failed: {type(exc).__name__}"
        exc.__traceback__ = None  # its frames would keep the pool's futures (and the exception) in a cycle
    else:
        outcome = f"returned {value!r}"
    pool = None
    _collect_pool_garbage()
    return outcome


def _collect_pool_garbage() -> None:
    """Free a finished pool's reference cycles now, at a safe point.

    A broken pool stays in reference cycles (its manager thread, queues and futures, and the
    exception's traceback). Left to a later, automatic collection, its semaphores may be finalized
    while ``multiprocessing``'s resource tracker is registering the next pool's; up to 3.13 the
    tracker then warns "ResourceTracker called reentrantly for resource cleanup ... might leak" on
    stderr, into a notebook cell (``ResourceTracker._send`` in ``Lib/multiprocessing/resource_tracker.py``;
    seen here on 3.13t; 3.14 queues such messages instead).
    """
    gc.collect()


_UNPICKLE = """
import pickle, sys
try:
    pickle.loads(sys.stdin.buffer.read())
except Exception as exc:
    print("failed:", type(exc).__name__)
else:
    print("loaded")
"""


def unpickle_in_fresh_interpreter(data: bytes, *, timeout: float = 30.0) -> str:
    """Unpickle ``data`` in a new interpreter (as a spawned worker does); "loaded" or "failed: <error>"."""
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes (a pickle), not {type(data).__name__}")
    timeout = check_seconds("timeout", timeout)
    from utils.engine.isolation import PACKAGE_PARENT

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, env.get("PYTHONPATH")]))
    try:
        done = subprocess.run(
            [sys.executable, "-c", _UNPICKLE], input=bytes(data), capture_output=True, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired:
        return "failed: timed out"
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"failed: exit code {done.returncode}"
