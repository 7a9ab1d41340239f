"""Instant feedback for the exercises of chapter 1 (tensors, layouts, memory).

Each ``check_*`` function runs the learner's answer on cases whose right
answers are known independently of the learner's code (worked by hand, or
observed directly from NumPy: an array's real strides, whether two arrays
really share memory), prints one line per case and returns True if all pass.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from . import Case, run_cases

__all__ = [
    "ORDER_QUESTIONS",
    "COPY_QUESTIONS",
    "check_orders",
    "check_red_at",
    "check_contiguous_strides",
    "check_copies",
    "check_nhwc_to_nchw",
]

# What the learner is asked about -> (order, shape), worked out by hand.
ORDER_QUESTIONS: dict[str, tuple[int, tuple[int, ...]]] = {
    "the number 7": (0, ()),
    "[7, 8, 9]": (1, (3,)),
    "[[1, 2], [5, 8]]": (2, (2, 2)),
    "[[[2, 3], [3, 5], [4, 7]], [[3, 4], [4, 6], [5, 8]]]": (3, (2, 3, 2)),
    "the photo as loaded (height, width, channels)": (3, (600, 512, 3)),
    "the photo's red channel": (2, (600, 512)),
    "the colour of one pixel of the photo": (1, (3,)),
    "a batch of 16 such photos, channels first": (4, (16, 3, 600, 512)),
    "that batch after a 3x3 convolution with 8 filters, no padding": (4, (16, 8, 598, 510)),
}


def _answer_lookup(answers: Mapping) -> Callable:
    """Turn the learner's dict into a function of the question, normalising shapes to tuples."""
    if not isinstance(answers, Mapping):
        raise TypeError(f"answers must be a dict, got {type(answers).__name__}")

    def lookup(question):
        if question not in answers:
            raise KeyError(f"no answer for {question!r}")
        order, shape = answers[question]
        return int(order), tuple(int(s) for s in shape)

    return lookup


def check_orders(answers: Mapping) -> bool:
    """Check ``answers[question] == (order, shape)`` for every question in ``ORDER_QUESTIONS``."""
    lookup = _answer_lookup(answers)
    cases = [
        Case(question, args=(question,), expected=expected,
             hint="the order is the number of indices needed to reach one number "
                  "(len(shape)); a scalar has order 0 and shape ()")
        for question, expected in ORDER_QUESTIONS.items()
    ]
    return run_cases(lookup, cases, name="orders and shapes")


def _coded_chw(c: int, h: int, w: int) -> np.ndarray:
    """A (C, H, W) image whose value at [c, i, j] is 100*c + 10*i + j (readable in a failure)."""
    c_idx, i_idx, j_idx = np.indices((c, h, w))
    return (100 * c_idx + 10 * i_idx + j_idx).astype(np.float32)


def check_red_at(fn: Callable) -> bool:
    """Check ``fn(img_chw, i, j)`` returns the red value of the pixel in row i, column j."""
    tall = _coded_chw(3, 5, 4)   # H != W and C != H, W: mixed-up axes give wrong values
    wide = _coded_chw(3, 2, 7)
    cases = [
        Case("(3, 5, 4) image, pixel (0, 0)", args=(tall, 0, 0), expected=0.0,
             hint="channels first: the channel index comes first, img[channel, row, column]"),
        Case("(3, 5, 4) image, pixel (4, 1) (row 4, column 1)", args=(tall, 4, 1), expected=41.0,
             hint="channels first: the channel index comes first, img[channel, row, column]"),
        Case("(3, 5, 4) image, pixel (2, 3)", args=(tall, 2, 3), expected=23.0,
             hint="i is the row (height axis), j the column (width axis)"),
        Case("(3, 2, 7) image, pixel (1, 6)", args=(wide, 1, 6), expected=16.0,
             hint="i is the row (height axis), j the column (width axis)"),
    ]
    return run_cases(fn, cases, name="red_at")


def check_contiguous_strides(fn: Callable) -> bool:
    """Check ``fn(shape, itemsize)`` gives the strides (bytes) of a C-contiguous array.

    The expected strides are read from real NumPy arrays of that shape.
    """
    shapes = [((5,), 4), ((2, 3), 8), ((2, 3, 4), 4), ((600, 512, 3), 4), ((3, 600, 512), 4),
              ((16, 3, 32, 32), 4), ((7, 1, 5), 2)]
    cases = []
    for shape, itemsize in shapes:
        real = np.empty(shape, dtype=f"f{itemsize}")
        cases.append(Case(f"shape {shape}, {itemsize}-byte items", args=(shape, itemsize),
                          expected=tuple(real.strides),
                          hint="the last axis steps one item; every other axis steps over one "
                               "whole block of all the axes after it"))
    return run_cases(lambda shape, itemsize: tuple(int(s) for s in fn(shape, itemsize)),
                     cases, name=getattr(fn, "__name__", "contiguous_strides"))


# Operations on x = np.arange(24).reshape(2, 3, 4) (C-contiguous).
COPY_QUESTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x.transpose(2, 0, 1)": lambda x: x.transpose(2, 0, 1),
    "x[:, ::2, :]": lambda x: x[:, ::2, :],
    "x[..., 0]": lambda x: x[..., 0],
    "x[:, [0, 2], :]": lambda x: x[:, [0, 2], :],
    "x.reshape(6, 4)": lambda x: x.reshape(6, 4),
    "x.transpose(2, 0, 1).reshape(-1)": lambda x: x.transpose(2, 0, 1).reshape(-1),
    "np.ascontiguousarray(x)": lambda x: np.ascontiguousarray(x),
    "np.ascontiguousarray(x.transpose(2, 0, 1))":
        lambda x: np.ascontiguousarray(x.transpose(2, 0, 1)),
    "x.astype(np.float32)": lambda x: x.astype(np.float32),
    "x[np.newaxis]": lambda x: x[np.newaxis],
}


def _copies(question: str) -> bool:
    """Run the operation for real: does its result own memory that x does not?"""
    x = np.arange(24).reshape(2, 3, 4)
    return not np.shares_memory(COPY_QUESTIONS[question](x), x)


def check_copies(answers: Mapping) -> bool:
    """Check ``answers[question]`` is True exactly when that operation copies the data.

    The questions are the keys of ``COPY_QUESTIONS``, operations on
    ``x = np.arange(24).reshape(2, 3, 4)``; the truth is observed by running
    each operation and asking ``np.shares_memory``.
    """
    if not isinstance(answers, Mapping):
        raise TypeError(f"answers must be a dict, got {type(answers).__name__}")

    def lookup(question):
        if question not in answers:
            raise KeyError(f"no answer for {question!r}")
        return bool(answers[question])

    cases = [
        Case(f"{question}", args=(question,), expected=_copies(question),
             hint="basic slicing, transposes and new axes only change shape and strides (views); "
                  "fancy indexing, dtype changes and anything that must reorder the bytes copy")
        for question in COPY_QUESTIONS
    ]
    return run_cases(lookup, cases, name="view or copy")


def _coded_nhwc(n: int, h: int, w: int, c: int):
    """An NHWC input coded by position, and the NCHW array it must become, built independently."""
    n_i, h_i, w_i, c_i = np.indices((n, h, w, c))
    x = (1000 * n_i + 100 * c_i + 10 * h_i + w_i).astype(np.float32)
    n_o, c_o, h_o, w_o = np.indices((n, c, h, w))
    expected = (1000 * n_o + 100 * c_o + 10 * h_o + w_o).astype(np.float32)
    return x, expected


_ALL_MATCH = "every value in its place"


def _compare_values(got, expected: np.ndarray) -> str:
    """A readable verdict: all values right, or where the first wrong one is."""
    got = np.asarray(got)
    if got.shape != expected.shape:
        return f"shape {got.shape} instead of {expected.shape}"
    wrong = np.argwhere(got != expected)
    if len(wrong) == 0:
        return _ALL_MATCH
    idx = tuple(int(i) for i in wrong[0])
    return (f"{len(wrong)} of {expected.size} values misplaced, first at out{list(idx)}: "
            f"{got[idx]:g} instead of {expected[idx]:g}")


def check_nhwc_to_nchw(fn: Callable) -> bool:
    """Check ``fn(x)`` turns an (N, H, W, C) batch into (N, C, H, W) *without copying*.

    For each input, three cases: the shape, the value at every position (the
    input is coded so that ``x[n, h, w, c] = 1000n + 100c + 10h + w``), and that
    the result shares memory with the input (a view, not a copy).
    """
    inputs = [(2, 3, 4, 3), (4, 2, 3, 8), (1, 5, 2, 1)]

    def probe(what: str, k: int):
        x, expected = _coded_nhwc(*inputs[k])
        out = fn(x)
        if what == "shape":
            return tuple(np.shape(out))
        if what == "values":
            return _compare_values(out, expected)
        return isinstance(out, np.ndarray) and bool(np.shares_memory(out, x))

    cases = []
    for k, (n, h, w, c) in enumerate(inputs):
        label = f"NHWC {(n, h, w, c)}"
        cases += [
            Case(f"{label}: shape", args=("shape", k), expected=(n, c, h, w),
                 hint="the output axes are (N, C, H, W): batch, channels, height, width"),
            Case(f"{label}: values", args=("values", k), expected=_ALL_MATCH,
                 hint="reshape keeps the bytes in their order, so it scrambles pixels; permute "
                      "the axes instead (x.transpose(...)), which only changes the strides"),
            Case(f"{label}: a view of the input, no copy", args=("view", k), expected=True,
                 hint="np.ascontiguousarray, .copy() and np.array(...) copy; a transpose alone "
                      "returns a view"),
        ]
    return run_cases(probe, cases, name=getattr(fn, "__name__", "nhwc_to_nchw"))
