import matplotlib

matplotlib.use("Agg")

import gc
import json
import sys
import threading
from pathlib import Path

import pytest

from utils.engine.bytecode import read_modify_write
from utils.engine.counters import Counter, add_in_place, add_one, add_through_call, increment
from utils.engine.environment import free_threaded_build, where_it_ran
from utils.engine.isolation import isolated
from utils.lessons.gil_internals import (
    LOOPS,
    CheckPoints,
    add_with_garbage,
    call_instructions,
    checkpoints_of,
    collection_points,
    eval_breaker_checkpoints,
)

#: 3.10 has no specialising interpreter, and the free-threaded 3.13 build disables it (gh-115999):
#: there `len()`, `isinstance()`, `list.append` and `type(x)` are generic calls, which check the eval breaker.
CALLS_ARE_GENERIC = sys.version_info < (3, 11) or (sys.version_info[:2] == (3, 13) and free_threaded_build())


def test_the_lesson_loops_are_read_modify_writes():
    # the scanner itself is tested in tests/test_bytecode.py; here: the lesson's functions are what it says
    assert [s.role for s in read_modify_write(increment, "value")] == ["load", "add", "store"]
    assert [s.role for s in read_modify_write(add_through_call, "value")] == ["load", "store"]
    assert [s.role for s in read_modify_write(add_in_place, "value")] == ["load", "add", "store"]
    assert read_modify_write(add_one, "value") == []  # never stores "value"
    assert LOOPS["add_in_place"] is add_in_place and LOOPS["add_through_call"] is add_through_call  # one kit


def test_checks_never_fall_inside_a_plain_increment_but_do_inside_a_call():
    plain = eval_breaker_checkpoints("add_in_place", iterations=1_000_000, interval=0.0005)
    called = eval_breaker_checkpoints("add_through_call", iterations=1_000_000, interval=0.0005)
    assert plain.total > 10 and called.total > 10  # ~0.05 s of loop at one signal per 0.5 ms
    assert plain.inside == 0
    assert called.inside > 0
    assert sum(plain.by_instruction.values()) == plain.total
    backward = "JUMP_ABSOLUTE" if sys.version_info < (3, 11) else "JUMP_BACKWARD"
    assert backward in plain.instructions("add_in_place")
    assert called.instructions("add_one")  # the callee's start is a check point on every version


def test_a_c_call_inside_is_a_check_point_except_for_fast_paths():
    called_c = eval_breaker_checkpoints("add_abs", iterations=1_000_000)
    assert called_c.inside > 0  # abs(): checked when the call returns, on every version and build
    length = eval_breaker_checkpoints("add_len", iterations=1_000_000)
    assert length.total > 10
    if CALLS_ARE_GENERIC:
        assert length.inside > 0  # 3.10: after every CALL_FUNCTION; 3.13t: the generic CALL checks
    else:
        assert length.inside == 0  # the specialised len() call skips the check (measured on 3.11-3.15)


def test_the_loops_with_a_check_inside_follow_the_rule_assignment_03_grades():
    """Assignment 03, Task 1 fixes its truth per named Python (standard 3.12: no fast-path check; free-threaded
    3.13: generic calls): this is the rule it follows, measured on whichever Python of the matrix runs the tests."""
    measured = {name: isolated(eval_breaker_checkpoints, name, iterations=1_000_000) for name in LOOPS}
    inside = {name for name, spots in measured.items() if spots.inside > 0}
    assert inside == {"add_through_call", "add_abs"} | ({"add_len"} if CALLS_ARE_GENERIC else set()), measured
    here = where_it_ran()
    assert all((s.python, s.free_threaded) == (here.python, here.free_threaded) for s in measured.values())


def add_isinstance(counter, n):
    for _ in range(n):
        counter.value += isinstance(counter, Counter)


def add_type_check(counter, n):
    for _ in range(n):
        counter.value += type(counter) is Counter


def append_only(counter, n):
    items = []
    for _ in range(n):
        items.append(1)


def count_down(counter, n):
    while n:
        n -= 1


def test_the_lessons_table_of_check_points_holds_on_this_python():
    """Lesson 03's table: loops, and the fast paths of isinstance(), type(x) and list.append (3.11+)."""
    for func in (add_isinstance, add_type_check):  # a specialised call inside the read-modify-write
        spots = checkpoints_of(func, iterations=500_000)
        assert spots.total > 10
        assert (spots.inside > 0) == CALLS_ARE_GENERIC, (func.__name__, spots.by_instruction)
    appended = checkpoints_of(append_only, iterations=1_000_000)
    call = "CALL_METHOD" if sys.version_info < (3, 11) else "CALL"
    assert (call in appended.instructions("append_only")) == CALLS_ARE_GENERIC, appended.by_instruction
    loop_end = {(3, 10): "POP_JUMP_IF_TRUE", (3, 11): "POP_JUMP_BACKWARD_IF_TRUE"}.get(
        sys.version_info[:2], "JUMP_BACKWARD"
    )
    assert loop_end in checkpoints_of(count_down, iterations=2_000_000).instructions("count_down")
    with pytest.raises(TypeError):
        checkpoints_of(len)


def test_call_instructions_show_the_specialised_len_call():
    calls = call_instructions("add_len", warmup=5_000)
    expected = {(3, 11): "PRECALL_NO_KW_LEN", (3, 12): "CALL_NO_KW_LEN"}.get(sys.version_info[:2], "CALL_LEN")
    if sys.version_info < (3, 11):
        assert calls == ["CALL_FUNCTION"]
    elif CALLS_ARE_GENERIC:
        assert calls == ["CALL"]  # free-threaded 3.13: nothing is specialised
    else:
        assert expected in calls
    assert call_instructions("add_in_place", warmup=10) == []  # no call between the load and the store
    with pytest.raises(ValueError, match="unknown loop"):
        call_instructions("nope")
    with pytest.raises(TypeError):
        call_instructions("add_len", warmup="10")


def test_the_collector_runs_inside_an_allocation_before_3_12_and_at_a_check_from_3_12():
    assert [s.role for s in read_modify_write(add_with_garbage, "value")] == ["load", "add", "store"]
    callbacks = list(gc.callbacks)
    collection_points(iterations=1_000)
    assert gc.callbacks == callbacks  # its callback is removed again
    # In a fresh process: on a free-threaded build a collection also waits until the heap has grown by a quarter
    # since the last one (gc_should_collect, Python/gc_free_threading.c), which a test process's heap may not do.
    spots = isolated(collection_points, iterations=100_000)
    assert spots.loop == "add_with_garbage" and spots.total > 0
    assert sum(spots.by_instruction.values()) == spots.total
    if sys.version_info >= (3, 12):  # scheduled, run at the next eval-breaker check (gh-97922)
        assert spots.inside == 0 and "JUMP_BACKWARD" in spots.instructions("add_with_garbage")
    else:  # run by the allocation that crossed the threshold, between the load and the store
        assert spots.inside > 0 and "BUILD_LIST" in spots.instructions("add_with_garbage")


def test_collection_points_need_the_collector_and_valid_arguments():
    gc.disable()
    try:
        with pytest.raises(RuntimeError, match="disabled"):
            collection_points(iterations=1000)
    finally:
        gc.enable()
    with pytest.raises(TypeError):
        collection_points(iterations=1.5)
    with pytest.raises(ValueError):
        collection_points(iterations=0)
    with pytest.raises(ValueError):  # comes back from the fresh process as itself
        isolated(collection_points, iterations=0)


def test_checkpoints_need_the_main_thread_and_valid_arguments():
    errors = []

    def in_a_thread():
        try:
            eval_breaker_checkpoints("add_in_place", iterations=1000)
        except RuntimeError as exc:
            errors.append(exc)

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join(10)
    assert errors and "main thread" in str(errors[0])
    with pytest.raises(ValueError, match="unknown loop"):
        eval_breaker_checkpoints("nope")
    with pytest.raises(TypeError):
        eval_breaker_checkpoints("add_in_place", iterations=1.5)
    with pytest.raises(ValueError):
        eval_breaker_checkpoints("add_in_place", interval=0)


def test_checkpoints_in_a_fresh_process_round_trip():
    spots = isolated(eval_breaker_checkpoints, "add_in_place", iterations=500_000)
    assert isinstance(spots, CheckPoints) and spots.loop == "add_in_place" and spots.inside == 0
    assert CheckPoints.from_dict(json.loads(json.dumps(spots.to_dict()))) == spots
    with pytest.raises(TypeError):
        CheckPoints.from_dict([1, 2])


# Assignment 03: its checks run here as plain Python (no kernel), so that the matrix runs them on every Python.
SOLUTION_03 = Path(__file__).resolve().parents[1] / "solutions" / "03_inside_the_gil.ipynb"


def _assignment_03_cells() -> dict[str, str]:
    cells = json.loads(SOLUTION_03.read_text(encoding="utf-8"))["cells"]
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in cells if c["cell_type"] == "code"}


def _run_03(*grade_ids: str, answers: dict[str, str]) -> dict:
    cells, namespace = _assignment_03_cells(), {"__name__": "__main__"}
    for grade_id in ("setup", *grade_ids):
        exec(compile(answers.get(grade_id, cells[grade_id]), grade_id, "exec"), namespace)
    return namespace


RIGHT_03 = {
    # The same sets, built from what the loops have in common.
    "task1-answer": 'calls_that_check = {"add_through_call", "add_abs"}\n'
    "inside_312 = set(calls_that_check)\n"
    'inside_313t = calls_that_check | {"add_len"}  # 3.13t does not specialise len() (gh-115999)',
    # An iterator walk instead of indices.
    "task2-answer": "def between(func, name):\n"
    "    instructions = iter(dis.get_instructions(func))\n"
    "    for instruction in instructions:\n"
    '        if instruction.opname.startswith("LOAD_") and instruction.argval == name:\n'
    "            window = []\n"
    "            for later in instructions:\n"
    '                if later.opname.startswith("STORE_") and later.argval == name:\n'
    "                    return window\n"
    "                window.append(later.opname)\n"
    "            break\n"
    '    raise ValueError(f"no load of {name!r} followed by a store")',
}


def test_assignment_03_task1_has_the_same_truth_on_every_python(capsys):
    """Task 1 names its Pythons: the solution and a differently written answer pass, and a wrong one fails, with
    the same messages here as on every other Python of the matrix (no measurement in the graded path)."""
    for answers in ({}, {"task1-answer": RIGHT_03["task1-answer"]}):
        _run_03("task1-answer", "task1-check", answers=answers)
        assert "✔ Task 1 passed" in capsys.readouterr().out
    wrong = {"task1-answer": 'inside_312 = inside_313t = {"add_through_call", "add_abs"}'}
    with pytest.raises(AssertionError, match="1 of the 4 loops") as first:
        _run_03("task1-answer", "task1-check", answers=wrong)
    assert "add_len" not in str(first.value)  # the first wrong try names no loop and no answer


def test_assignment_03_task2_accepts_a_differently_written_between(capsys):
    _run_03("task2-setup", "task2-answer", "task2-check", answers={"task2-answer": RIGHT_03["task2-answer"]})
    assert "✔ Task 2 passed" in capsys.readouterr().out
