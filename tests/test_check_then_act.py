import pytest

from utils.engine.isolation import isolated
from utils.lessons.check_then_act import INSERT_METHODS, CheckThenActResult, check_then_insert, lazy_init_race


def test_lazy_init_creates_duplicates_without_a_lock():
    racy = lazy_init_race(threads=4, trials=10, pause=0.002)
    assert racy.method == "check" and racy.expected == 10
    assert racy.bad_trials > 0 and racy.actual > racy.expected
    safe = lazy_init_race(threads=4, trials=10, pause=0.002, locked=True)
    assert (safe.actual, safe.bad_trials) == (10, 0)
    assert CheckThenActResult.from_dict(safe.to_dict()) == safe
    assert isolated(lazy_init_race, threads=2, trials=2, locked=True) == CheckThenActResult(
        "instances created", "locked", 2, 2, 2, 0
    )
    assert "went wrong in 0 of 10" in safe.describe()


def test_check_then_insert_loses_items_and_the_fixes_do_not():
    racy = check_then_insert(threads=4, keys=50, pause=0.0005)
    assert racy.expected == 200 and racy.actual < racy.expected and racy.bad_trials > 0
    for method in ("locked", "setdefault"):
        fixed = check_then_insert(threads=4, keys=50, pause=0.0005, method=method)
        assert (fixed.actual, fixed.bad_trials, fixed.method) == (200, 0, method)
    assert set(INSERT_METHODS) == {"check", "locked", "setdefault"}


@pytest.mark.parametrize(
    "func, kwargs, error",
    [
        (lazy_init_race, dict(threads=1), ValueError),
        (lazy_init_race, dict(pause=-1), ValueError),
        (lazy_init_race, dict(locked="yes"), TypeError),
        (check_then_insert, dict(method="maybe"), ValueError),
        (check_then_insert, dict(method=None), TypeError),
        (check_then_insert, dict(keys=0), ValueError),
    ],
)
def test_check_then_act_rejects_bad_arguments(func, kwargs, error):
    with pytest.raises(error):
        func(**kwargs)


def test_check_then_act_timeout():
    with pytest.raises(TimeoutError):
        lazy_init_race(threads=2, trials=100, pause=0.05, timeout=0.2)
