"""The course's one bytecode scanner: find a read-modify-write of one name in a function's bytecode.

``counter.value += 1`` is one line but several instructions: a load of ``value``, an addition and
a store of ``value``. :func:`read_modify_write` finds them with :mod:`dis` on CPython 3.10-3.15,
whatever the opcodes are called on that version (``INPLACE_ADD`` on 3.10, ``BINARY_OP`` from 3.11,
``LOAD_FAST_BORROW`` from 3.14, ...):

    steps = read_modify_write(increment, "value")           # [Step("load", "LOAD_ATTR", ...), add, store]
    window = read_modify_write(increment, "value", every=True)
    [s.opname for s in window[1:-1]]                        # every instruction between the load and the store
    read_modify_write(bump, ITEM)                           # counts[key] += 1: a subscript load and store

A name is matched as an attribute, a local, a global or a closure variable (``LOAD_ATTR value``,
``LOAD_FAST value``, the fused ``LOAD_FAST_LOAD_FAST`` of 3.13+, ...); :data:`ITEM` matches an item
(``BINARY_SUBSCR`` up to 3.13, ``BINARY_OP`` with ``[]`` from 3.14, ``STORE_SUBSCR``).
"""

from __future__ import annotations

import dis
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Pass as ``name`` to find a read-modify-write of a container item (``counts[key] += 1``).
ITEM = "[]"
#: Roles of a :class:`Step`: ``op`` is any other instruction between the load and the store (``every=True``).
ROLES = ("load", "add", "op", "store")
_NOT_NAMES = {
    "LOAD_CONST",
    "LOAD_SMALL_INT",
    "LOAD_COMMON_CONSTANT",
    "LOAD_ASSERTION_ERROR",
    "STORE_SUBSCR",
    "STORE_SLICE",
    "LOAD_BUILD_CLASS",
    "LOAD_LOCALS",
}


@dataclass(frozen=True)
class Step:
    """One instruction of a read-modify-write: its role (see :data:`ROLES`), opcode name, offset and argument."""

    role: str
    opname: str
    offset: int
    argrepr: str


def _names(instruction: dis.Instruction) -> tuple[Any, ...]:
    # Fused instructions of 3.13+ (LOAD_FAST_LOAD_FAST, STORE_FAST_STORE_FAST, ...) carry a tuple of names.
    value = instruction.argval
    return value if isinstance(value, tuple) else (value,)


def _is_load(instruction: dis.Instruction, name: str) -> bool:
    if name == ITEM:
        return instruction.opname == "BINARY_SUBSCR" or (
            instruction.opname == "BINARY_OP" and "[" in str(instruction.argrepr)
        )
    return (
        instruction.opname.startswith("LOAD_") and instruction.opname not in _NOT_NAMES and name in _names(instruction)
    )


def _is_store(instruction: dis.Instruction, name: str) -> bool:
    if name == ITEM:
        return instruction.opname == "STORE_SUBSCR"
    if instruction.opname == "STORE_FAST_LOAD_FAST":  # 3.13+: stores the first name, loads the second
        return _names(instruction)[0] == name
    return (
        instruction.opname.startswith("STORE_") and instruction.opname not in _NOT_NAMES and name in _names(instruction)
    )


def _is_add(instruction: dis.Instruction) -> bool:
    # 3.10: INPLACE_ADD / BINARY_ADD; 3.11+: BINARY_OP with the operator in argrepr ("+=" or "+").
    if instruction.opname in ("INPLACE_ADD", "BINARY_ADD"):
        return True
    return instruction.opname == "BINARY_OP" and instruction.argrepr in ("+=", "+")


def _step(role: str, instruction: dis.Instruction) -> Step:
    return Step(role, instruction.opname, instruction.offset, instruction.argrepr)


def read_modify_write(func: Callable[..., Any], name: str = "value", *, every: bool = False) -> list[Step]:
    """The instructions of ``func`` that load ``name``, add to it and store it back, in order.

    Finds the first load of ``name`` (or of an item, with ``name=ITEM``), then the first store of it
    after that load, and the first addition in between. A function doing ``x.value += 1`` gives three
    steps (load, add, store) on every CPython 3.10+, although the opcodes differ between versions;
    ``x.value = plus_one(x.value)`` gives two (load, store). With ``every=True`` every instruction
    from the load to the store is a step (the others have role ``"op"``): the window in which a call,
    a jump or an eval-breaker check could interrupt the read-modify-write. Returns ``[]`` if ``func``
    never loads ``name`` and stores it back.
    """
    if not callable(func) or not hasattr(func, "__code__"):
        raise TypeError(f"func must be a Python function, not {type(func).__name__}")
    if not isinstance(name, str) or not name:
        raise TypeError("name must be a non-empty str (the variable or attribute to look for, or ITEM)")
    if not isinstance(every, bool):
        raise TypeError(f"every must be True or False, not {type(every).__name__}")
    steps: list[Step] = []
    added = False
    for instruction in dis.get_instructions(func):
        if not steps:
            if _is_load(instruction, name):
                steps.append(_step("load", instruction))
        elif _is_store(instruction, name):
            steps.append(_step("store", instruction))
            return steps
        elif not added and _is_add(instruction):
            steps.append(_step("add", instruction))
            added = True
        elif every:
            steps.append(_step("op", instruction))
    return []


def between(func: Callable[..., Any], name: str = "value") -> list[str]:
    """Opcode names strictly between the load and the store of ``name`` in ``func``.

    Look for substrings, as the names differ between versions: ``"CALL"`` for calls, ``"JUMP"`` for
    jumps. Raises ValueError if ``func`` has no read-modify-write of ``name``.
    """
    steps = read_modify_write(func, name, every=True)
    if not steps:
        what = "an item" if name == ITEM else repr(name)
        raise ValueError(f"{getattr(func, '__name__', func)} never loads {what} and stores it back")
    return [step.opname for step in steps[1:-1]]
