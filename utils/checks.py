"""Check cells for the exercises: immediate feedback that teaches.

A check cell after a task reads the learner's answer and either prints why it is right or
raises :class:`CheckFailed` (an ``AssertionError``, so nbgrader counts it as a failed test)
with a message saying what was expected and why:

    from utils.checks import answer, expect, passed
    lost = answer(globals(), "will_lose_updates")
    expect(isinstance(lost, bool), "Answer True or False.")
    expect(lost is False, "On 3.10+ the loop `counter += 1` switches threads only at ...")
    passed("Task 1", "the bare loop keeps its updates on this Python.")

For a multiple-choice question, :func:`expect_answer` explains the wrong option the learner chose:

    expect_answer(answer(globals(), "reason"), "a", {"b": "Each process has its own GIL ..."},
                  "reason", choices="abcd")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


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


def expect_answer(
    value: Any, correct: Any, explanations: Mapping[Any, str], name: str, *, choices: Iterable[Any] | None = None
) -> None:
    """Fail unless ``value == correct``, explaining the wrong option the learner chose.

    ``explanations`` maps options to why they are wrong; only the chosen option's text is shown,
    so an entry for the correct option (useful when ``correct`` is computed at run time, e.g.
    from ``sys.version_info``) is never used against the learner. A wrong option with no
    explanation gets a generic message that sends the learner back to the question without
    giving the answer away. With ``choices``, a value that is not one of them fails first
    with the list of valid options (:func:`expect_choice`).
    """
    if not isinstance(name, str) or not name:
        raise ValueError("name the variable the check reads, e.g. 'fork_warning_reason'")
    if not isinstance(explanations, Mapping):
        raise TypeError(f"explanations must map options to why they are wrong, not {type(explanations).__name__}")
    for option, why in explanations.items():
        if not isinstance(why, str) or not why.strip():
            raise ValueError(f"the explanation for {option!r} must be a non-empty string that teaches")
    if choices is not None:
        options = list(choices)
        if correct not in options:
            raise ValueError(f"the correct answer {correct!r} is not one of the choices {options!r}")
        stray = [option for option in explanations if option not in options]
        if stray:
            raise ValueError(f"explanations for {stray!r}, which are not among the choices {options!r}")
        expect_choice(value, options, name)
    try:
        right = bool(value == correct)
    except Exception:  # a value that cannot even be compared is not the answer
        right = False
    if right:
        return
    try:
        why = explanations.get(value)
    except TypeError:  # an unhashable value cannot be one of the explained options
        why = None
    expect(
        False,
        why
        or (
            f"`{name}` = {value!r} is not right. Read each option again against the lesson's "
            f"key points, rule out the ones that contradict them, and try again."
        ),
    )


def passed(task: str, why: str) -> None:
    """Print the success message of a check (the same text on every run, so nbval can compare it)."""
    print(f"✔ {task} passed: {why}")
