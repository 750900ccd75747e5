import threading

import pytest

from utils.engine.counters import add_one
from utils.lessons.lock_spy import OwnedLock, owned_locks, watch_writes


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


def test_watch_writes_tells_a_write_under_the_lock_from_one_outside_it():
    for cls, expected in ((_Guarded, False), (_WriteOutside, True)):
        counter, locks, unguarded = watch_writes(cls)
        assert isinstance(counter, cls) and type(counter).__name__ == cls.__name__
        assert len(locks) == 1 and isinstance(locks[0], OwnedLock)
        for _ in range(3):
            counter.increment()
        assert counter.value == 3 and unguarded == [expected] * 3, cls.__name__
    assert not isinstance(threading.Lock(), OwnedLock), "threading.Lock must be restored"


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
