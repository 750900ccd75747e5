"""Check-then-act races that the GIL does not prevent (lesson 05).

A thread tests a condition, then acts on it, assuming it still holds; another thread changes it in
between. Two classic cases, each with its fixes:

- :func:`lazy_init_race`: several threads call ``resource.get()`` on a :class:`LazyResource` at once
  and several "single" instances get created (fix: a lock around the check and the creation);
- :func:`check_then_insert`: ``if key not in groups: groups[key] = new_bucket()`` overwrites a bucket
  another thread stored and filled meanwhile (fixes: a lock, or ``dict.setdefault``).

:class:`SlowLookups` is a dict for assignment 05's checks whose lookups are slow, so that a check
made outside a lock is stale by the time its thread acts on it.

The slow steps wait with ``time.sleep``, which releases the GIL (``Modules/timemodule.c``), as real
I/O does: that makes the window wide enough to show on every run, on every CPython 3.10-3.15 and on
free-threaded builds. The threads run through :func:`utils.engine.counters.run_threads` (a barrier,
one deadline, errors collected). Run them in a fresh process from a notebook:
``isolated(lazy_init_race, trials=20)``. Importing this module starts nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from utils.engine.counters import run_threads
from utils.engine.plaindata import PlainData
from utils.engine.validation import check_count, check_seconds

__all__ = [
    "INSERT_METHODS",
    "CheckThenActResult",
    "LazyResource",
    "SlowLookups",
    "check_then_insert",
    "lazy_init_race",
    "new_bucket",
]

#: Most threads a check-then-act trial starts.
MAX_THREADS = 16


@dataclass(frozen=True)
class CheckThenActResult(PlainData):
    """How often a check-then-act went wrong: ``trials`` tries, ``expected`` vs ``actual`` outcomes.

    ``method`` is ``"check"`` (the racy check-then-act), ``"locked"`` or ``"setdefault"``.
    """

    what: str
    method: str
    trials: int
    expected: int
    actual: int
    bad_trials: int

    def describe(self) -> str:
        return (
            f"{self.what} ({self.method}): expected {self.expected:,}, got {self.actual:,}; "
            f"went wrong in {self.bad_trials} of {self.trials} trials"
        )


class LazyResource:
    """Lazy initialisation, the racy way: ``get()`` creates the instance the first time it is asked.

    ``create`` stands for an expensive constructor (opening a connection, reading a file); it waits
    ``pause`` seconds (``time.sleep``, which releases the GIL). ``created`` counts constructions,
    under a lock of its own so that the count itself is exact.
    """

    def __init__(self, pause: float, locked: bool) -> None:
        self.instance: object | None = None
        self.created = 0
        self._pause = pause
        self._count_lock = threading.Lock()
        self._init_lock = threading.Lock() if locked else None

    def _create(self) -> object:
        time.sleep(self._pause)
        with self._count_lock:
            self.created += 1
        return object()

    def get(self) -> object:
        if self._init_lock is None:
            if self.instance is None:  # check ...
                self.instance = self._create()  # ... then act
            return self.instance
        with self._init_lock:  # check and act as one step
            if self.instance is None:
                self.instance = self._create()
            return self.instance


def _run_trial(threads: int, target: Callable[[], None], timeout: float, what: str) -> None:
    run_threads(lambda _index: target(), threads, timeout=timeout, name=what)


def lazy_init_race(
    threads: int = 4, trials: int = 20, pause: float = 0.001, locked: bool = False, timeout: float = 30.0
) -> CheckThenActResult:
    """``threads`` threads call ``resource.get()`` at once on a fresh :class:`LazyResource`, ``trials`` times.

    Expected: one instance created per trial. ``bad_trials`` counts trials that created more.
    """
    threads = check_count("threads", threads, 2, MAX_THREADS)
    trials = check_count("trials", trials, 1, 1000)
    pause = check_seconds("pause", pause, 0.0, 0.1, allow_low=True)
    if not isinstance(locked, bool):
        raise TypeError(f"locked must be True or False, not {type(locked).__name__}")
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    deadline = time.monotonic() + timeout
    created, bad = 0, 0
    for _ in range(trials):
        resource = LazyResource(pause, locked)
        _run_trial(threads, resource.get, max(0.001, deadline - time.monotonic()), "lazy_init_race")
        created += resource.created
        bad += resource.created > 1
    return CheckThenActResult("instances created", "locked" if locked else "check", trials, trials, created, bad)


class SlowLookups(dict):
    """A dict whose lookups wait: ``key in d``, ``d.get(key)`` and ``d[key]`` on a missing key take ``pause`` s.

    Each waits (``time.sleep``, which releases the GIL) after it has looked and before it answers,
    so a thread that checks for a key outside a lock and then acts is answered with what was true
    ``pause`` seconds ago: another thread that checked at the same time has been told the same,
    and both act. Under one lock the wait only slows things down. Everything else, ``setdefault``
    included (one dict operation), is a plain ``dict``'s.
    """

    def __init__(self, items: object = (), *, pause: float = 0.0001) -> None:
        super().__init__(items)  # type: ignore[call-overload]
        self.pause = check_seconds("pause", pause, 0.0, 0.1, allow_low=True)

    def __contains__(self, key: object) -> bool:
        found = super().__contains__(key)
        time.sleep(self.pause)
        return found

    def get(self, key: object, default: object = None) -> object:
        value = super().get(key, default)
        time.sleep(self.pause)
        return value

    def __missing__(self, key: object) -> object:
        time.sleep(self.pause)
        raise KeyError(key)


def new_bucket(pause: float) -> list:
    """An empty list, made slowly: waits ``pause`` seconds (0 still calls ``time.sleep(0)``)."""
    time.sleep(pause)
    return []


#: How :func:`check_then_insert` creates a missing bucket.
INSERT_METHODS = {
    "check": "if key not in groups: groups[key] = new_bucket()",
    "locked": "with lock: (if key not in groups: groups[key] = new_bucket())",
    "setdefault": "groups.setdefault(key, new_bucket())",
}


def check_then_insert(
    threads: int = 4, keys: int = 200, pause: float = 0.0001, method: str = "check", timeout: float = 30.0
) -> CheckThenActResult:
    """Each thread files one item under every key, creating the key's bucket if it is missing.

    Then ``groups[key].append(item)``. Expected: ``threads`` items under every key. With
    ``method="check"`` (``if key not in groups: groups[key] = new_bucket()``), a thread that finds a
    key missing and is switched out inside ``new_bucket`` (it waits ``pause`` seconds) later
    overwrites the bucket another thread stored and filled meanwhile: items are lost.
    ``"locked"`` makes check and insert one step under a lock; ``"setdefault"`` inserts with one
    dict operation (it makes a bucket every time, and keeps the first one stored).
    ``bad_trials`` counts keys that lost items (one trial per key).
    """
    threads = check_count("threads", threads, 2, MAX_THREADS)
    keys = check_count("keys", keys, 1, 100_000)
    pause = check_seconds("pause", pause, 0.0, 0.1, allow_low=True)
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, not {type(method).__name__}")
    if method not in INSERT_METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(INSERT_METHODS)}")
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    groups: dict[int, list] = {}
    lock = threading.Lock()

    def file_items() -> None:
        me = threading.get_ident()
        for key in range(keys):
            if method == "check":
                if key not in groups:  # check ...
                    groups[key] = new_bucket(pause)  # ... then act
            elif method == "locked":
                with lock:
                    if key not in groups:
                        groups[key] = new_bucket(pause)
            else:
                groups.setdefault(key, new_bucket(pause))
            groups[key].append(me)

    _run_trial(threads, file_items, timeout, "check_then_insert")
    filed = sum(len(bucket) for bucket in groups.values())
    bad = sum(len(bucket) < threads for bucket in groups.values())
    return CheckThenActResult("items filed", method, keys, threads * keys, filed, bad)
