"""Instant feedback for the exercises of chapter 3 (filters and feature maps).

Each ``check_*`` function runs the learner's answer on cases whose right
answers were worked out by hand (or come from :func:`cnnlib.reference.conv2d`,
the readable loop the test suite checks against hand-worked examples and
SciPy), prints one line per case, and returns True if all pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import reference
from . import Case, run_cases

__all__ = [
    "ACTIVATION_EXAMPLE",
    "check_activation",
    "check_weight_count",
    "check_45_degree_filter",
    "check_conv_by_channel",
]

# The patch, filter and bias of the "compute one activation by hand" exercise.
# By hand: channel 0 gives 1*1 + 2*0 + 0*(-1) + 1*1 = 2, channel 1 gives
# 0*0 + 1*2 + 3*1 + 1*0 = 5, channel 2 gives 2*(-1) + 0*1 + 1*1 + 1*1 = 0; plus bias -1: 6.
ACTIVATION_EXAMPLE = {
    "patch": np.array([[[1, 2], [0, 1]],
                       [[0, 1], [3, 1]],
                       [[2, 0], [1, 1]]], dtype=np.float64),
    "weight": np.array([[[1, 0], [-1, 1]],
                        [[0, 2], [1, 0]],
                        [[-1, 1], [1, 1]]], dtype=np.float64),
    "bias": -1.0,
    "answer": 6.0,
}


def check_activation(fn: Callable) -> bool:
    """Check ``activation(patch, weight, bias) -> float``: one output value of a filter.

    ``patch`` and ``weight`` have the same shape ``(C, kh, kw)``; the answer is
    ``sum(patch * weight) + bias``.
    """
    ex = ACTIVATION_EXAMPLE
    line = np.array([[[0, 0, 0], [1, 1, 1], [0, 0, 0]]], dtype=float)
    horizontal = np.array([[[-1, -1, -1], [2, 2, 2], [-1, -1, -1]]], dtype=float)
    strip = np.array([[[1, 2, 3]], [[4, 5, 6]], [[7, 8, 9]]], dtype=float)  # 3 channels, 1x3
    ones = np.ones((3, 1, 3))
    return run_cases(fn, [
        Case("the exercise's 3-channel 2x2 patch (by hand: 2 + 5 + 0 - 1)",
             args=(ex["patch"], ex["weight"], ex["bias"]), expected=ex["answer"],
             hint="multiply the patch and the filter elementwise, add up ALL the products "
                  "(every channel), then add the bias once"),
        Case("a horizontal line under a horizontal-line filter, bias 0 (by hand: 2 + 2 + 2)",
             args=(line, horizontal, 0.0), expected=6.0),
        Case("a flat patch under the same filter, bias 0.5 (weights sum to 0: only the bias is left)",
             args=(np.full((1, 3, 3), 0.7), horizontal, 0.5), expected=0.5),
        Case("a non-square 1x3 filter on 3 channels, bias 2 (by hand: 6 + 15 + 24 + 2)",
             args=(strip, ones, 2.0), expected=47.0),
    ], name="activation")


def check_weight_count(fn: Callable) -> bool:
    """Check ``weight_count(in_channels, out_channels, kernel_size, bias=True) -> int``.

    ``kernel_size`` is an int (square) or a ``(kh, kw)`` pair; the count is
    ``out_channels * (in_channels * kh * kw + (1 if bias else 0))``.
    """
    return run_cases(fn, [
        Case("one 3x3 filter on RGB: 27 weights + 1 bias", args=(3, 1, 3), expected=28,
             hint="each filter spans ALL input channels: in_channels * kh * kw weights, plus one bias"),
        Case("the guide's bank: 96 filters, 3x3, on RGB", args=(3, 96, 3), expected=2688,
             hint="each of the out_channels filters has its own weights and its own bias"),
        Case("AlexNet's first layer: 96 filters, 11x11, on RGB", args=(3, 96, 11), expected=34944),
        Case("8 filters, 5x5, on a greyscale image, no bias", args=(1, 8, 5), kwargs={"bias": False},
             expected=200, hint="with bias=False there is no extra parameter per filter"),
        Case("16 filters of 3x5 on 8 input maps", args=(8, 16, (3, 5)), expected=1936,
             hint="kernel_size may be a (kh, kw) pair: filters need not be square"),
    ], name="weight_count")


# 3x3 test patterns for the 45-degree line detector: 1 = bright, 0 = dark.
_SLASH = np.fliplr(np.eye(3))          # "/": the 45-degree line rising to the right
_BACKSLASH = np.eye(3)                 # "\"
_HORIZONTAL = np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0]], dtype=float)
_VERTICAL = _HORIZONTAL.T.copy()
_FLAT = np.ones((3, 3))


def check_45_degree_filter(kernel) -> bool:
    """Check a 3x3 kernel meant to detect a bright 45-degree line ``/`` (rising to the right).

    It must score a ``/`` line higher than a ``\\`` line, a horizontal and a
    vertical line, and score 0 on a flat patch (weights summing to zero), so
    that brightness alone does not look like a line.
    """
    k = np.asarray(kernel, dtype=float)

    def score(patch):
        return float(np.sum(patch * k))

    def claim(what: str) -> bool:
        if k.shape != (3, 3):
            raise ValueError(f"the kernel must have shape (3, 3), got {k.shape}")
        if what == "flat":
            return abs(score(_FLAT)) < 1e-9
        return score(_SLASH) > score({"backslash": _BACKSLASH, "horizontal": _HORIZONTAL,
                                      "vertical": _VERTICAL}[what])

    return run_cases(claim, [
        Case("a '/' line scores higher than a '\\' line", args=("backslash",), expected=True,
             hint="row 0 is the TOP of the image: '/' runs from the bottom-left cell (2, 0) "
                  "through the centre to the top-right cell (0, 2)"),
        Case("a '/' line scores higher than a horizontal line", args=("horizontal",), expected=True),
        Case("a '/' line scores higher than a vertical line", args=("vertical",), expected=True),
        Case("a flat patch scores 0 (the weights sum to zero)", args=("flat",), expected=True,
             hint="make the weights off the line negative so that all nine add up to 0"),
    ], name="45-degree filter")


def check_conv_by_channel(fn: Callable) -> bool:
    """Check ``conv_by_channel(x, weight, stride=1, padding=0)``: a convolution built
    from single-channel convolutions, one per (filter, channel) pair, summed over channels.

    Expected values come from :func:`cnnlib.reference.conv2d`.
    """
    rng = np.random.default_rng(3)

    def ints(*shape):
        return rng.integers(-2, 3, size=shape).astype(np.float64)

    cases = []
    for description, xs, ws, stride, padding in [
        ("1 image, 3 channels 6x6, one 3x3 filter", (1, 3, 6, 6), (1, 3, 3, 3), 1, 0),
        ("2 images, 3 channels 7x7, two 3x3 filters, stride 2, padding 1", (2, 3, 7, 7), (2, 3, 3, 3), 2, 1),
        ("1 image, 4 channels 5x6, three non-square 2x3 filters", (1, 4, 5, 6), (3, 4, 2, 3), 1, 0),
        ("1 image, 1 channel 4x4, one 3x3 filter, padding 1", (1, 1, 4, 4), (1, 1, 3, 3), 1, 1),
    ]:
        x, w = ints(*xs), ints(*ws)
        cases.append(Case(description, args=(x, w), kwargs={"stride": stride, "padding": padding},
                          expected=reference.conv2d(x, w, stride=stride, padding=padding),
                          hint="for each filter f, add up cnnlib.conv2d(x[:, c:c+1], weight[f:f+1, c:c+1]) "
                               "over the channels c; stack the F results along axis 1"))
    return run_cases(fn, cases, name="conv_by_channel")
