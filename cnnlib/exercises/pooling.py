"""Instant feedback for the exercises of the chapter on pooling.

Every expected value is worked out by hand (the comments show how) or is a
closed form; the test suite also checks them against :mod:`cnnlib`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import Case, run_cases

__all__ = [
    "HAND_GRID",
    "check_avg_pool_weight",
    "check_by_hand",
    "check_max_pool_2x2",
    "check_max_pool_2x2_backward",
    "check_pool_output_size",
]

HAND_GRID = np.array([[2, 0, 1, 7],
                      [5, 3, 8, 2],
                      [1, 9, 4, 4],
                      [6, 0, 3, 2]], dtype=np.float64)
"""The 4x4 map of the by-hand exercise."""
HAND_GRID.setflags(write=False)

# Worked by hand from HAND_GRID:
#   2x2 windows, stride 2: {2,0,5,3} {1,7,8,2} {1,9,6,0} {4,4,3,2}
#   maxima 5, 8, 9, 4 (the last window ties: 4 and 4, the value is 4 either way)
#   sums 10, 18, 16, 13 -> means 2.5, 4.5, 4.0, 3.25
#   3x3 windows, stride 1 (overlapping): all four contain the 9 at (2, 1)
_HAND_ANSWERS = {
    "max pool 2x2, stride 2": np.array([[5.0, 8.0], [9.0, 4.0]]),
    "avg pool 2x2, stride 2": np.array([[2.5, 4.5], [4.0, 3.25]]),
    "max pool 3x3, stride 1": np.array([[9.0, 9.0], [9.0, 9.0]]),
}
_HAND_HINTS = {
    "max pool 2x2, stride 2": "cut the 4x4 map into four 2x2 blocks that do not overlap, "
                              "and keep the largest number of each block, in place",
    "avg pool 2x2, stride 2": "add the four numbers of each 2x2 block and divide by 4",
    "max pool 3x3, stride 1": "a 3x3 window moving one step at a time fits twice across and "
                              "twice down, so the output is 2x2; the windows overlap",
}


def check_by_hand(answers: dict) -> bool:
    """Check a learner's hand-computed poolings of :data:`HAND_GRID`.

    Parameters
    ----------
    answers : dict
        Keys ``"max pool 2x2, stride 2"``, ``"avg pool 2x2, stride 2"`` and
        ``"max pool 3x3, stride 1"``; values 2x2 arrays or nested lists.
    """
    if not isinstance(answers, dict):
        raise TypeError(f"answers must be a dict {{question: 2x2 array}}, got {type(answers).__name__}")

    def lookup(question):
        if question not in answers:
            raise KeyError(f"no answer for {question!r}")
        return np.asarray(answers[question], dtype=np.float64)

    return run_cases(lookup, [
        Case(question, args=(question,), expected=expected, hint=_HAND_HINTS[question])
        for question, expected in _HAND_ANSWERS.items()
    ], name="pooling by hand")


def check_max_pool_2x2(fn: Callable) -> bool:
    """Check a learner's ``max_pool_2x2(x)``: 2x2 max pooling, stride 2, of an (N, C, H, W) batch.

    An odd last row or column is dropped, as ``cnnlib.max_pool2d(x, 2)``
    (and PyTorch) do.
    """
    # (1, 1, 4, 4): the chapter's worked example, windows maxima 6, 5, 7, 9
    x1 = np.array([[1, 3, 2, 1], [4, 6, 5, 0], [7, 2, 3, 9], [0, 1, 4, 8]], dtype=np.float64)
    y1 = np.array([[6.0, 5.0], [7.0, 9.0]])
    # two channels: the second is minus the first, so its maxima are minus the
    # window minima 1, 0, 0, 3 of x1 -- and negative values must survive
    x2 = np.stack([x1, -x1])[None]
    y2 = np.stack([y1, -np.array([[1.0, 0.0], [0.0, 3.0]])])[None]
    # 5x5 ramp 0..24: the last row and column are dropped; maxima at the
    # bottom-right of each window: 6, 8 / 16, 18
    x3 = np.arange(25, dtype=np.float64).reshape(1, 1, 5, 5)
    y3 = np.array([[[[6.0, 8.0], [16.0, 18.0]]]])
    # (2, 1, 2, 6): a batch of two; one window per 2x2 block along a wide row
    x4 = np.array([[[[0, 1, 5, 2, 9, 9], [3, 2, 4, 4, 1, 0]]],
                   [[[7, 7, 0, 0, -1, -2], [7, 7, 0, 0, -3, -4]]]], dtype=np.float64)
    y4 = np.array([[[[3.0, 5.0, 9.0]]], [[[7.0, 0.0, -1.0]]]])
    reshape_hint = ("reshape (N, C, H, W) to (N, C, H//2, 2, W//2, 2) and take the max over "
                    "axes 3 and 5")
    return run_cases(fn, [
        Case("4x4 worked example", args=(x1[None, None],), expected=y1[None, None],
             hint=reshape_hint),
        Case("two channels, one of them negative", args=(x2,), expected=y2,
             hint="take the max of each window as it is: do not clip negative values, "
                  "and keep channels apart"),
        Case("5x5 input: the odd last row and column are dropped", args=(x3,), expected=y3,
             hint="crop to even size first: x[:, :, :H - H % 2, :W - W % 2]"),
        Case("a batch of two 2x6 maps", args=(x4,), expected=y4, hint=reshape_hint),
    ], name="max_pool_2x2")


def check_max_pool_2x2_backward(fn: Callable) -> bool:
    """Check a learner's ``max_pool_2x2_backward(grad_out, x) -> grad_x`` (2x2, stride 2).

    Each window's gradient goes to the position of its maximum, the first
    one in row-major order on a tie; every other input gets 0.
    """
    x1 = np.array([[1, 3, 2, 1], [4, 6, 5, 0], [7, 2, 3, 9], [0, 1, 4, 8]],
                  dtype=np.float64)[None, None]
    g1 = np.array([[1.0, 2.0], [3.0, 4.0]])[None, None]
    # maxima 6 at (1, 1), 5 at (1, 2), 7 at (2, 0), 9 at (2, 3)
    e1 = np.zeros((1, 1, 4, 4))
    e1[0, 0, 1, 1], e1[0, 0, 1, 2], e1[0, 0, 2, 0], e1[0, 0, 2, 3] = 1, 2, 3, 4
    # ties: [[3, 3], [3, 3]] -> top-left; [[0, 5], [5, 1]] -> (0, 1), not (1, 0)
    x2 = np.array([[3, 3, 0, 5], [3, 3, 5, 1]], dtype=np.float64)[None, None]
    g2 = np.array([[10.0, 20.0]])[None, None]
    e2 = np.array([[10.0, 0, 0, 20], [0, 0, 0, 0]])[None, None]
    # all-negative windows: the max is the least negative value, and it gets the gradient
    x3 = np.array([[-5, -1, -2, -2], [-3, -4, -9, -3]], dtype=np.float64)[None, None]
    g3 = np.array([[1.0, -1.0]])[None, None]
    e3 = np.array([[0.0, 1, -1, 0], [0, 0, 0, 0]])[None, None]
    # 3x3 input: the last row and column belong to no window and get 0
    x4 = np.array([[0, 1, 9], [2, 0, 9], [9, 9, 9]], dtype=np.float64)[None, None]
    g4 = np.array([[5.0]])[None, None]
    e4 = np.array([[0, 0, 0], [5.0, 0, 0], [0, 0, 0]])[None, None]
    return run_cases(fn, [
        Case("4x4 worked example, upstream gradient [[1, 2], [3, 4]]", args=(g1, x1), expected=e1,
             hint="grad_x is zero except at each window's maximum, which receives that "
                  "window's grad_out value"),
        Case("ties go to the first maximum in row-major order", args=(g2, x2), expected=e2,
             hint="a mask x == max sends the gradient to every tied position; keep only "
                  "the first one (e.g. with np.argmax on each flattened window)"),
        Case("all-negative windows", args=(g3, x3), expected=e3,
             hint="the winner is the largest value even if it is negative: compare with "
                  "the window's max, not with 0"),
        Case("3x3 input: the row and column no window covers", args=(g4, x4), expected=e4,
             hint="grad_x has x's shape; pixels outside every window get 0"),
    ], name="max_pool_2x2_backward")


def check_pool_output_size(fn: Callable) -> bool:
    """Check a learner's ``pool_output_size(n, k, s=None)``: window positions along one axis.

    ``s=None`` means the stride equals the kernel size (non-overlapping
    windows), as in ``cnnlib.max_pool2d`` and PyTorch. No padding.
    """
    floor_hint = ("count the window positions: (n - k) // s + 1; leftover pixels that do "
                  "not fill a whole window are dropped")
    return run_cases(fn, [
        # 4 = 2 + 2
        Case("n=4, k=2 (default stride)", args=(4, 2), expected=2,
             hint="with s=None the stride is k"),
        # (5 - 2) // 2 + 1 = 2: the fifth pixel is dropped
        Case("n=5, k=2 (default stride)", args=(5, 2), expected=2, hint=floor_hint),
        # (7 - 3) // 2 + 1 = 3
        Case("n=7, k=3, s=2 (overlapping windows)", args=(7, 3, 2), expected=3, hint=floor_hint),
        # AlexNet's overlapping pooling: (55 - 3) // 2 + 1 = 27
        Case("n=55, k=3, s=2 (AlexNet)", args=(55, 3, 2), expected=27, hint=floor_hint),
        # (10 - 2) // 3 + 1 = 3: windows at 0, 3, 6; gaps between windows
        Case("n=10, k=2, s=3 (stride larger than the window)", args=(10, 2, 3), expected=3,
             hint=floor_hint),
        # (6 - 3) // 1 + 1 = 4: stride 1 slides one pixel at a time
        Case("n=6, k=3, s=1 (stride 1)", args=(6, 3, 1), expected=4, hint=floor_hint),
        # 224 / 2 = 112
        Case("n=224, k=2, s=2", args=(224, 2, 2), expected=112, hint=floor_hint),
        # a window as large as the input: one position (global pooling)
        Case("n=7, k=7 (global pooling)", args=(7, 7), expected=1, hint=floor_hint),
    ], name="pool_output_size")


def check_avg_pool_weight(fn: Callable) -> bool:
    """Check a learner's ``avg_pool_weight(channels, k)``: a conv weight equal to average pooling.

    With stride ``k`` and no bias, ``cnnlib.conv2d(x, avg_pool_weight(C, k), stride=k)``
    must equal ``cnnlib.avg_pool2d(x, k)``: filter ``c`` averages channel
    ``c`` only, so the weight is ``1/k**2`` on ``weight[c, c]`` and 0 elsewhere.
    """
    def expected(c: int, k: int) -> np.ndarray:
        w = np.zeros((c, c, k, k))
        for i in range(c):
            w[i, i] = 1.0 / (k * k)
        return w

    channel_hint = ("pooling never mixes channels: filter c must read channel c only, so "
                    "weight[c, d] is zero for d != c")
    return run_cases(fn, [
        Case("1 channel, 2x2", args=(1, 2), expected=expected(1, 2),
             hint="each of the k*k weights is 1/k**2, so the dot product is the mean"),
        Case("3 channels, 2x2", args=(3, 2), expected=expected(3, 2), hint=channel_hint),
        Case("2 channels, 3x3", args=(2, 3), expected=expected(2, 3), hint=channel_hint),
    ], name="avg_pool_weight")
