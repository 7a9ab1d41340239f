"""The ops against references that share no code with cnnlib.

* ``scipy.signal.correlate`` (mode "valid") on the zero-padded input, summed
  over input channels, is a stride-1 convolution layer;
* a stride-s convolution is the stride-1 one sampled every s pixels;
* pooling is a reduction over NumPy's ``sliding_window_view`` of the padded
  input;
* output sizes follow the closed form floor((n + 2p - k) / s) + 1, and
  ``conv_output_size`` matches the arrays the ops really return.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal

import cnnlib
from cnnlib import conv_output_size


@st.composite
def conv_case(draw):
    n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, kh - 2 * ph), 9))
    w = draw(st.integers(max(1, kw - 2 * pw), 9))
    assume(h + 2 * ph >= kh and w + 2 * pw >= kw)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(size=(n, c, h, w))
    weight = rng.normal(size=(f, c, kh, kw))
    return x, weight, (ph, pw)


def scipy_conv_layer(x, weight, pad_hw):
    """Stride-1 conv layer from scipy.signal.correlate, one (n, f) pair at a time."""
    ph, pw = pad_hw
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = []
    for n in range(x.shape[0]):
        maps = []
        for f in range(weight.shape[0]):
            # correlating the (C, H, W) volume with the (C, kh, kw) filter in
            # "valid" mode leaves a (1, Ho, Wo) array: the channel sum is built in
            maps.append(signal.correlate(xp[n], weight[f], mode="valid")[0])
        out.append(maps)
    return np.array(out)


@given(conv_case())
def test_conv2d_equals_scipy_correlate(case):
    x, weight, pad = case
    want = scipy_conv_layer(x, weight, pad)
    got = cnnlib.conv2d(x, weight, padding=pad)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@given(conv_case())
def test_conv2d_with_bias_adds_one_constant_per_filter(case):
    x, weight, pad = case
    bias = np.arange(weight.shape[0], dtype=np.float64) - 1.5
    want = scipy_conv_layer(x, weight, pad) + bias[None, :, None, None]
    np.testing.assert_allclose(cnnlib.conv2d(x, weight, bias, padding=pad), want,
                               rtol=1e-10, atol=1e-10)


def test_conv2d_is_correlation_not_convolution():
    """Deep-learning "convolution" does not flip the kernel: it is scipy's correlate."""
    rng = np.random.default_rng(0)
    image, kernel = rng.normal(size=(6, 7)), rng.normal(size=(3, 3))
    got = cnnlib.conv2d(image[None, None], kernel[None, None])[0, 0]
    np.testing.assert_allclose(got, signal.correlate2d(image, kernel, mode="valid"), rtol=1e-12)
    np.testing.assert_allclose(got, signal.convolve2d(image, kernel[::-1, ::-1], mode="valid"),
                               rtol=1e-12)
    assert not np.allclose(got, signal.convolve2d(image, kernel, mode="valid"))


@given(conv_case(), st.integers(1, 3), st.integers(1, 3))
def test_strided_conv_is_subsampled_stride_one_conv(case, sh, sw):
    x, weight, pad = case
    full = scipy_conv_layer(x, weight, pad)
    np.testing.assert_allclose(cnnlib.conv2d(x, weight, stride=(sh, sw), padding=pad),
                               full[:, :, ::sh, ::sw], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_same_padding_keeps_size_and_matches_scipy_same(k):
    rng = np.random.default_rng(k)
    image, kernel = rng.normal(size=(7, 6)), rng.normal(size=(k, k))
    got = cnnlib.conv2d(image[None, None], kernel[None, None], padding="same")[0, 0]
    assert got.shape == image.shape
    # the total padding k - 1 is split with the extra row/column at the
    # bottom/right (PyTorch's rule); build that padding by hand
    top, bottom = (k - 1) // 2, k // 2
    padded = np.pad(image, ((top, bottom), (top, bottom)))
    np.testing.assert_allclose(got, signal.correlate2d(padded, kernel, mode="valid"), rtol=1e-12)
    if k % 2:  # for odd kernels scipy's own "same" mode is centred the same way
        np.testing.assert_allclose(got, signal.correlate2d(image, kernel, mode="same"),
                                   rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------
# pooling against sliding windows


@st.composite
def pool_case(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    h = draw(st.integers(max(1, kh - 2 * ph), 9))
    w = draw(st.integers(max(1, kw - 2 * pw), 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(size=(draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w))
    return x, (kh, kw), (sh, sw), (ph, pw)


def windows(x, kernel, stride, pad, fill):
    (ph, pw), (sh, sw) = pad, stride
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    return sliding_window_view(xp, kernel, axis=(2, 3))[:, :, ::sh, ::sw]


@given(pool_case())
def test_max_pool2d_equals_sliding_window_max(case):
    x, k, s, p = case
    want = windows(x, k, s, p, -np.inf).max(axis=(-2, -1))
    np.testing.assert_array_equal(cnnlib.max_pool2d(x, k, s, p), want)


@given(pool_case())
def test_avg_pool2d_equals_sliding_window_mean_with_zero_padding(case):
    x, k, s, p = case
    want = windows(x, k, s, p, 0.0).mean(axis=(-2, -1))
    np.testing.assert_allclose(cnnlib.avg_pool2d(x, k, s, p), want, rtol=1e-12, atol=1e-14)


def test_max_pool_default_stride_is_kernel_size():
    x = np.random.default_rng(0).normal(size=(1, 2, 6, 9))
    np.testing.assert_array_equal(cnnlib.max_pool2d(x, 3), cnnlib.max_pool2d(x, 3, stride=3))
    np.testing.assert_array_equal(cnnlib.avg_pool2d(x, (2, 3)), cnnlib.avg_pool2d(x, (2, 3), (2, 3)))


# --------------------------------------------------------------------------
# output sizes


@given(st.integers(1, 40), st.integers(1, 9), st.integers(1, 5), st.integers(0, 4))
def test_conv_output_size_closed_form(size, k, s, p):
    assume(k <= size + 2 * p)
    expected = math.floor((size + 2 * p - k) / s) + 1
    assert conv_output_size(size, k, s, p) == expected
    # and the count of window start positions 0, s, 2s, ... that fit
    assert conv_output_size(size, k, s, p) == len(range(0, size + 2 * p - k + 1, s))


@given(st.integers(1, 20), st.integers(1, 6), st.integers(1, 4), st.integers(0, 3))
def test_conv_output_size_matches_array_shapes(size, k, s, p):
    assume(k <= size + 2 * p)
    n_out = conv_output_size(size, k, stride=s, padding=p)
    x = np.zeros((1, 1, size, 2 * size))
    conv = cnnlib.conv2d(x, np.zeros((1, 1, k, 1)), stride=(s, 1), padding=(p, 0))
    assert conv.shape == (1, 1, n_out, 2 * size)
    x_t = np.zeros((1, 1, 1, size))
    assert cnnlib.conv2d(x_t, np.zeros((1, 1, 1, k)), stride=s, padding=(0, p)).shape[3] == n_out
    if 2 * p <= k:  # pooling allows at most half a kernel of padding
        assert cnnlib.max_pool2d(x, (k, 1), (s, 1), (p, 0)).shape[2] == n_out
        assert cnnlib.avg_pool2d(x_t, (1, k), (1, s), (0, p)).shape[3] == n_out


def test_conv_output_size_accepts_numpy_integers():
    assert conv_output_size(np.int64(28), np.int32(5)) == 24
    assert isinstance(conv_output_size(np.int64(28), np.int32(5)), int)
