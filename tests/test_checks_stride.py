"""The chapter-4 checks accept correct answers and reject plausible wrong ones.

The "correct" implementations here are cnnlib's own (conv_output_size,
layer_cost, conv2d with padding="same"), which tests/test_layer_cost.py and
tests/test_ops_*.py check independently; so these tests also confirm that the
hand-worked expected values inside the checks agree with cnnlib.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import cnnlib
from cnnlib.course import layer_cost as LC
from cnnlib.exercises import stride as S

# --------------------------------------------------------------------------
# output size


def test_output_size_accepts_cnnlib(capsys):
    assert S.check_output_size(lambda n, k, s, p: cnnlib.conv_output_size(n, k, s, p))
    out = capsys.readouterr().out
    assert "all 8 cases pass" in out and "FAIL" not in out


@pytest.mark.parametrize("wrong", [
    lambda n, k, s, p: (n + 2 * p - k) / s + 1,              # no floor
    lambda n, k, s, p: math.ceil((n + 2 * p - k) / s) + 1,   # rounds up
    lambda n, k, s, p: (n + p - k) // s + 1,                 # padding on one side only
    lambda n, k, s, p: (n - k) // s + 1,                     # forgets padding
    lambda n, k, s, p: (n + 2 * p - k) // s,                 # counts steps, not positions
    lambda n, k, s, p: n // s,                               # ignores the kernel
])
def test_output_size_rejects_wrong(wrong, capsys):
    assert not S.check_output_size(wrong)
    out = capsys.readouterr().out
    assert "FAIL" in out and "Hint:" in out


def test_output_size_reports_exceptions_without_raising(capsys):
    def broken(n, k, s, p):
        raise ZeroDivisionError("oops")

    assert not S.check_output_size(broken)
    assert "raised ZeroDivisionError" in capsys.readouterr().out


# --------------------------------------------------------------------------
# "same" padding


def _same_padding_from_conv2d(k: int) -> tuple[int, int]:
    """Find (before, after) by matching conv2d(padding='same') against explicit zero padding."""
    rng = np.random.default_rng(k)
    x = rng.normal(size=(1, 1, 9, 1))
    w = rng.normal(size=(1, 1, k, 1))
    target = cnnlib.conv2d(x, w, padding="same")
    for before in range(k):
        after = k - 1 - before
        xp = np.pad(x, ((0, 0), (0, 0), (before, after), (0, 0)))
        if np.allclose(cnnlib.conv2d(xp, w), target):
            return before, after
    raise AssertionError(f"no explicit padding reproduces padding='same' for k={k}")


def test_same_padding_accepts_what_conv2d_does(capsys):
    assert S.check_same_padding(_same_padding_from_conv2d)
    assert "all 6 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [
    lambda k: (k // 2, k // 2),              # too much for even kernels
    lambda k: ((k - 1) // 2, (k - 1) // 2),  # too little for even kernels
    lambda k: (k // 2, (k - 1) // 2),        # extra zero on the wrong side
    lambda k: k - 1,                         # total only
    lambda k: (k, k),
])
def test_same_padding_rejects_wrong(wrong, capsys):
    assert not S.check_same_padding(wrong)
    assert "FAIL" in capsys.readouterr().out


def test_same_padding_accepts_a_list(capsys):
    assert S.check_same_padding(lambda k: [(k - 1) // 2, k // 2])


# --------------------------------------------------------------------------
# multiply-accumulates


def test_conv_macs_accepts_layer_cost(capsys):
    assert S.check_conv_macs(lambda shape, f, k, s, p: LC.conv_macs(shape, f, k, s, p))
    assert "all 5 cases pass" in capsys.readouterr().out


def _macs(shape, f, k, s, p, *, channels=True, pad_sides=2, out_size=None):
    n, c, h, w = shape
    ho = out_size(h, k, s, p) if out_size else (h + pad_sides * p - k) // s + 1
    wo = out_size(w, k, s, p) if out_size else (w + pad_sides * p - k) // s + 1
    return n * f * ho * wo * (c if channels else 1) * k * k


@pytest.mark.parametrize("wrong", [
    lambda shape, f, k, s, p: _macs(shape, f, k, s, p, channels=False),   # forgets C
    lambda shape, f, k, s, p: _macs(shape, f, k, s, p, pad_sides=0),      # ignores padding
    lambda shape, f, k, s, p: shape[0] * f * shape[2] * shape[3] * shape[1] * k * k,  # input size
    lambda shape, f, k, s, p: _macs(shape, f, k, s, p,
                                    out_size=lambda n, k, s, p: (n + 2 * p - k) / s + 1),  # no floor
])
def test_conv_macs_rejects_wrong(wrong, capsys):
    assert not S.check_conv_macs(wrong)
    assert "FAIL" in capsys.readouterr().out


# --------------------------------------------------------------------------
# receptive field


def test_receptive_field_accepts_layer_cost(capsys):
    assert S.check_receptive_field(lambda layers: LC.receptive_fields(layers)[-1].size)
    assert "all 5 cases pass" in capsys.readouterr().out


def _rf_stride_after(layers):
    size, jump = 1, 1
    for k, s in layers:
        jump *= s                       # wrong: uses this layer's own stride
        size += (k - 1) * jump
    return size


@pytest.mark.parametrize("wrong", [
    lambda layers: 1 + sum(k - 1 for k, _ in layers),   # ignores strides
    lambda layers: sum(k for k, _ in layers),           # adds kernel sizes
    _rf_stride_after,
])
def test_receptive_field_rejects_wrong(wrong, capsys):
    assert not S.check_receptive_field(wrong)
    assert "Hint:" in capsys.readouterr().out
