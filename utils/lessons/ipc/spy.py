"""Which start method really started a pool's workers (for assignment 08's checks, and for curiosity).

A pool given no context uses the platform's default start method, and a context that is built but
never passed to the pool changes nothing. Reading the code cannot tell these apart reliably;
watching the processes start can: every ``multiprocessing`` process starts through its class's
``_Popen`` (``ForkProcess``, ``SpawnProcess``, ``ForkServerProcess`` in
``Lib/multiprocessing/context.py``, 3.4+; the default ``Process`` delegates to one of them), so
:func:`started_processes` wraps those for the duration of a ``with`` block and records each
start method used.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from multiprocessing import context
from typing import Any

_PROCESS_CLASSES = ("ForkProcess", "SpawnProcess", "ForkServerProcess")
_SPYING = threading.Lock()  # one spy at a time: two would restore each other's wrappers


def _recording(method: str, popen: Callable[[Any], Any], used: list[str]) -> staticmethod:
    def _Popen(process_obj: Any) -> Any:
        used.append(method)
        return popen(process_obj)

    return staticmethod(_Popen)


@contextlib.contextmanager
def started_processes() -> Iterator[list[str]]:
    """Record the start method of every ``multiprocessing`` process started in the ``with`` block.

    Yields a list that fills as processes start (``["spawn", "spawn"]`` for a 2-worker spawn
    pool); the wrappers are removed on exit, also on errors. Only processes of this interpreter
    are seen (a forkserver's own children are started by the server and recorded once, as
    ``"forkserver"``, per worker the parent asks for).
    """
    if not _SPYING.acquire(timeout=5.0):
        raise RuntimeError("another started_processes() block is still active")
    classes = [getattr(context, name) for name in _PROCESS_CLASSES if hasattr(context, name)]
    originals = {cls: cls.__dict__["_Popen"] for cls in classes}
    used: list[str] = []
    try:
        for cls, original in originals.items():
            cls._Popen = _recording(cls._start_method, original.__func__, used)
        yield used
    finally:
        for cls, original in originals.items():
            cls._Popen = original
        _SPYING.release()
