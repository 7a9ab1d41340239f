"""Instant feedback for the exercise of "How the notebooks in this course work".

Every expected value was worked out by hand; the comments show the working.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import Case, run_cases

__all__ = ["check_window_maxima"]

_COUNT_HINT = ("a window of length k fits at len(x) - k + 1 starting positions "
               "0, 1, ..., len(x) - k: include the last one")


def check_window_maxima(fn: Callable) -> bool:
    """Check a learner's ``window_maxima(x, k)``: the largest value of every length-``k`` window.

    The window starts at position 0 and moves one step at a time until its
    last value is the last value of ``x``.

    Parameters
    ----------
    fn : callable(x, k) -> ndarray
        ``x`` a 1-D float array, ``k`` an int with ``1 <= k <= len(x)``;
        returns a 1-D array of ``len(x) - k + 1`` maxima.

    Returns
    -------
    bool
        True if every case passes.
    """
    def arr(*values: float) -> np.ndarray:
        return np.array(values, dtype=float)

    return run_cases(fn, [
        # windows [1,3] [3,2] [2,5] [5,4]
        Case("x=[1, 3, 2, 5, 4], k=2", args=(arr(1, 3, 2, 5, 4), 2),
             expected=arr(3, 3, 5, 5), hint=_COUNT_HINT),
        # the spike at position 2 lies in all three windows of length 3
        Case("x=[0, 0, 3, 0, 0], k=3 (a spike)", args=(arr(0, 0, 3, 0, 0), 3),
             expected=arr(3, 3, 3), hint="take the largest value, not the mean or the sum"),
        # windows [5,4,3] [4,3,2] [3,2,1]
        Case("x=[5, 4, 3, 2, 1], k=3 (decreasing)", args=(arr(5, 4, 3, 2, 1), 3),
             expected=arr(5, 4, 3), hint=_COUNT_HINT),
        # one window; every value is negative, so the answer is below 0
        Case("x=[-1, -5, -2], k=3 (all negative)", args=(arr(-1, -5, -2), 3), expected=arr(-1),
             hint="start each window's maximum from its first value, not from 0: "
                  "values can be negative"),
        # k=1: every value is its own window
        Case("k=1 returns x unchanged", args=(arr(4, 0, 4, 0), 1), expected=arr(4, 0, 4, 0),
             hint="with k=1 each window holds exactly one value"),
    ], name="window_maxima")
