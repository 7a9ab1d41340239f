"""The exercise-check runner (cnnlib.exercises): right answers pass, wrong ones fail, nothing crashes."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlib.exercises import Case, run_cases, same


def add(a, b):
    return a + b


ADD_CASES = [
    Case("2 + 3", args=(2, 3), expected=5, hint="add the two numbers"),
    Case("-1 + 1", args=(-1, 1), expected=0, hint="negative numbers too"),
    Case("b as a keyword", args=(4,), kwargs={"b": 6}, expected=10),
]


def test_correct_function_passes_every_case(capsys):
    assert run_cases(add, ADD_CASES) is True
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["  PASS  2 + 3", "  PASS  -1 + 1", "  PASS  b as a keyword",
                     "add: all 3 cases pass."]


def test_wrong_function_fails_with_expected_got_and_first_hint(capsys):
    def subtract(a, b):
        return a - b

    assert run_cases(subtract, ADD_CASES, name="add") is False
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "  FAIL  2 + 3: expected 5, got -1"
    assert lines[1] == "  FAIL  -1 + 1: expected 0, got -2"
    assert lines[2] == "  FAIL  b as a keyword: expected 10, got -2"
    # Only the first failing case's hint is shown.
    assert lines[3] == "add: 0 of 3 cases pass. Hint: add the two numbers"


def test_partly_wrong_function_reports_the_count_and_its_first_failure_hint(capsys):
    def add_abs(a, b):
        return abs(a) + abs(b)  # right for non-negative inputs only

    assert run_cases(add_abs, ADD_CASES) is False
    out = capsys.readouterr().out
    assert "  PASS  2 + 3\n" in out and "  FAIL  -1 + 1: expected 0, got 2\n" in out
    assert out.rstrip().endswith("add_abs: 2 of 3 cases pass. Hint: negative numbers too")


def test_exceptions_are_reported_per_case_and_never_raised(capsys):
    def fragile(a, b):
        if a < 0:
            raise ValueError("negative input")
        return a + b

    assert run_cases(fragile, ADD_CASES) is False
    out = capsys.readouterr().out
    assert "  FAIL  -1 + 1: raised ValueError: negative input\n" in out
    assert "  PASS  2 + 3\n" in out and "  PASS  b as a keyword\n" in out  # later cases still run


def test_unfinished_function_returning_none_fails_cleanly(capsys):
    def unfinished(a, b):
        ...

    assert run_cases(unfinished, ADD_CASES[:1]) is False
    assert "expected 5, got None" in capsys.readouterr().out


def test_answer_of_a_type_that_cannot_be_compared_is_a_failure(capsys):
    def wrong_type(x):
        return ["a", "b"]  # strings where numbers are expected: allclose would raise

    assert run_cases(wrong_type, [Case("array", args=(1,), expected=np.array([1.0, 2.0]))]) is False
    assert "  FAIL  array: expected [1., 2.], got ['a', 'b']" in capsys.readouterr().out


def test_custom_comparison_is_used(capsys):
    def roughly(got, expected):
        return abs(got - expected) < 0.5

    cases = [Case("close enough", args=(1, 1.3), expected=2, compare=roughly)]
    assert run_cases(add, cases) is True
    assert run_cases(add, [Case("too far", args=(1, 2), expected=2, compare=roughly)]) is False


def test_a_non_function_is_a_type_error_for_the_author():
    with pytest.raises(TypeError, match="expected a function"):
        run_cases(42, ADD_CASES)


def test_large_values_are_summarised(capsys):
    def zeros(n):
        return np.zeros((n, n))

    run_cases(zeros, [Case("big", args=(10,), expected=np.ones((10, 10)))])
    assert "expected array of shape (10, 10), dtype float64, got array of shape (10, 10)" \
        in capsys.readouterr().out


# --- same(): the default comparison --------------------------------------------

@pytest.mark.parametrize("got, expected, result", [
    (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]), True),    # float tolerance
    (np.array([1.0, 2.0]), np.array([1.0, 2.1]), False),
    (np.array([1.0, 2.0]), np.array([[1.0, 2.0]]), False),          # shape matters
    ([1.0, 2.0], np.array([1.0, 2.0]), True),                       # a list is accepted
    (np.array([1, 2]), np.array([1, 2]), True),                     # integers exactly
    (np.array([1, 3]), np.array([1, 2]), False),
    (np.array([np.nan]), np.array([np.nan]), True),                 # NaN where NaN is due
    (0.1 + 0.2, 0.3, True),                                         # floats: isclose
    (np.float32(0.1), 0.1, True),                                   # NumPy scalars too
    (0.31, 0.3, False),
    (3, 3, True),
    ("3", 3, False),
    ((1, 2.0000001), (1, 2.0), True),                              # tuples elementwise
    ((1, 2), (1, 2, 3), False),
    (None, 1.0, False),
])
def test_same(got, expected, result):
    assert same(got, expected) is result
