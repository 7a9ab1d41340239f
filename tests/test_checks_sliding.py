"""cnnlib.exercises.sliding (chapter 0's exercise): a correct window_maxima passes, plausible bugs fail."""

from __future__ import annotations

import inspect

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnlib.exercises import sliding
from cnnlib.exercises.sliding import check_window_maxima


def reference(x, k):
    # Independent of the hand-worked expectations: NumPy's own window view.
    return sliding_window_view(np.asarray(x, dtype=float), k).max(axis=1)


def loop_version(x, k):
    out = []
    for i in range(len(x) - k + 1):
        best = x[i]
        for value in x[i + 1:i + k]:
            best = max(best, value)
        out.append(best)
    return np.array(out)


def test_correct_implementations_pass(capsys):
    assert check_window_maxima(reference) is True
    assert check_window_maxima(loop_version) is True
    assert "window_maxima: all 5 cases pass." in capsys.readouterr().out


def test_every_hand_worked_case_agrees_with_the_independent_reference():
    seen = []

    def spy(x, k):
        seen.append(k)
        return reference(x, k)

    assert check_window_maxima(spy) is True
    assert len(seen) == 5  # every case was compared against the reference


def test_starting_the_maximum_at_zero_fails_with_the_negative_values_hint(capsys):
    def from_zero(x, k):
        return np.array([max(0.0, *x[i:i + k]) for i in range(len(x) - k + 1)])

    assert check_window_maxima(from_zero) is False
    assert "Hint: start each window's maximum from its first value" in capsys.readouterr().out


def test_missing_the_last_window_fails(capsys):
    def one_short(x, k):
        return np.array([x[i:i + k].max() for i in range(len(x) - k)])

    assert check_window_maxima(one_short) is False
    assert "Hint: a window of length k fits at len(x) - k + 1" in capsys.readouterr().out


def test_mean_instead_of_max_fails(capsys):
    def means(x, k):
        return sliding_window_view(x, k).mean(axis=1)

    assert check_window_maxima(means) is False
    assert "4 of 5" not in capsys.readouterr().out  # fails more than one case


def test_unfinished_attempt_fails_without_crashing(capsys):
    def window_maxima(x, k):
        ...

    assert check_window_maxima(window_maxima) is False
    assert "got None" in capsys.readouterr().out


def test_module_documents_its_checks():
    assert sliding.__all__ == ["check_window_maxima"]
    assert "Parameters" in inspect.getdoc(check_window_maxima)
