"""Check cells for the exercises: immediate feedback that teaches.

A check cell after a task reads the learner's answer and either prints why it is right or
raises :class:`CheckFailed` (an ``AssertionError``, so nbgrader counts it as a failed test)
with a message saying what was expected and why:

    from utils.checks import answer, expect, passed
    lost = answer(globals(), "will_lose_updates")
    expect(isinstance(lost, bool), "Answer True or False.")
    expect(lost is False, "On 3.10+ the loop `counter += 1` switches threads only at ...")
    passed("Task 1", "the bare loop keeps its updates on this Python.")
"""

from __future__ import annotations

from typing import Any, Iterable


class CheckFailed(AssertionError):
    """A check did not pass; the message says what was expected and why."""


def answer(namespace: dict[str, Any], name: str) -> Any:
    """The value the learner gave ``name`` in ``namespace`` (pass ``globals()``)."""
    if not isinstance(namespace, dict):
        raise TypeError("pass globals() as the namespace")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"{name!r} is not a variable name")
    if name not in namespace:
        raise CheckFailed(
            f"`{name}` is not defined yet. Write your answer in the cell above (replace "
            f"`raise NotImplementedError()`), run it, then run this check again."
        )
    return namespace[name]


def expect(condition: bool, why: str) -> None:
    """Fail with ``why`` unless ``condition`` holds."""
    if not isinstance(why, str) or not why:
        raise ValueError("say why: a check needs a message that teaches")
    if not condition:
        raise CheckFailed(why)


def expect_choice(value: Any, choices: Iterable[Any], name: str) -> None:
    """Fail unless ``value`` is one of ``choices`` (a format check before the content check)."""
    options = list(choices)
    expect(value in options, f"`{name}` should be one of {', '.join(map(repr, options))}, not {value!r}.")


def passed(task: str, why: str) -> None:
    """Print the success message of a check (the same text on every run, so nbval can compare it)."""
    print(f"✔ {task} passed: {why}")
