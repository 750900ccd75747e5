"""``os.fork()`` in a process with threads (lesson 07).

POSIX only: where ``os.fork`` does not exist (Windows) the functions say so in their result
instead of failing. Run them in a fresh process (``utils.engine.isolation.isolated``), never in
a Jupyter kernel, which has threads of its own.

Sources: ``os.fork`` docs and What's New in Python 3.12 (the DeprecationWarning).
"""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time
import warnings
from dataclasses import dataclass

from utils.engine.plaindata import PlainData
from utils.engine.validation import check_count, check_seconds
from utils.lessons.deadlocks.graph import MAX_TIMEOUT

# --- fork and threads ------------------------------------------------------------------------


def _fork_available() -> bool:
    return hasattr(os, "fork")


def _require_no_other_threads(what: str) -> None:
    if threading.active_count() > 1:
        raise RuntimeError(
            f"{what} forks the calling process, which already runs {threading.active_count()} threads; "
            f"run it in a fresh process: isolated({what}, ...) from utils.engine.isolation"
        )


def _reap(pid: int, deadline: float) -> int:
    """Wait for child ``pid`` until ``deadline`` (monotonic); kill it if it is still running."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.005)


def _read_pipe(fd: int, deadline: float) -> bytes:
    chunks = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class ForkReport(PlainData):
    """What a child forked while another thread held a lock could do with that lock."""

    available: bool  # os.fork exists on this platform
    locked_in_child: bool | None  # the lock was already locked when the child looked
    child_acquired: bool | None  # the child got the lock within the timeout
    child_threads: int | None  # threading.active_count() in the child
    parent_acquired: bool | None  # the parent got it after its holder thread released it
    child_exit: int | None
    timeout: float
    warnings: tuple[str, ...] = ()  # warning categories os.fork() raised in the parent


def fork_while_locked(timeout: float = 0.5) -> ForkReport:
    """Fork while another thread holds a lock; the child tries the lock with ``timeout``.

    After ``os.fork()`` the child has one thread only: the one that called fork. The lock was
    copied in its locked state, and the thread that would release it does not exist in the
    child, so the child can never get it (here it gives up after ``timeout``). The parent's
    holder thread then releases the lock, and the parent gets it. POSIX only; run it in a fresh
    process (``isolated(fork_while_locked)``), never in a Jupyter kernel, which has threads of its own.
    """
    timeout = check_seconds("timeout", timeout, 0.0, MAX_TIMEOUT)
    if not _fork_available():
        return ForkReport(False, None, None, None, None, None, timeout)
    _require_no_other_threads("fork_while_locked")
    budget = 4 * timeout + 5.0
    lock, holding, release = threading.Lock(), threading.Event(), threading.Event()

    def holder() -> None:
        with lock:
            holding.set()
            release.wait(budget)

    thread = threading.Thread(target=holder, name="holder", daemon=True)
    thread.start()
    try:
        if not holding.wait(budget):
            raise RuntimeError("the holder thread did not take the lock in time")
        read_fd, write_fd = os.pipe()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pid = os.fork()
        if pid == 0:  # the child: one thread, a copy of the locked lock
            code = 1
            try:
                os.close(read_fd)
                was_locked = lock.locked()
                got = lock.acquire(timeout=timeout)
                message = {"locked": was_locked, "acquired": got, "threads": threading.active_count()}
                os.write(write_fd, json.dumps(message).encode())
                code = 0
            finally:
                os._exit(code)  # never run the parent's code (or its atexit handlers) in the child
        os.close(write_fd)
        deadline = time.monotonic() + budget
        try:
            raw = _read_pipe(read_fd, deadline)
        finally:
            os.close(read_fd)
        exit_code = _reap(pid, deadline)
    finally:
        release.set()
        thread.join(budget)
    parent_got = lock.acquire(timeout=timeout)
    if parent_got:
        lock.release()
    child = json.loads(raw) if raw else {}
    return ForkReport(
        True,
        child.get("locked"),
        child.get("acquired"),
        child.get("threads"),
        parent_got,
        exit_code,
        timeout,
        tuple(sorted({w.category.__name__ for w in caught})),
    )


@dataclass(frozen=True)
class ForkWarnings(PlainData):
    """The warnings one ``os.fork()`` raised, or ``available=False`` where there is no ``os.fork``."""

    available: bool  # os.fork exists on this platform (not on Windows)
    threads: int  # extra threads running when the process forked
    categories: tuple[str, ...] = ()  # one per warning, e.g. ("DeprecationWarning",)
    messages: tuple[str, ...] = ()


def fork_warnings(threads: int = 1, timeout: float = 5.0) -> ForkWarnings:
    """The warnings ``os.fork()`` raises in a process running ``threads`` extra threads.

    Python 3.12+ raises a DeprecationWarning when it can tell the process has other threads
    (What's New in Python 3.12; ``os.fork`` docs); 3.10 and 3.11 raise none. The child exits at
    once. POSIX only: without ``os.fork`` (Windows) the result says ``available=False``. Run it in
    a fresh process (``isolated(fork_warnings, threads=1)``).
    """
    threads = check_count("threads", threads, 0, 8)
    timeout = check_seconds("timeout", timeout, 0.0, MAX_TIMEOUT)
    if not _fork_available():
        return ForkWarnings(False, threads)
    _require_no_other_threads("fork_warnings")
    stop = threading.Event()
    idle = [threading.Thread(target=stop.wait, args=(timeout,), daemon=True) for _ in range(threads)]
    for t in idle:
        t.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pid = os.fork()
        if pid == 0:
            os._exit(0)
        _reap(pid, time.monotonic() + timeout)
    finally:
        stop.set()
        for t in idle:
            t.join(timeout)
    return ForkWarnings(
        True, threads, tuple(w.category.__name__ for w in caught), tuple(str(w.message) for w in caught)
    )
