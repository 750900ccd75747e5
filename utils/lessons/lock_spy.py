"""Was a read-modify-write made in one hold of a lock? Locks that know their owner, for assignment 05's checks.

A lock around the read and the call but not the write of ``self.value = f(self.value)`` loses no
update on most runs with the GIL, so counting the result cannot catch it. :func:`watch_writes`
makes an object whose ``__init__`` locks are :class:`OwnedLock` / :class:`OwnedRLock` objects
(``threading.Lock`` and ``threading.RLock`` are swapped only while it is constructed,
:func:`owned_locks`) and records, for every later write of one attribute, whether it was made
outside the hold of those locks that covered the writing thread's last read of it. With ``delay``,
every watched write also waits that long before it lands: a lock released before the write (a lock
at class or module level included, which nothing here watches) then lets another thread read the
old value, every time, so a check that counts stale reads catches it by design rather than by luck.
Importing this module changes nothing.
"""

from __future__ import annotations

import _thread
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from utils.engine.validation import check_seconds

__all__ = ["OwnedLock", "OwnedRLock", "owned_locks", "watch_writes"]

#: Longest delay :func:`watch_writes` puts before a write, in seconds.
MAX_DELAY = 0.01


class OwnedLock:
    """A lock that knows which thread holds it: a check can see whether a write was made under it.

    Behaves like ``threading.Lock`` (``acquire``, ``release``, ``locked``, ``with``), around a real
    ``_thread`` lock. ``held_here()`` is True in the thread that holds it; ``holds`` counts the
    times it was taken, so two moments in the same hold see the same number.
    """

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self.owner: int | None = None
        self.holds = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.owner = threading.get_ident()
            self.holds += 1
        return got

    def release(self) -> None:
        self.owner = None
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def held_here(self) -> bool:
        return self.owner == threading.get_ident()

    __enter__ = acquire

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class OwnedRLock(OwnedLock):
    """A re-entrant :class:`OwnedLock`, like ``threading.RLock``: one hold lasts until the outermost release."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self.held_here():
            self._depth += 1
            return True
        got = super().acquire(blocking, timeout)
        if got:
            self._depth = 1
        return got

    def release(self) -> None:
        if not self.held_here():
            raise RuntimeError("cannot release un-acquired lock")
        self._depth -= 1
        if self._depth == 0:
            super().release()

    __enter__ = acquire

    # threading.Condition(lock) uses these when the lock has them (Lib/threading.py).
    def _is_owned(self) -> bool:
        return self.held_here()

    def _release_save(self) -> int:
        depth, self._depth = self._depth, 1
        self.release()
        return depth

    def _acquire_restore(self, depth: int) -> None:
        super().acquire()
        self._depth = depth


@contextlib.contextmanager
def owned_locks() -> Iterator[list[OwnedLock]]:
    """While the block runs, ``threading.Lock()`` / ``RLock()`` make owned locks; yields the list of those made.

    Keep the block short (an object's construction): the patch is visible to every thread.
    """
    made: list[OwnedLock] = []
    real_lock, real_rlock = threading.Lock, threading.RLock

    def make(kind: type[OwnedLock]) -> Any:
        def new() -> OwnedLock:
            lock = kind()
            made.append(lock)
            return lock

        return new

    threading.Lock, threading.RLock = make(OwnedLock), make(OwnedRLock)  # type: ignore[assignment,misc]
    try:
        yield made
    finally:
        threading.Lock, threading.RLock = real_lock, real_rlock  # type: ignore[misc]


def watch_writes(cls: type, name: str = "value", delay: float = 0.0) -> tuple[Any, list[OwnedLock], list[bool]]:
    """A new ``cls()`` whose writes of ``name`` are watched, its locks, and the record of the writes.

    The locks are those its ``__init__`` made with ``threading.Lock()`` or ``threading.RLock()``.
    Every write of ``name`` after ``__init__`` appends to the record True (an *unguarded* write)
    unless the writing thread holds one of those locks in the same hold in which it last read
    ``name``: a write outside the lock, a read outside it, and a lock released and taken again
    between the read and the write all count. With no lock made in ``__init__`` (a lock at module
    or class level) nothing can be told: the list of locks is then empty, and ``delay`` (seconds
    each write waits before it lands, at most :data:`MAX_DELAY`) is what exposes a write made
    after the lock was released.
    """
    if not isinstance(cls, type):
        raise TypeError(f"cls must be a class, not {type(cls).__name__}")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an attribute name, not {name!r}")
    delay = check_seconds("delay", delay, 0.0, MAX_DELAY, allow_low=True)
    unguarded: list[bool] = []
    armed: list[bool] = []
    last_read: dict[int, set[tuple[int, int]]] = {}  # thread -> (lock, hold) pairs held at its last read

    def holds_here() -> set[tuple[int, int]]:
        return {(id(lock), lock.holds) for lock in locks if lock.held_here()}

    class Watched(cls):  # type: ignore[misc,valid-type]
        def __getattribute__(self, attribute: str) -> Any:
            if attribute == name and armed:
                last_read[threading.get_ident()] = holds_here()
            return super().__getattribute__(attribute)

        def __setattr__(self, attribute: str, value: Any) -> None:
            if attribute == name and armed:
                unguarded.append(not (holds_here() & last_read.get(threading.get_ident(), set())))
                if delay:
                    time.sleep(delay)
            super().__setattr__(attribute, value)

    Watched.__name__ = Watched.__qualname__ = cls.__name__
    with owned_locks() as locks:
        obj = Watched()
    armed.append(True)
    return obj, locks, unguarded
