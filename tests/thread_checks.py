"""Did a call leave threads behind? Compare thread objects, not counts.

A count taken before the call includes threads that other tests left finishing (a browser
connection, a pool worker on its way out); when one of them ends during the call, a count
comparison fails although the call left nothing behind.
"""

from __future__ import annotations

import threading
import time


def threads_now() -> set[threading.Thread]:
    """The threads alive now: take it before the call."""
    return set(threading.enumerate())


def threads_left(before: set[threading.Thread], wait: float = 0.0) -> list[threading.Thread]:
    """Threads started since `before` was taken and still alive, after waiting up to `wait` s for them."""
    deadline = time.monotonic() + wait
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.01)
