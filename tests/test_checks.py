import pytest

from utils.checks import CheckFailed, answer, expect, expect_answer, expect_choice, passed

REASONS = {
    "b": "Each process has its own GIL.",
    "c": "The child gets only the thread that called fork().",
}


# --- answer ------------------------------------------------------------------------------------


def test_answer_reads_the_learners_variable():
    namespace = {"lock_again": False, "zero": 0}
    assert answer(namespace, "lock_again") is False
    assert answer(namespace, "zero") == 0  # falsy values are answers too


def test_answer_says_how_to_define_a_missing_variable():
    with pytest.raises(CheckFailed, match=r"`lock_again` is not defined yet.*NotImplementedError"):
        answer({}, "lock_again")


def test_check_failed_is_an_assertion_error():
    # nbgrader counts a check cell that raises AssertionError as a failed test
    assert issubclass(CheckFailed, AssertionError)


@pytest.mark.parametrize(
    "namespace, name, error",
    [(None, "x", TypeError), ([("x", 1)], "x", TypeError), ({}, "not a name", ValueError), ({}, 3, ValueError)],
)
def test_answer_rejects_bad_arguments(namespace, name, error):
    with pytest.raises(error):
        answer(namespace, name)


# --- expect / expect_choice ----------------------------------------------------------------------


def test_expect_passes_or_fails_with_its_message():
    expect(True, "never shown")
    with pytest.raises(CheckFailed) as failure:
        expect(False, "A Lock does not remember who holds it.")
    assert str(failure.value) == "A Lock does not remember who holds it."


@pytest.mark.parametrize("why", ["", None, 3])
def test_expect_needs_a_message_that_teaches(why):
    with pytest.raises(ValueError, match="say why"):
        expect(True, why)  # rejected even when the condition holds: the author must write a reason


def test_expect_choice_lists_the_valid_options():
    expect_choice("a", "abcd", "reason")
    expect_choice(True, (True, False), "flag")
    with pytest.raises(CheckFailed) as failure:
        expect_choice("e", ("a", "b"), "reason")
    assert str(failure.value) == "`reason` should be one of 'a', 'b', not 'e'."


# --- expect_answer -------------------------------------------------------------------------------


def test_expect_answer_accepts_the_correct_option():
    expect_answer("a", "a", REASONS, "reason")
    expect_answer("a", "a", REASONS, "reason", choices="abcd")


def test_expect_answer_explains_the_chosen_wrong_option():
    for option, why in REASONS.items():
        with pytest.raises(CheckFailed) as failure:
            expect_answer(option, "a", REASONS, "reason")
        assert str(failure.value) == why


def test_expect_answer_without_an_explanation_teaches_without_giving_the_answer_away():
    with pytest.raises(CheckFailed) as failure:
        expect_answer("d", "a", REASONS, "reason")
    message = str(failure.value)
    assert message.startswith("`reason` = 'd' is not right.") and "try again" in message
    assert "'a'" not in message
    with pytest.raises(CheckFailed, match="is not right"):
        expect_answer(["a"], "a", REASONS, "reason")  # unhashable: no explanation can match it


def test_expect_answer_never_uses_the_correct_options_explanation():
    # The truth is computed at run time: explain both options, only the wrong one is ever shown.
    both = {True: "It is True only on 3.12+.", False: "It is False only before 3.12."}
    expect_answer(True, True, both, "warns")
    with pytest.raises(CheckFailed, match=r"only before 3\.12"):
        expect_answer(False, True, both, "warns")


def test_expect_answer_with_choices_checks_the_format_first():
    with pytest.raises(CheckFailed) as failure:
        expect_answer("z", "a", {"z": "never shown: 'z' is not an option"}, "reason")
    assert "never shown" in str(failure.value)  # without choices, any explained value is explained
    with pytest.raises(CheckFailed) as failure:
        expect_answer("z", "a", REASONS, "reason", choices="abcd")
    assert str(failure.value) == "`reason` should be one of 'a', 'b', 'c', 'd', not 'z'."


def test_expect_answer_treats_an_incomparable_value_as_wrong():
    class Weird:
        def __eq__(self, other):
            raise RuntimeError("cannot compare")

        __hash__ = object.__hash__

    with pytest.raises(CheckFailed, match="is not right"):
        expect_answer(Weird(), "a", REASONS, "reason")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"explanations": [("b", "why")]}, TypeError, "map options"),
        ({"explanations": {"b": ""}}, ValueError, "non-empty"),
        ({"explanations": {"b": None}}, ValueError, "non-empty"),
        ({"name": ""}, ValueError, "name the variable"),
        ({"name": None}, ValueError, "name the variable"),
        ({"choices": "bcd"}, ValueError, "correct answer 'a' is not one of"),
        ({"explanations": {"e": "why"}, "choices": "abcd"}, ValueError, "not among the choices"),
    ],
)
def test_expect_answer_rejects_authoring_mistakes(kwargs, error, match):
    arguments = {"value": "a", "correct": "a", "explanations": REASONS, "name": "reason", **kwargs}
    with pytest.raises(error, match=match):
        expect_answer(**arguments)  # rejected even when the learner's answer is right


# --- passed --------------------------------------------------------------------------------------


def test_passed_prints_one_stable_line(capsys):
    passed("Task 1", "a Lock blocks even its own holder.")
    passed("Task 1", "a Lock blocks even its own holder.")
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["✔ Task 1 passed: a Lock blocks even its own holder."] * 2
