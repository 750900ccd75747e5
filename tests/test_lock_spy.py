import threading
import time

import pytest

from utils.engine.counters import add_one
from utils.lessons.lock_spy import OwnedLock, OwnedRLock, owned_locks, watch_writes


class _Guarded:
    def __init__(self):
        self.value = 0
        self._lock = threading.Lock()

    def increment(self):
        with self._lock:
            self.value = add_one(self.value)


class _WriteOutside(_Guarded):
    def increment(self):
        with self._lock:
            new = add_one(self.value)
        self.value = new


class _ReadOutside(_Guarded):
    def increment(self):
        current = self.value
        with self._lock:
            self.value = add_one(current)


class _TwoHolds(_Guarded):
    def increment(self):
        with self._lock:
            new = add_one(self.value)
        with self._lock:
            self.value = new


class _Reentrant:
    def __init__(self):
        self.value = 0
        self._lock = threading.RLock()

    def increment(self):
        with self._lock, self._lock:
            self.value = add_one(self.value)


class _ClassLock:
    lock = threading.Lock()  # made before any watching: not seen

    def __init__(self):
        self.value = 0

    def increment(self):
        with self.lock:
            new = add_one(self.value)
        self.value = new


def test_watch_writes_tells_a_write_under_the_lock_from_one_outside_it():
    cases = ((_Guarded, False), (_WriteOutside, True), (_ReadOutside, True), (_TwoHolds, True), (_Reentrant, False))
    for cls, expected in cases:
        counter, locks, unguarded = watch_writes(cls)
        assert isinstance(counter, cls) and type(counter).__name__ == cls.__name__
        assert len(locks) == 1 and isinstance(locks[0], OwnedRLock if cls is _Reentrant else OwnedLock)
        for _ in range(3):
            counter.increment()
        assert counter.value == 3 and unguarded == [expected] * 3, cls.__name__
    assert not isinstance(threading.Lock(), OwnedLock), "threading.Lock must be restored"
    assert not isinstance(threading.RLock(), OwnedLock), "threading.RLock must be restored"


def test_a_lock_nothing_watches_is_exposed_by_slow_writes():
    counter, locks, _ = watch_writes(_ClassLock, delay=0.005)
    assert locks == []
    start = time.perf_counter()
    counter.increment()
    assert time.perf_counter() - start >= 0.005 * 0.9 and counter.value == 1
    barrier, seen = threading.Barrier(2), []

    def work():
        barrier.wait(5)
        with counter.lock:
            seen.append(counter.value)  # the read, under the lock
        counter.value = seen[-1] + 1  # the write, after it: the other thread reads the old value meanwhile

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert seen == [1, 1] and counter.value == 2  # one update lost, on every run
    for bad, error in ((-1, ValueError), (1.0, ValueError), ("x", TypeError)):
        with pytest.raises(error):
            watch_writes(_Guarded, delay=bad)
    with pytest.raises(ValueError):
        watch_writes(_Guarded, name="not a name")


def test_owned_lock_behaves_like_a_lock():
    lock = OwnedLock()
    assert not lock.held_here() and not lock.locked()
    with lock:
        assert lock.held_here() and lock.locked()
        assert not lock.acquire(blocking=False)
        seen = []
        other = threading.Thread(target=lambda: seen.append(lock.held_here()))
        other.start()
        other.join(5)
        assert seen == [False]
    assert not lock.locked() and lock.owner is None
    with pytest.raises(TypeError):
        watch_writes("not a class")


def test_owned_locks_swaps_threading_lock_only_inside_the_block():
    with owned_locks() as made:
        inside = threading.Lock()
    outside = threading.Lock()
    assert made == [inside] and isinstance(inside, OwnedLock) and not isinstance(outside, OwnedLock)


def test_owned_rlock_is_reentrant_and_works_in_a_condition():
    lock = OwnedRLock()
    with lock, lock:
        assert lock.held_here() and lock.holds == 1
    assert not lock.locked() and lock.holds == 1
    with pytest.raises(RuntimeError):
        lock.release()
    with owned_locks() as made:
        inner = threading.Condition()
    assert len(made) == 1 and isinstance(made[0], OwnedRLock)
    with inner, inner:
        assert made[0].held_here()
        assert not inner.wait(0.01)  # waits with the lock released (both levels), and takes it back
        assert made[0].held_here() and made[0].holds == 2
    assert not made[0].locked()
