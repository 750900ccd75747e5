"""The test helper that tells whether a call left threads behind."""

import threading

from thread_checks import threads_left, threads_now


def test_a_new_live_thread_is_reported_and_an_old_one_ending_is_not():
    old_done, new_done = threading.Event(), threading.Event()
    old = threading.Thread(target=old_done.wait, daemon=True)
    old.start()
    before = threads_now()
    new = threading.Thread(target=new_done.wait, daemon=True)
    new.start()
    old_done.set()
    old.join()
    assert threads_left(before) == [new]  # the old thread ending does not hide the new one
    new_done.set()
    assert threads_left(before, wait=5) == []
