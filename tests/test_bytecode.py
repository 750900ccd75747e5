"""The course's one bytecode scanner (utils.engine.bytecode), on the Python running the tests."""

import sys

import pytest

from utils.engine.bytecode import ITEM, ROLES, Step, between, read_modify_write


class Box:
    def __init__(self) -> None:
        self.value = 0
        self.counts = {"a": 0}


def bump(x: int) -> int:
    return x + 1


def attribute_plus_equals(box: Box) -> None:
    box.value += 1


def attribute_through_call(box: Box) -> None:
    box.value = bump(box.value)


def item_plus_equals(box: Box) -> None:
    counts = box.counts
    counts["a"] += 1


def local_in_a_loop(n: int) -> int:
    total = 0
    for _ in range(n):
        total += 1
    return total


total_seen = 0


def global_plus_equals() -> None:
    global total_seen
    total_seen += 1


def only_reads(box: Box) -> int:
    return box.value + 1


def test_plus_equals_is_a_load_an_add_and_a_store():
    steps = read_modify_write(attribute_plus_equals, "value")
    assert [s.role for s in steps] == ["load", "add", "store"]
    assert steps[0].offset < steps[1].offset < steps[2].offset
    assert (steps[0].opname, steps[2].opname) == ("LOAD_ATTR", "STORE_ATTR")
    if sys.version_info < (3, 11):
        assert steps[1].opname == "INPLACE_ADD"
    else:
        assert (steps[1].opname, steps[1].argrepr) == ("BINARY_OP", "+=")
    assert all(isinstance(s, Step) and s.role in ROLES for s in steps)


def test_locals_globals_and_items_are_found_too():
    # LOAD_FAST / LOAD_FAST_BORROW (3.14+) and STORE_FAST, LOAD_GLOBAL / STORE_GLOBAL, *_SUBSCR / BINARY_OP [] (3.14+)
    for func, name in ((local_in_a_loop, "total"), (global_plus_equals, "total_seen"), (item_plus_equals, ITEM)):
        assert [s.role for s in read_modify_write(func, name)] == ["load", "add", "store"], func.__name__
    assert read_modify_write(item_plus_equals, ITEM)[-1].opname == "STORE_SUBSCR"


def test_every_step_is_the_window_between_the_load_and_the_store():
    short = read_modify_write(attribute_through_call, "value")
    window = read_modify_write(attribute_through_call, "value", every=True)
    assert [s.role for s in short] == ["load", "store"]
    assert window[0] == short[0] and window[-1] == short[-1]
    assert {s.role for s in window[1:-1]} == {"op"}
    assert [s.offset for s in window] == sorted(s.offset for s in window)
    assert any("CALL" in name for name in between(attribute_through_call, "value"))
    assert not any("CALL" in name or "JUMP" in name for name in between(attribute_plus_equals, "value"))
    inside = between(attribute_plus_equals, "value")
    assert inside == [s.opname for s in read_modify_write(attribute_plus_equals, "value", every=True)[1:-1]]


def test_no_read_modify_write_and_bad_arguments():
    assert read_modify_write(only_reads, "value") == []  # loads value but never stores it
    assert read_modify_write(attribute_plus_equals, "missing") == []
    with pytest.raises(ValueError, match="never loads"):
        between(only_reads, "value")
    with pytest.raises(TypeError):
        read_modify_write(len, "value")  # a builtin has no bytecode
    with pytest.raises(TypeError):
        read_modify_write(attribute_plus_equals, "")
    with pytest.raises(TypeError):
        read_modify_write(attribute_plus_equals, "value", every="yes")
