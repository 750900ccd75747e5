"""Was a write made under the lock? A lock that knows its owner, for assignment 05's checks.

A lock around the read and the call but not the write of ``self.value = f(self.value)`` loses no
update on most runs with the GIL, so counting the result cannot catch it. :func:`watch_writes`
makes an object whose ``__init__`` locks are :class:`OwnedLock` objects (``threading.Lock`` is
swapped only while it is constructed, :func:`owned_locks`) and records, for every later write of
one attribute, whether the writing thread held none of them. Importing this module changes nothing.
"""

from __future__ import annotations

import _thread
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["OwnedLock", "owned_locks", "watch_writes"]


class OwnedLock:
    """A lock that knows which thread holds it: a check can see whether a write was made under it.

    Behaves like ``threading.Lock`` (``acquire``, ``release``, ``locked``, ``with``), around a real
    ``_thread`` lock. ``held_here()`` is True in the thread that holds it.
    """

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self.owner: int | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.owner = threading.get_ident()
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


@contextlib.contextmanager
def owned_locks() -> Iterator[list[OwnedLock]]:
    """While the block runs, ``threading.Lock()`` makes an :class:`OwnedLock`; yields the list of those made.

    Keep the block short (an object's construction): the patch is visible to every thread.
    """
    made: list[OwnedLock] = []
    real = threading.Lock

    def make() -> OwnedLock:
        lock = OwnedLock()
        made.append(lock)
        return lock

    threading.Lock = make  # type: ignore[assignment,misc]
    try:
        yield made
    finally:
        threading.Lock = real  # type: ignore[misc]


def watch_writes(cls: type, name: str = "value") -> tuple[Any, list[OwnedLock], list[bool]]:
    """A new ``cls()`` whose writes of ``name`` are watched, its locks, and the record of the writes.

    The locks are those its ``__init__`` made with ``threading.Lock()`` (as :class:`OwnedLock`).
    Every write of ``name`` after ``__init__`` appends to the record whether the writing thread held
    none of those locks (True: an unguarded write). With no lock made in ``__init__`` (a lock at
    module or class level) nothing can be told: the list of locks is then empty.
    """
    if not isinstance(cls, type):
        raise TypeError(f"cls must be a class, not {type(cls).__name__}")
    unguarded: list[bool] = []
    armed: list[bool] = []

    class Watched(cls):  # type: ignore[misc,valid-type]
        def __setattr__(self, attribute: str, value: Any) -> None:
            if attribute == name and armed:
                unguarded.append(not any(lock.held_here() for lock in locks))
            super().__setattr__(attribute, value)

    Watched.__name__ = Watched.__qualname__ = cls.__name__
    with owned_locks() as locks:
        obj = Watched()
    armed.append(True)
    return obj, locks, unguarded
