"""Which blocks a function hashes: hashlib objects that record the size of every block (lesson 09).

Where there is no GIL to observe (a free-threaded build with the GIL off), the sizes a function
gives to ``update`` still tell whether it would release the GIL on a build with one.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

from utils.engine.validation import check_seconds


class _RecordingHash:
    """A hashlib object that records the size of every block it is given, then passes it on."""

    def __init__(self, inner: Any, sizes: list[int]) -> None:
        self._inner = inner
        self._sizes = sizes

    def update(self, data: Any) -> None:
        self._inner.update(data)
        self._sizes.append(memoryview(data).nbytes)

    def copy(self) -> _RecordingHash:
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


def record_hash_updates(
    func: Callable[..., Any], *args: Any, timeout: float = 10.0, **kwargs: Any
) -> tuple[Any, list[int]]:
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
