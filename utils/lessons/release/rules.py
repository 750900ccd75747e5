"""hashlib's rule for releasing the GIL, by version and build (lesson 09), with its sources."""

from __future__ import annotations

import sys
from typing import Any

from utils.engine import environment
from utils.engine.validation import check_count

#: hashlib's threshold for releasing the GIL (``HASHLIB_GIL_MINSIZE`` in CPython's ``Modules/hashlib.h``, 2048
#: in 3.10-3.15; exposed as ``_hashlib._GIL_MINSIZE`` from 3.14). How it is compared changed in 3.15:
#: see :func:`hashlib_releases_gil`.
HASHLIB_GIL_MINSIZE = 2048


def version_tuple(version: Any) -> tuple[int, int]:
    """``(major, minor)`` of ``version``: None (this Python), ``"3.15.2"`` or a tuple such as ``(3, 14)``."""
    if version is None:
        return sys.version_info[:2]
    if isinstance(version, str):  # "3.15.2", as Probe.python and ThreadRun.python hold it
        parts = version.split(".")
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            return int(parts[0]), int(parts[1])
        raise ValueError(f"version must look like '3.14' or '3.14.1', not {version!r}")
    if (
        isinstance(version, tuple)
        and len(version) >= 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in version[:2])
    ):
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
    major_minor = version_tuple(version)
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
    return version_tuple(version) < (3, 15)


def hashlib_rule(*, version: Any = None) -> str:
    """hashlib's rule for ``version`` (default: this Python) in words, with its source."""
    if version_tuple(version) >= (3, 15):
        return (
            f"more than {HASHLIB_GIL_MINSIZE} bytes "
            "(3.15+: HASHLIB_EXTERNAL_INSTRUCTIONS_LOCKED in Modules/hashlib.h, gh-135239)"
        )
    return f"at least {HASHLIB_GIL_MINSIZE} bytes (3.10-3.14: view.len >= HASHLIB_GIL_MINSIZE)"


# --- operations ---------------------------------------------------------------------------
