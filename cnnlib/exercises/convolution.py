"""Instant feedback for the exercises of Chapter 2 (convolution).

Every expected value below was worked out by hand or comes from NumPy/SciPy
(independent of the learner's code and of :mod:`cnnlib.course.signal1d`);
``tests/test_checks_convolution.py`` re-derives the hand-worked ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import signal

from . import Case, run_cases, same

__all__ = [
    "check_convolve2d_via_flip",
    "check_correlate_valid",
    "check_hand_computation",
    "check_output_length",
]


def check_output_length(fn: Callable[[int, int, str], int]) -> bool:
    """Check ``fn(n_x, n_k, mode)``: how many values ``np.convolve`` returns.

    Parameters
    ----------
    fn : callable
        The learner's function of two lengths and a mode ("full", "same" or
        "valid").

    Returns
    -------
    bool
        True if every case passes.
    """
    swap_hint = ("np.convolve does not care which input is longer (convolution "
                 "commutes): use max(n_x, n_k) and min(n_x, n_k)")
    return run_cases(fn, [
        Case("n_x=8, n_k=3, full: every shift with any overlap", args=(8, 3, "full"),
             expected=10, hint="full: n_x + n_k - 1 shifts overlap by at least one sample"),
        Case("n_x=8, n_k=3, same", args=(8, 3, "same"), expected=8,
             hint="same: as long as the longer input"),
        Case("n_x=8, n_k=3, valid: kernel entirely inside", args=(8, 3, "valid"), expected=6,
             hint="valid: the kernel can start at positions 0 .. n_x - n_k"),
        Case("n_x=5, n_k=5, valid", args=(5, 5, "valid"), expected=1,
             hint="equal lengths fit in exactly one position"),
        Case("n_x=1, n_k=4, full", args=(1, 4, "full"), expected=4, hint=swap_hint),
        Case("n_x=3, n_k=7, same (kernel longer than signal)", args=(3, 7, "same"),
             expected=7, hint=swap_hint),
        Case("n_x=3, n_k=7, valid (kernel longer than signal)", args=(3, 7, "valid"),
             expected=5, hint=swap_hint),
    ], name="output_length")


def check_hand_computation(convolution: Sequence[float], correlation: Sequence[float]) -> bool:
    """Check the hand-worked full convolution and correlation of x=[1, 2, 3], k=[2, 1, -1].

    Parameters
    ----------
    convolution, correlation : sequence of numbers
        The learner's answers (lists or arrays of 5 numbers).

    Returns
    -------
    bool
        True if both answers are right.
    """
    answers = {"convolution": convolution, "correlation": correlation}

    def answer(which: str) -> Any:
        return np.asarray(answers[which])

    return run_cases(answer, [
        # y[n] = sum_m x[m] k[n - m]: 1*2 | 1*1 + 2*2 | 1*(-1) + 2*1 + 3*2 | 2*(-1) + 3*1 | 3*(-1)
        Case("convolution of [1, 2, 3] with [2, 1, -1], full", args=("convolution",),
             expected=np.array([2.0, 5.0, 7.0, 1.0, -3.0]),
             hint="convolution flips k: y[0] = x[0]*k[0], y[1] = x[0]*k[1] + x[1]*k[0], ..."),
        # the same with k reversed, [-1, 1, 2]
        Case("cross-correlation of [1, 2, 3] with [2, 1, -1], full", args=("correlation",),
             expected=np.array([-1.0, -1.0, 1.0, 7.0, 6.0]),
             hint="correlation does not flip k: at the first shift only k's LAST entry "
                  "overlaps x[0], so the first value is x[0]*k[2]"),
    ], name="hand computation")


def check_correlate_valid(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> bool:
    """Check ``fn(x, k)``: the 'valid' cross-correlation of two 1-D arrays.

    The expected values are hand-worked or come from ``np.correlate(x, k, "valid")``.

    Parameters
    ----------
    fn : callable
        The learner's function; ``x`` is at least as long as ``k``.

    Returns
    -------
    bool
        True if every case passes.
    """
    rng = np.random.default_rng(20)
    x_rand, k_rand = rng.normal(size=11), rng.normal(size=4)
    return run_cases(fn, [
        Case("x=[1, 2, 3, 4], k=[1, -1]", args=(np.array([1.0, 2, 3, 4]), np.array([1.0, -1])),
             expected=np.array([-1.0, -1.0, -1.0]),
             hint="no flip: output j is x[j]*k[0] + x[j+1]*k[1] + ..., and there are "
                  "len(x) - len(k) + 1 outputs"),
        Case("x=[0, 1, 0, 0, 2], k=[1, 2] (not symmetric)",
             args=(np.array([0.0, 1, 0, 0, 2]), np.array([1.0, 2])),
             expected=np.array([2.0, 1.0, 0.0, 4.0]),
             hint="did you flip k? That would be a convolution, not a correlation"),
        Case("kernel as long as the signal: one dot product",
             args=(np.array([1.0, 2, 3]), np.array([4.0, 5, 6])), expected=np.array([32.0]),
             hint="when len(k) == len(x) there is exactly one position"),
        Case("kernel of length 1 scales the signal",
             args=(np.array([1.0, 2, 3]), np.array([2.0])), expected=np.array([2.0, 4.0, 6.0])),
        Case("random x (11 values) and k (4 values)", args=(x_rand, k_rand),
             expected=np.correlate(x_rand, k_rand, "valid")),
    ], name="correlate_valid")


def _float32_close(got: Any, expected: Any) -> bool:
    """Float32 results carry ~1e-7 relative rounding error; allow for it."""
    return same(got, expected, rtol=1e-4, atol=1e-5)


def check_convolve2d_via_flip(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> bool:
    """Check ``fn(image, kernel)``: true 2-D convolution ('valid') of 2-D arrays.

    The expected values come from ``scipy.signal.convolve2d(image, kernel, "valid")``
    or are hand-worked.

    Parameters
    ----------
    fn : callable
        The learner's function of a 2-D image and a smaller 2-D kernel.

    Returns
    -------
    bool
        True if every case passes.
    """
    rng = np.random.default_rng(21)
    img_a, ker_a = rng.normal(size=(6, 7)), rng.normal(size=(3, 3))
    img_b, ker_b = rng.normal(size=(5, 5)), rng.normal(size=(2, 3))
    img_c = rng.normal(size=(4, 6)).astype(np.float32)
    ker_c = rng.normal(size=(1, 3)).astype(np.float32)
    grid = np.arange(1.0, 10.0).reshape(3, 3)
    corner = np.array([[0.0, 0.0], [0.0, 1.0]])
    flip_hint = ("a deep-learning conv2d does not flip the kernel; flip it yourself along "
                 "BOTH axes (kernel[::-1, ::-1]) before calling it")
    return run_cases(fn, [
        # flipped, the kernel [[0, 0], [0, 1]] becomes [[1, 0], [0, 0]]: every
        # window contributes its top-left pixel
        Case("3x3 image 1..9, kernel [[0, 0], [0, 1]]", args=(grid, corner),
             expected=np.array([[1.0, 2.0], [4.0, 5.0]]), hint=flip_hint),
        Case("6x7 image, 3x3 kernel", args=(img_a, ker_a),
             expected=signal.convolve2d(img_a, ker_a, mode="valid"), hint=flip_hint),
        Case("5x5 image, 2x3 kernel", args=(img_b, ker_b),
             expected=signal.convolve2d(img_b, ker_b, mode="valid"),
             hint="output shape is (H - kh + 1, W - kw + 1); return a 2-D array, "
                  "e.g. out[0, 0] of conv2d's 4-D result"),
        Case("4x6 float32 image, 1x3 kernel", args=(img_c, ker_c),
             expected=signal.convolve2d(img_c, ker_c, mode="valid"),
             hint="reshape the image to (1, 1, H, W) and the kernel to (1, 1, kh, kw)",
             compare=_float32_close),
    ], name="convolve2d_via_flip")
