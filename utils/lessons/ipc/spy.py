"""Instruments for assignment 08's checks: which start method really started a pool's workers,
which pools a function made and with what, and a call that gives up instead of hanging.

A pool given no context uses the platform's default start method, and a context that is built but
never passed to the pool changes nothing. Reading the code cannot tell these apart reliably;
watching the processes start can: every ``multiprocessing`` process starts through its class's
``_Popen`` (``ForkProcess``, ``SpawnProcess``, ``ForkServerProcess`` in
``Lib/multiprocessing/context.py``, 3.4+; the default ``Process`` delegates to one of them), so
:func:`started_processes` wraps those for the duration of a ``with`` block and records each
start method used. :func:`recording_pools` does the same for ``ProcessPoolExecutor`` itself: it
records every pool made in the block, the context it was given (or not), its workers, and whether
it was shut down (``Lib/concurrent/futures/process.py``). :func:`call_with_deadline` runs a
function in a helper thread and stops waiting for it after a deadline.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import inspect
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing import context
from typing import Any

from utils.engine.validation import check_seconds

_PROCESS_CLASSES = ("ForkProcess", "SpawnProcess", "ForkServerProcess")
_SPYING = threading.Lock()  # one spy at a time: two would restore each other's wrappers
_RECORDING = threading.Lock()  # the same for recording_pools()


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


# --- Which pools a function made, and with what ------------------------------------------------------


@dataclass
class PoolRecord:
    """One ``ProcessPoolExecutor`` made inside a :func:`recording_pools` block.

    ``given_start_method`` is the start method of the ``mp_context`` the pool was given, or
    ``None`` when it was given none (it then uses the platform's default); ``start_method`` is the
    one it really uses; ``shut_down`` says whether ``shutdown()`` (or a ``with`` block) ended it.
    """

    pool: cf.ProcessPoolExecutor
    max_workers: int | None
    given_start_method: str | None
    start_method: str
    shut_down: bool = False


@contextlib.contextmanager
def recording_pools() -> Iterator[list[PoolRecord]]:
    """Record every ``concurrent.futures.ProcessPoolExecutor`` made in the ``with`` block.

    Yields a list of :class:`PoolRecord` that fills as pools are made (whatever name the class
    was imported under, subclasses included) and as they are shut down; the wrappers are removed
    on exit, also on errors. Pools are recorded, not changed: they behave as without the spy.
    """
    if not _RECORDING.acquire(timeout=5.0):
        raise RuntimeError("another recording_pools() block is still active")
    cls = cf.ProcessPoolExecutor
    init, shutdown = cls.__dict__["__init__"], cls.__dict__["shutdown"]
    signature = inspect.signature(init)
    records: list[PoolRecord] = []

    @functools.wraps(init)
    def recording_init(self: cf.ProcessPoolExecutor, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        given = signature.bind(self, *args, **kwargs).arguments.get("mp_context")
        used = getattr(self, "_mp_context", None)
        records.append(
            PoolRecord(
                pool=self,
                max_workers=getattr(self, "_max_workers", None),
                given_start_method=None if given is None else given.get_start_method(),
                start_method=used.get_start_method() if used is not None else "unknown",
            )
        )

    @functools.wraps(shutdown)
    def recording_shutdown(self: cf.ProcessPoolExecutor, *args: Any, **kwargs: Any) -> None:
        for record in records:
            if record.pool is self:
                record.shut_down = True
        shutdown(self, *args, **kwargs)

    try:
        cls.__init__ = recording_init  # type: ignore[method-assign]
        cls.shutdown = recording_shutdown  # type: ignore[method-assign]
        yield records
    finally:
        cls.__init__ = init  # type: ignore[method-assign]
        cls.shutdown = shutdown  # type: ignore[method-assign]
        _RECORDING.release()


def stop_pools(records: list[PoolRecord]) -> None:
    """Stop every recorded pool: shut down the ones left running and kill any worker still alive
    (also in a pool whose ``shutdown`` is still waiting for a task that overran), without waiting."""
    for record in records:
        workers = [w for w in (getattr(record.pool, "_processes", None) or {}).values() if w.is_alive()]
        if not record.shut_down:
            record.pool.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.kill()
        for worker in workers:
            worker.join(5.0)


# --- A call that gives up instead of hanging ---------------------------------------------------------


def call_with_deadline(func: Callable[..., Any], *args: Any, deadline: float = 20.0) -> tuple[Any, ...]:
    """Call ``func(*args)`` in a helper thread and wait at most ``deadline`` seconds.

    Returns ``("returned", value)``, ``("raised", exception name, message)`` or ``("hung",)``; only
    an exception's name and message are kept (not its frames, which would keep a pool alive).
    """
    if not callable(func):
        raise TypeError(f"func must be callable, not {type(func).__name__}")
    deadline = check_seconds("deadline", deadline)
    outcome: list[tuple[Any, ...]] = []

    def target() -> None:
        try:
            outcome.append(("returned", func(*args)))
        except BaseException as exc:  # the outcome is the answer, whatever it raised
            outcome.append(("raised", type(exc).__name__, str(exc)))

    helper = threading.Thread(target=target, name="call_with_deadline", daemon=True)
    helper.start()
    helper.join(deadline)
    return outcome[0] if outcome else ("hung",)
