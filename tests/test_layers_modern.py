"""The layers added for modern networks, each against an independent formulation.

Conv1d and conv1d against a sliding-window einsum, the reference loops and
conv2d over images of height 1; grouped convolution against a loop over the
groups of plain convolutions; ConvTranspose2d against its scatter-add
definition written as loops (and the adjoint identity with conv2d); adaptive
pooling against loops over PyTorch's bins (computed here with math.floor and
math.ceil); MaxPool1d against loops; Sigmoid, LeakyReLU, MSELoss against
their formulas; Dropout's statistics; Embedding's accumulation; the
initialisers' distributions. Every backward pass against float64 finite
differences. Bad input raises a clear error. (Batch norm: test_batchnorm.py;
the residual block: test_models.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

import cnnlib
from cnnlib import functional as F
from cnnlib import nn
from cnnlib import reference as R
from cnnlib.gradcheck import check_function, check_layer, numerical_gradient

TOL = 1e-7  # gradcheck relative error


def tolerances(dtype) -> dict:
    return {"rtol": 2e-5, "atol": 2e-5} if dtype == np.float32 else {"rtol": 1e-11, "atol": 1e-11}


def assert_all_passed(results) -> None:
    assert results, "no gradient was checked"
    failed = [str(r) for r in results if not r.passed]
    assert not failed, "\n".join(failed)


def unique_values(rng, shape) -> np.ndarray:
    """Well-separated values of both signs: a finite-difference nudge never changes a max."""
    n = math.prod(shape)
    return ((rng.permutation(n) - n / 2) * 0.1 + rng.uniform(0, 0.01, size=n)).reshape(shape)


seeds = st.integers(0, 2**32 - 1)
dtypes = st.sampled_from([np.float32, np.float64])


# --------------------------------------------------------------------------
# conv1d


def conv1d_by_windows(x, w, b, stride, left, right):
    """y[n, f, i] = b[f] + sum_{c, u} xp[n, c, i*stride + u] w[f, c, u], with NumPy's window view."""
    xp = np.pad(x, ((0, 0), (0, 0), (left, right)))
    windows = sliding_window_view(xp, w.shape[2], axis=2)[:, :, ::stride]  # (N, C, Lo, k)
    y = np.einsum("ncik,fck->nfi", windows, w)
    return y if b is None else y + b[:, None]


@st.composite
def conv1d_cases(draw):
    n, c, f, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 5))
    kind = draw(st.sampled_from(["int", "valid", "same"]))
    stride = 1 if kind == "same" else draw(st.integers(1, 3))
    if kind == "same":
        padding, (left, right) = "same", ((k - 1) // 2, k // 2)
    elif kind == "valid":
        padding, (left, right) = "valid", (0, 0)
    else:
        padding = draw(st.integers(0, 2))
        left = right = padding
    length = draw(st.integers(max(1, k - left - right), k - left - right + 9))
    dtype = draw(dtypes)
    rng = np.random.default_rng(draw(seeds))
    x = rng.normal(size=(n, c, length)).astype(dtype)
    w = rng.normal(size=(f, c, k)).astype(dtype)
    b = rng.normal(size=f).astype(dtype) if draw(st.booleans()) else None
    return x, w, b, stride, padding, (left, right)


@given(conv1d_cases())
def test_conv1d_matches_windows_reference_and_conv2d(case):
    x, w, b, stride, padding, (left, right) = case
    y = cnnlib.conv1d(x, w, b, stride=stride, padding=padding)
    assert y.dtype == x.dtype
    assert y.shape == (x.shape[0], w.shape[0], (x.shape[2] + left + right - w.shape[2]) // stride + 1)
    np.testing.assert_allclose(y, conv1d_by_windows(x, w, b, stride, left, right), **tolerances(x.dtype))
    np.testing.assert_allclose(y, R.conv1d(x, w, b, stride=stride, padding=padding), **tolerances(x.dtype))
    pad2 = "same" if padding == "same" else (0, left)
    via_2d = F.conv2d(x[:, :, None], w[:, :, None], b, stride=(1, stride), padding=pad2)[:, :, 0]
    np.testing.assert_allclose(y, via_2d, **tolerances(x.dtype))


@given(conv1d_cases())
def test_conv1d_backward_matches_reference_and_layer(case):
    x, w, b, stride, padding, _ = case
    g = np.random.default_rng(0).normal(size=cnnlib.conv1d(x, w, stride=stride, padding=padding).shape).astype(x.dtype)
    fast = cnnlib.conv1d_backward(g, x, w, stride=stride, padding=padding)
    slow = R.conv1d_backward(g, x, w, stride=stride, padding=padding)
    for a, r in zip(fast, slow):
        np.testing.assert_allclose(a, r, **tolerances(x.dtype))
    layer = nn.Conv1d(x.shape[1], w.shape[0], w.shape[2], stride=stride, padding=padding, bias=b is not None,
                      dtype=x.dtype)
    layer.weight.data[...] = w
    if b is not None:
        layer.bias.data[...] = b
    np.testing.assert_allclose(layer(x), cnnlib.conv1d(x, w, b, stride=stride, padding=padding),
                               **tolerances(x.dtype))
    np.testing.assert_allclose(layer.backward(g), fast[0], **tolerances(x.dtype))
    np.testing.assert_allclose(layer.weight.grad, fast[1], **tolerances(x.dtype))
    if b is not None:
        np.testing.assert_allclose(layer.bias.grad, fast[2], **tolerances(x.dtype))


@pytest.mark.parametrize("impl", [F, R], ids=["fast", "reference"])
@pytest.mark.parametrize("setting", [dict(stride=1, padding=0), dict(stride=2, padding=1),
                                     dict(stride=1, padding="same"), dict(stride=3, padding=2)], ids=str)
def test_conv1d_gradients(impl, setting):
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 3, 9)), rng.normal(size=(2, 3, 4)), rng.normal(size=2)
    results = check_function(lambda x, w, b: impl.conv1d(x, w, b, **setting),
                             lambda g, x, w, b: impl.conv1d_backward(g, x, w, **setting),
                             x, w, b, names=["x", "weight", "bias"], tol=TOL)
    assert_all_passed(results)


def test_conv1d_detects_a_pattern():
    # a difference filter answers only where the signal steps up
    x = np.zeros((1, 1, 10))
    x[0, 0, 5:] = 1.0
    y = cnnlib.conv1d(x, np.array([[[-1.0, 1.0]]]))
    assert np.flatnonzero(y[0, 0]).tolist() == [4]


# --------------------------------------------------------------------------
# grouped convolution


@st.composite
def grouped_cases(draw):
    groups, c_group, f_group = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    h, w = draw(st.integers(max(1, kh - 2 * padding), 6)), draw(st.integers(max(1, kw - 2 * padding), 6))
    dtype = draw(dtypes)
    rng = np.random.default_rng(draw(seeds))
    x = rng.normal(size=(draw(st.integers(1, 2)), groups * c_group, h, w)).astype(dtype)
    weight = rng.normal(size=(groups * f_group, c_group, kh, kw)).astype(dtype)
    bias = rng.normal(size=groups * f_group).astype(dtype)
    return x, weight, bias, stride, padding, groups


def per_group(x, weight, groups, fn):
    """Run fn(x_group, weight_group) for each group, as independent plain convolutions."""
    cg, fg = x.shape[1] // groups, weight.shape[0] // groups
    return [fn(x[:, g * cg:(g + 1) * cg], weight[g * fg:(g + 1) * fg]) for g in range(groups)]


@given(grouped_cases())
def test_grouped_conv2d_is_one_convolution_per_group(case):
    x, weight, bias, stride, padding, groups = case
    y = cnnlib.conv2d(x, weight, bias, stride=stride, padding=padding, groups=groups)
    parts = per_group(x, weight, groups, lambda xg, wg: cnnlib.conv2d(xg, wg, stride=stride, padding=padding))
    want = np.concatenate(parts, axis=1) + bias[:, None, None]
    np.testing.assert_allclose(y, want, **tolerances(x.dtype))
    np.testing.assert_allclose(y, R.conv2d(x, weight, bias, stride, padding, groups=groups), **tolerances(x.dtype))


@given(grouped_cases())
def test_grouped_conv2d_backward_is_per_group(case):
    x, weight, bias, stride, padding, groups = case
    g = np.random.default_rng(2).normal(size=cnnlib.conv2d(x, weight, stride=stride, padding=padding,
                                                           groups=groups).shape).astype(x.dtype)
    gx, gw, gb = cnnlib.conv2d_backward(g, x, weight, stride, padding, groups=groups)
    fg = weight.shape[0] // groups
    parts = [cnnlib.conv2d_backward(g[:, i * fg:(i + 1) * fg], xg, wg, stride, padding)
             for i, (xg, wg) in enumerate(per_group(x, weight, groups, lambda xg, wg: (xg, wg)))]
    np.testing.assert_allclose(gx, np.concatenate([p[0] for p in parts], axis=1), **tolerances(x.dtype))
    np.testing.assert_allclose(gw, np.concatenate([p[1] for p in parts], axis=0), **tolerances(x.dtype))
    np.testing.assert_allclose(gb, g.sum(axis=(0, 2, 3)), **tolerances(x.dtype))
    for a, r in zip((gx, gw, gb), R.conv2d_backward(g, x, weight, stride, padding, groups=groups)):
        np.testing.assert_allclose(a, r, **tolerances(x.dtype))
    # the layer takes the same path
    layer = nn.Conv2d(x.shape[1], weight.shape[0], weight.shape[2:], stride=stride, padding=padding,
                      groups=groups, dtype=x.dtype)
    layer.weight.data[...], layer.bias.data[...] = weight, bias
    np.testing.assert_allclose(layer(x), cnnlib.conv2d(x, weight, bias, stride, padding, groups=groups),
                               **tolerances(x.dtype))
    np.testing.assert_allclose(layer.backward(g), gx, **tolerances(x.dtype))
    np.testing.assert_allclose(layer.weight.grad, gw, **tolerances(x.dtype))


def test_depthwise_conv_filters_each_channel_alone():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 6, 6))
    layer = nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False, dtype=np.float64, rng=rng)
    assert layer.weight.shape == (4, 1, 3, 3)
    y = layer(x)
    for c in range(4):  # channel c of the output is channel c of x with filter c
        np.testing.assert_allclose(y[:, c:c + 1], cnnlib.conv2d(x[:, c:c + 1], layer.weight.data[c:c + 1],
                                                               padding=1), rtol=1e-12, atol=1e-12)


def test_grouped_conv_init_uses_the_group_fan_in():
    layer = nn.Conv2d(64, 128, 3, groups=16, rng=np.random.default_rng(4))
    bound = 1 / math.sqrt(64 // 16 * 9)
    assert np.abs(layer.weight.data).max() <= bound * (1 + 1e-6)
    assert np.abs(layer.weight.data).max() > 0.99 * bound
    assert np.abs(layer.bias.data).max() <= bound * (1 + 1e-6)


# --------------------------------------------------------------------------
# transposed convolution


def conv_transpose_by_scatter(x, w, b, stride, padding):
    """Each input pixel adds x * w[c_in] into its output window; the border is cropped."""
    (sh, sw), (ph, pw) = stride, padding
    n, c_in, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    full = np.zeros((n, c_out, (h - 1) * sh + kh, (wd - 1) * sw + kw))
    for i_n in range(n):
        for c in range(c_in):
            for i in range(h):
                for j in range(wd):
                    full[i_n, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += x[i_n, c, i, j] * w[c]
    out = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    return out if b is None else out + b[:, None, None]


def conv_transpose_backward_by_loops(g, x, w, stride, padding):
    """Each input pixel gathers from the window it scattered into."""
    (sh, sw), (ph, pw) = stride, padding
    _, _, kh, kw = w.shape
    g_full = np.pad(g, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    for i_n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(x.shape[2]):
                for j in range(x.shape[3]):
                    window = g_full[i_n, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    gx[i_n, c, i, j] = np.sum(window * w[c])
                    gw[c] += x[i_n, c, i, j] * window
    return gx, gw, g.sum(axis=(0, 2, 3))


@st.composite
def transpose_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    assume((h - 1) * stride[0] + kh - 2 * padding[0] >= 1 and (w - 1) * stride[1] + kw - 2 * padding[1] >= 1)
    rng = np.random.default_rng(draw(seeds))
    x = rng.normal(size=(draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w))
    weight = rng.normal(size=(x.shape[1], draw(st.integers(1, 3)), kh, kw))
    return x, weight, rng.normal(size=weight.shape[1]), stride, padding


def _transpose_layer(weight, bias, stride, padding, dtype=np.float64):
    layer = nn.ConvTranspose2d(weight.shape[0], weight.shape[1], weight.shape[2:], stride=stride,
                               padding=padding, dtype=dtype)
    layer.weight.data[...], layer.bias.data[...] = weight, bias
    return layer


@given(transpose_cases())
def test_conv_transpose2d_is_the_scatter_add(case):
    x, weight, bias, stride, padding = case
    layer = _transpose_layer(weight, bias, stride, padding)
    y = layer(x)
    h_out = (x.shape[2] - 1) * stride[0] - 2 * padding[0] + weight.shape[2]
    w_out = (x.shape[3] - 1) * stride[1] - 2 * padding[1] + weight.shape[3]
    assert y.shape == (x.shape[0], weight.shape[1], h_out, w_out)
    np.testing.assert_allclose(y, conv_transpose_by_scatter(x, weight, bias, stride, padding),
                               rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(5).normal(size=y.shape)
    gx = layer.backward(g)
    want = conv_transpose_backward_by_loops(g, x, weight, stride, padding)
    for ours, theirs in zip((gx, layer.weight.grad, layer.bias.grad), want):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@given(transpose_cases())
def test_conv_transpose2d_is_the_adjoint_of_conv2d(case):
    # <convT(x), y> == <x, conv(y)>: the defining property of a transpose
    x, weight, _, stride, padding = case
    layer = _transpose_layer(weight, np.zeros(weight.shape[1]), stride, padding)
    y_t = layer(x)
    y = np.random.default_rng(6).normal(size=y_t.shape)
    conv_y = cnnlib.conv2d(y, weight, stride=stride, padding=padding)  # weight read as (F=C_in, C=C_out, ...)
    assert conv_y.shape == x.shape
    assert np.sum(y_t * y) == pytest.approx(np.sum(x * conv_y), rel=1e-10, abs=1e-10)


def test_conv_transpose2d_undoes_the_shape_of_a_strided_conv():
    rng = np.random.default_rng(7)
    down = nn.Conv2d(3, 8, 4, stride=2, padding=1, rng=rng)
    up = nn.ConvTranspose2d(8, 3, 4, stride=2, padding=1, rng=rng)
    x = rng.normal(size=(2, 3, 16, 16)).astype(np.float32)
    assert down(x).shape == (2, 8, 8, 8)
    assert up(down(x)).shape == x.shape


def test_conv_transpose2d_init_uses_torch_fan_rule():
    # PyTorch computes fan_in from weight.size(1) * kh * kw = out_channels * kh * kw
    layer = nn.ConvTranspose2d(4, 32, 3, rng=np.random.default_rng(8))
    assert layer.weight.shape == (4, 32, 3, 3) and layer.bias.shape == (32,)
    bound = 1 / math.sqrt(32 * 9)
    assert bound * 0.99 < np.abs(layer.weight.data).max() <= bound * (1 + 1e-6)


# --------------------------------------------------------------------------
# pooling


def torch_bins(size: int, out: int):
    return [(math.floor(i * size / out), math.ceil((i + 1) * size / out)) for i in range(out)]


@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), seeds, dtypes)
def test_adaptive_avg_pool2d_matches_loops_over_torch_bins(h, w, oh, ow, seed, dtype):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 3, h, w)).astype(dtype)
    layer = nn.AdaptiveAvgPool2d((oh, ow))
    y = layer(x)
    want = np.empty((2, 3, oh, ow))
    for i, (h0, h1) in enumerate(torch_bins(h, oh)):
        for j, (w0, w1) in enumerate(torch_bins(w, ow)):
            want[:, :, i, j] = x[:, :, h0:h1, w0:w1].astype(np.float64).mean(axis=(2, 3))
    assert y.dtype == dtype
    np.testing.assert_allclose(y, want, **tolerances(dtype))
    g = rng.normal(size=y.shape).astype(dtype)
    grad_want = np.zeros(x.shape)
    for i, (h0, h1) in enumerate(torch_bins(h, oh)):
        for j, (w0, w1) in enumerate(torch_bins(w, ow)):
            grad_want[:, :, h0:h1, w0:w1] += g[:, :, i:i + 1, j:j + 1] / ((h1 - h0) * (w1 - w0))
    np.testing.assert_allclose(layer.backward(g), grad_want, **tolerances(dtype))


def test_global_average_pooling_is_the_mean():
    x = np.random.default_rng(9).normal(size=(4, 5, 7, 3))
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(1)(x)[:, :, 0, 0], x.mean(axis=(2, 3)), rtol=1e-13)


@given(st.integers(1, 12), st.integers(1, 12), seeds, st.sampled_from(["normal", "ties"]))
def test_adaptive_max_pool1d_matches_loops_over_torch_bins(length, out, seed, values):
    rng = np.random.default_rng(seed)
    shape = (2, 3, length)
    x = rng.integers(0, 3, size=shape).astype(np.float64) if values == "ties" else rng.normal(size=shape)
    layer = nn.AdaptiveMaxPool1d(out)
    y = layer(x)
    g = rng.normal(size=y.shape)
    want, grad_want = np.empty(y.shape), np.zeros(x.shape)
    for i, (start, end) in enumerate(torch_bins(length, out)):
        for n in range(2):
            for c in range(3):
                window = x[n, c, start:end]
                want[n, c, i] = window.max()
                grad_want[n, c, start + int(np.argmax(window))] += g[n, c, i]  # first max; bins may share it
    np.testing.assert_array_equal(y, want)
    np.testing.assert_allclose(layer.backward(g), grad_want, rtol=1e-13, atol=1e-13)


@st.composite
def pool1d_cases(draw):
    k = draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    padding = draw(st.integers(0, k // 2))
    length = draw(st.integers(max(1, k - 2 * padding), k + 8))
    return k, stride, padding, length, draw(seeds)


@given(pool1d_cases())
def test_max_pool1d_matches_loops(case):
    k, stride, padding, length, seed = case
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=(2, 2, length)).astype(np.float32)  # ties
    layer = nn.MaxPool1d(k, stride, padding)
    y = layer(x)
    s = k if stride is None else stride
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)), constant_values=-np.inf)
    lo = (length + 2 * padding - k) // s + 1
    want = np.stack([xp[:, :, i * s:i * s + k].max(axis=2) for i in range(lo)], axis=2)
    np.testing.assert_array_equal(y, want)
    g = rng.normal(size=y.shape).astype(np.float32)
    grad_p = np.zeros(xp.shape, dtype=np.float32)
    for n in range(2):
        for c in range(2):
            for i in range(lo):
                grad_p[n, c, i * s + int(np.argmax(xp[n, c, i * s:i * s + k]))] += g[n, c, i]
    np.testing.assert_allclose(layer.backward(g), grad_p[:, :, padding:padding + length], rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------
# activations and loss


def test_sigmoid_values_and_extremes():
    x = np.linspace(-30, 30, 121)
    np.testing.assert_allclose(nn.Sigmoid()(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    # no overflow warning (RuntimeWarnings are errors here), and the tails are right
    y = nn.Sigmoid()(np.array([-1000.0, -745.0, 40.0, 1000.0]))
    assert y[0] == 0.0 and 0 < y[1] < 1e-300 and y[2] == 1.0 and y[3] == 1.0
    assert nn.Sigmoid()(np.array([-100.0], dtype=np.float32)).dtype == np.float32
    assert nn.Sigmoid()(np.array([-100.0]))[0] == pytest.approx(math.exp(-100), rel=1e-12)


def test_leaky_relu_values():
    layer = nn.LeakyReLU(0.2)
    np.testing.assert_array_equal(layer(np.array([-5.0, -0.5, 0.0, 0.5, 5.0])), [-1.0, -0.1, 0.0, 0.5, 5.0])
    # at exactly 0 the gradient is the slope (x > 0 is the test, as in PyTorch)
    np.testing.assert_array_equal(layer.backward(np.ones(5)), [0.2, 0.2, 0.2, 1.0, 1.0])
    assert nn.LeakyReLU().negative_slope == 0.01


def test_mse_loss_value_and_gradient():
    rng = np.random.default_rng(10)
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    loss_fn = nn.MSELoss()
    assert loss_fn(pred, target) == pytest.approx(np.sum((pred - target) ** 2) / 12, rel=1e-14)
    results = check_function(lambda p: np.array(loss_fn(p, target)), lambda g, p: (loss_fn.backward(float(g)),),
                             pred, names=["input"], tol=TOL)
    assert_all_passed(results)
    loss_fn(pred, target)
    np.testing.assert_allclose(loss_fn.backward(3.0), 3 * loss_fn.backward(), rtol=1e-15)


# --------------------------------------------------------------------------
# dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    n = 200_000
    drop = nn.Dropout(p, rng=np.random.default_rng(11))
    x = np.ones(n, dtype=np.float32)
    y = drop(x)
    kept = y != 0
    # the number kept is Binomial(n, 1 - p): within 5 standard deviations
    assert abs(kept.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)  # inverted: survivors scaled up
    # so the mean is preserved, within 5 standard deviations of the sample mean
    assert abs(y.mean() - 1) < 5 * math.sqrt(p / (1 - p) / n)
    # backward uses the same mask and scale
    g = np.random.default_rng(12).normal(size=n).astype(np.float32)
    np.testing.assert_allclose(drop.backward(g), np.where(kept, g / (1 - p), 0), rtol=1e-6)


def test_dropout_masks_differ_between_calls_but_follow_the_seed():
    x = np.ones((50, 50))
    a, b = nn.Dropout(0.5, rng=np.random.default_rng(13)), nn.Dropout(0.5, rng=np.random.default_rng(13))
    first = a(x)
    np.testing.assert_array_equal(first, b(x))
    assert not np.array_equal(first, a(x))


def test_dropout_is_the_identity_in_eval_mode_and_for_p_zero():
    x = np.random.default_rng(14).normal(size=(3, 4))
    drop = nn.Dropout(0.9, rng=np.random.default_rng(0)).eval()
    np.testing.assert_array_equal(drop(x), x)
    np.testing.assert_array_equal(drop.backward(np.ones((3, 4))), np.ones((3, 4)))
    np.testing.assert_array_equal(nn.Dropout(0.0)(x), x)
    drop.train()
    assert (drop(x) == 0).mean() > 0.5


class _FixedMaskDropout(nn.Module):
    """Dropout whose generator restarts each call: the same mask every time (for finite differences)."""

    def __init__(self, p):
        self.drop = nn.Dropout(p)

    def forward(self, x):
        self.drop.rng = np.random.default_rng(15)
        return self.drop(x)

    def backward(self, grad_out):
        return self.drop.backward(grad_out)


# --------------------------------------------------------------------------
# embedding


def test_embedding_lookup_any_index_shape():
    emb = nn.Embedding(7, 4, rng=np.random.default_rng(16))
    assert emb.weight.shape == (7, 4) and emb.weight.data.dtype == np.float32
    for idx in (np.array(3), np.array([6, 0]), np.arange(12).reshape(3, 4) % 7, np.zeros((2, 0), dtype=int)):
        out = emb(idx)
        assert out.shape == idx.shape + (4,)
        np.testing.assert_array_equal(out, emb.weight.data[idx])


def test_embedding_backward_accumulates_repeated_indices():
    rng = np.random.default_rng(17)
    emb = nn.Embedding(5, 3, rng=rng, dtype=np.float64)
    idx = np.array([[1, 4, 1], [1, 0, 4]])
    emb(idx)
    g = rng.normal(size=(2, 3, 3))
    assert emb.backward(g) is None
    # the same as multiplying one-hot rows: grad = onehot.T @ g
    onehot = np.eye(5)[idx.ravel()]
    np.testing.assert_allclose(emb.weight.grad, onehot.T @ g.reshape(-1, 3), rtol=1e-14)
    assert not emb.weight.grad[[2, 3]].any()  # unused rows get nothing
    # and by finite differences of sum(emb(idx) * g)
    emb.zero_grad()
    emb(idx)
    emb.backward(g)
    numeric = numerical_gradient(lambda: float(np.sum(emb(idx) * g)), emb.weight.data)
    np.testing.assert_allclose(emb.weight.grad, numeric, rtol=1e-7, atol=1e-9)


def test_embedding_init_is_standard_normal():
    w = nn.Embedding(1000, 50, rng=np.random.default_rng(18)).weight.data.ravel().astype(np.float64)
    assert stats.kstest(w, stats.norm().cdf).statistic < 2 / math.sqrt(w.size)


# --------------------------------------------------------------------------
# nn.init


def test_kaiming_normal_std_follows_the_fan():
    rng = np.random.default_rng(19)
    w = nn.Parameter(np.zeros((64, 32, 3, 3), dtype=np.float32))
    assert nn.init.kaiming_normal_(w, rng=rng) is w
    # He: std sqrt(2 / fan_in), fan_in = 32 * 3 * 3; relative sampling error of a std ~ 1/sqrt(2n)
    n = w.data.size
    assert w.data.dtype == np.float32
    assert w.data.std() == pytest.approx(math.sqrt(2 / 288), rel=5 / math.sqrt(2 * n))
    nn.init.kaiming_normal_(w, rng=rng, mode="fan_out")
    assert w.data.std() == pytest.approx(math.sqrt(2 / (64 * 9)), rel=5 / math.sqrt(2 * n))
    nn.init.kaiming_normal_(w, rng=rng, a=0.2)  # leaky ReLU's gain sqrt(2 / (1 + a^2))
    assert w.data.std() == pytest.approx(math.sqrt(2 / 1.04 / 288), rel=5 / math.sqrt(2 * n))
    nn.init.kaiming_normal_(w, rng=rng, nonlinearity="tanh")
    assert w.data.std() == pytest.approx(5 / 3 / math.sqrt(288), rel=5 / math.sqrt(2 * n))
    assert abs(w.data.mean()) < 5 * w.data.std() / math.sqrt(n)


def test_xavier_uniform_bound_and_in_place_fill():
    w = np.zeros((300, 200))
    before = w
    nn.init.xavier_uniform_(w, rng=np.random.default_rng(20), gain=2.0)
    assert w is before
    bound = 2.0 * math.sqrt(6 / 500)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert stats.kstest(w.ravel(), stats.uniform(-bound, 2 * bound).cdf).statistic < 2 / math.sqrt(w.size)
    conv = nn.Conv2d(16, 8, 5, rng=np.random.default_rng(0))
    nn.init.xavier_uniform_(conv.weight, rng=np.random.default_rng(21))
    assert np.abs(conv.weight.data).max() <= math.sqrt(6 / (16 * 25 + 8 * 25)) * (1 + 1e-6)


def test_calculate_gain():
    assert nn.init.calculate_gain("linear") == 1 and nn.init.calculate_gain("conv2d") == 1
    assert nn.init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert nn.init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))


@pytest.mark.parametrize("call, exc, pattern", [
    (lambda: nn.init.kaiming_normal_(np.zeros(5), rng=np.random.default_rng(0)), ValueError,
     r"at least 2 dimensions, got shape \(5,\)"),
    (lambda: nn.init.kaiming_normal_(np.zeros((2, 2)), rng=np.random.default_rng(0), mode="fan_avg"),
     ValueError, r"mode must be 'fan_in' or 'fan_out', got 'fan_avg'"),
    (lambda: nn.init.kaiming_normal_(np.zeros((2, 2)), rng=np.random.default_rng(0), nonlinearity="gelu"),
     ValueError, r"unsupported nonlinearity 'gelu'"),
    (lambda: nn.init.xavier_uniform_(np.zeros((2, 2), dtype=int), rng=np.random.default_rng(0)), TypeError,
     r"param must be a Parameter or a floating-point ndarray.*int"),
    (lambda: nn.init.xavier_uniform_([[0.0]], rng=np.random.default_rng(0)), TypeError, r"got list"),
    (lambda: nn.init.xavier_uniform_(np.zeros((2, 2)), rng=0), TypeError,
     r"rng must be a numpy\.random\.Generator"),
    (lambda: nn.init.xavier_uniform_(np.zeros((2, 2)), rng=np.random.default_rng(0), gain=0), ValueError,
     r"gain must be > 0, got 0"),
])
def test_init_rejects_bad_arguments(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


# --------------------------------------------------------------------------
# every new layer with a backward pass: finite differences (float64)


def _rng(seed=22):
    return np.random.default_rng(seed)


LAYERS = {
    "Conv1d": (lambda: nn.Conv1d(2, 3, 3, dtype=np.float64, rng=_rng()), (2, 2, 7)),
    "Conv1d stride 2 padding 2": (lambda: nn.Conv1d(2, 2, 4, stride=2, padding=2, dtype=np.float64, rng=_rng()),
                                  (2, 2, 7)),
    "Conv1d same even, no bias": (lambda: nn.Conv1d(1, 2, 2, padding="same", bias=False, dtype=np.float64,
                                                    rng=_rng()), (2, 1, 5)),
    "Conv2d groups 2": (lambda: nn.Conv2d(4, 6, 3, padding=1, groups=2, dtype=np.float64, rng=_rng()),
                        (2, 4, 4, 4)),
    "Conv2d depthwise stride 2": (lambda: nn.Conv2d(3, 3, (2, 3), stride=2, groups=3, dtype=np.float64, rng=_rng()),
                                  (2, 3, 5, 6)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(2, 3, 3, dtype=np.float64, rng=_rng()), (2, 2, 3, 3)),
    "ConvTranspose2d stride 2 padding 1": (lambda: nn.ConvTranspose2d(2, 2, (3, 2), stride=2, padding=1,
                                                                      dtype=np.float64, rng=_rng()), (2, 2, 3, 4)),
    "MaxPool1d": (lambda: nn.MaxPool1d(3, stride=2, padding=1), (2, 2, 7)),
    "AdaptiveMaxPool1d 1": (lambda: nn.AdaptiveMaxPool1d(1), (2, 3, 6)),
    "AdaptiveMaxPool1d 4 of 7": (lambda: nn.AdaptiveMaxPool1d(4), (2, 3, 7)),
    "AdaptiveAvgPool2d 1": (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 4, 5)),
    "AdaptiveAvgPool2d (2, 3) of 5x7": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 2, 5, 7)),
    "Sigmoid": (lambda: nn.Sigmoid(), (3, 4)),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.1), (3, 2, 4)),
    "Dropout (fixed mask)": (lambda: _FixedMaskDropout(0.4), (4, 5)),
    "Dropout eval": (lambda: nn.Dropout(0.4).eval(), (4, 5)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_backward(name):
    make, shape = LAYERS[name]
    layer = make()
    x = unique_values(np.random.default_rng(23), shape) / 10  # small: Sigmoid away from saturation
    results = check_layer(layer, x, tol=TOL)
    assert [r.name for r in results] == ["x"] + [n for n, _ in layer.named_parameters()]
    assert_all_passed(results)


# --------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("call, exc, pattern", [
    # constructors: caught where the layer is built
    (lambda: nn.Conv1d(2, 3, 3, stride=0), ValueError, r"stride must be >= 1, got 0"),
    (lambda: nn.Conv1d(2, 3, 0), ValueError, r"kernel_size must be >= 1, got 0"),
    (lambda: nn.Conv1d(2, 3, (3, 3)), TypeError, r"kernel_size must be an int, got \(3, 3\)"),
    (lambda: nn.Conv1d(2, 3, 3, padding=-1), ValueError, r"padding must be >= 0, got -1"),
    (lambda: nn.Conv1d(2, 3, 3, padding=(1, 1)), TypeError, r"padding must be an int, got \(1, 1\)"),
    (lambda: nn.Conv1d(2, 3, 3, stride=2, padding="same"), ValueError, r"padding='same' needs stride 1.*got stride 2"),
    (lambda: nn.Conv1d(2, 3, 3, padding="full"), ValueError, r"padding must be an int, 'valid' or 'same', got 'full'"),
    (lambda: nn.Conv2d(4, 6, 3, groups=3), ValueError,
     r"groups=3 must divide both in_channels \(4\) and out_channels \(6\)"),
    (lambda: nn.Conv2d(4, 6, 3, groups=0), ValueError, r"groups must be >= 1, got 0"),
    (lambda: nn.Conv2d(4, 6, 3, groups=2.0), TypeError, r"groups must be an int, got 2\.0"),
    (lambda: nn.ConvTranspose2d(2, 3, 3, stride=0), ValueError, r"stride must be >= 1, got 0"),
    (lambda: nn.ConvTranspose2d(2, 3, 3, padding=-1), ValueError, r"padding must be >= 0, got -1"),
    (lambda: nn.ConvTranspose2d(0, 3, 3), ValueError, r"in_channels must be >= 1, got 0"),
    (lambda: nn.MaxPool1d(0), ValueError, r"kernel_size must be >= 1, got 0"),
    (lambda: nn.MaxPool1d(2, stride=0), ValueError, r"stride must be >= 1, got 0"),
    (lambda: nn.MaxPool2d(2, stride=0), ValueError, r"stride must be >= 1, got 0"),
    (lambda: nn.AvgPool2d((2, 0)), ValueError, r"kernel_size must be >= 1, got \(2, 0\)"),
    (lambda: nn.AvgPool2d(2, padding=-1), ValueError, r"padding must be >= 0, got -1"),
    (lambda: nn.AdaptiveAvgPool2d(0), ValueError, r"output_size must be >= 1, got 0"),
    (lambda: nn.AdaptiveAvgPool2d((2, None)), TypeError, r"output_size must be an int or an \(h, w\) pair"),
    (lambda: nn.AdaptiveMaxPool1d(0), ValueError, r"output_size must be >= 1, got 0"),
    (lambda: nn.Dropout(1.0), ValueError, r"p must be in \[0, 1\), got 1\.0"),
    (lambda: nn.Dropout(-0.1), ValueError, r"p must be in \[0, 1\), got -0\.1"),
    (lambda: nn.Dropout("half"), TypeError, r"p must be a number, got 'half'"),
    (lambda: nn.Embedding(0, 3), ValueError, r"num_embeddings must be >= 1, got 0"),
    (lambda: nn.Embedding(5, 2.5), TypeError, r"embedding_dim must be an int, got 2\.5"),
    (lambda: nn.LeakyReLU(-0.1), ValueError, r"negative_slope must be >= 0, got -0\.1"),
    # inputs
    (lambda: cnnlib.conv1d(np.ones((2, 3, 4, 5)), np.ones((2, 3, 3))), ValueError,
     r"x must be 3-D with layout \(N, C, L\), got shape \(2, 3, 4, 5\)"),
    (lambda: cnnlib.conv1d(np.ones((2, 3, 5)), np.ones((2, 3, 3, 3))), ValueError,
     r"weight must be 3-D with layout \(out_channels, in_channels, k\)"),
    (lambda: cnnlib.conv1d(np.ones((2, 3, 5)), np.ones((2, 2, 3))), ValueError,
     r"channel mismatch: x has 3 channels \(shape \(2, 3, 5\)\) but weight expects in_channels=2"),
    (lambda: cnnlib.conv1d(np.ones((2, 3, 3)), np.ones((2, 3, 6)), padding=1), ValueError,
     r"kernel 6 is longer than the padded input 5 \(x has length 3, padding 1\+1\)"),
    (lambda: cnnlib.conv1d(np.ones((2, 3, 5)), np.ones((2, 3, 3)), stride=0), ValueError,
     r"stride must be >= 1, got 0"),
    (lambda: cnnlib.conv1d(np.ones((2, 3, 5), dtype=int), np.ones((2, 3, 3))), TypeError,
     r"x must be a floating-point array"),
    (lambda: cnnlib.conv1d(np.ones((2, 3, 5)), np.ones((2, 3, 3)), np.ones(3)), ValueError,
     r"bias must have shape \(2,\)"),
    (lambda: cnnlib.conv2d(np.ones((1, 4, 5, 5)), np.ones((6, 4, 3, 3)), groups=2), ValueError,
     r"channel mismatch: with groups=2, x's 4 channels give 2 per group, but weight has 4"),
    (lambda: cnnlib.conv2d(np.ones((1, 4, 5, 5)), np.ones((6, 1, 3, 3)), groups=4), ValueError,
     r"groups=4 must divide both the input channels \(4\) and the output channels \(6\)"),
    (lambda: cnnlib.conv2d(np.ones((1, 4, 5, 5)), np.ones((4, 1, 3, 3)), groups=True), TypeError,
     r"groups must be an int, got True"),
    (lambda: nn.ConvTranspose2d(3, 2, 3)(np.ones((1, 2, 4, 4), dtype=np.float32)), ValueError,
     r"channel mismatch: x has 2 channels .* weight expects in_channels=3"),
    (lambda: nn.ConvTranspose2d(3, 2, 3, padding=3)(np.ones((1, 3, 2, 2), dtype=np.float32)), ValueError,
     r"padding \(3, 3\) removes the whole output"),
    (lambda: nn.ConvTranspose2d(3, 2, 3)(np.ones((3, 4, 4), dtype=np.float32)), ValueError,
     r"x must be 4-D"),
    (lambda: nn.MaxPool1d(4)(np.ones((1, 2, 3))), ValueError,
     r"kernel_size 4 is larger than the padded input 3"),
    (lambda: nn.MaxPool1d(2)(np.ones((1, 2, 3, 3))), ValueError, r"x must be 3-D with layout \(N, C, L\)"),
    (lambda: nn.AdaptiveMaxPool1d(2)(np.ones((1, 2, 3, 3))), ValueError, r"x must be 3-D"),
    (lambda: nn.AdaptiveAvgPool2d(2)(np.ones((1, 2, 3))), ValueError, r"x must be 4-D"),
    (lambda: nn.Sigmoid()(np.ones(3, dtype=int)), TypeError, r"x must be a floating-point array"),
    (lambda: nn.MSELoss()(np.ones((3, 1)), np.ones(3)), ValueError,
     r"target must have the shape of input \(3, 1\), got \(3,\)"),
    (lambda: nn.Embedding(5, 2)(np.array([0, 5, 1])), ValueError,
     r"indices\[1\] = 5 is out of range: .*num_embeddings=5, so indices must be in \[0, 5\)"),
    (lambda: nn.Embedding(5, 2)(np.array([[0, 1], [-1, 2]])), ValueError, r"indices\[1, 0\] = -1 is out of range"),
    (lambda: nn.Embedding(5, 2)(np.array([0.0, 1.0])), TypeError, r"indices must be an integer array, got dtype float64"),
])
def test_bad_input_raises_a_clear_error(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


@pytest.mark.parametrize("layer", [
    nn.Conv1d(1, 1, 1), nn.Conv2d(2, 2, 1, groups=2), nn.ConvTranspose2d(1, 1, 1), nn.MaxPool1d(2),
    nn.AdaptiveMaxPool1d(1), nn.AdaptiveAvgPool2d(1), nn.Sigmoid(), nn.LeakyReLU(), nn.Dropout(),
    nn.Embedding(2, 2), nn.MSELoss()], ids=lambda layer: type(layer).__name__)
def test_backward_before_forward_raises(layer):
    with pytest.raises(RuntimeError, match=rf"^{type(layer).__name__}\.backward\(\) called before forward\(\)"):
        layer.backward() if isinstance(layer, nn.MSELoss) else layer.backward(np.ones((1, 1, 1)))


@pytest.mark.parametrize("make, x, grad_shape, expected", [
    (lambda: nn.Conv1d(2, 3, 3, dtype=np.float64), np.ones((2, 2, 5)), (2, 3, 4), r"\(2, 3, 3\).*got \(2, 3, 4\)"),
    (lambda: nn.MaxPool1d(2), np.ones((2, 2, 6)), (2, 2, 6), r"\(2, 2, 3\).*got \(2, 2, 6\)"),
    (lambda: nn.AdaptiveAvgPool2d(2), np.ones((1, 2, 4, 4)), (1, 2, 4, 4), r"\(1, 2, 2, 2\).*got \(1, 2, 4, 4\)"),
    (lambda: nn.AdaptiveMaxPool1d(1), np.ones((1, 2, 4)), (1, 2), r"\(1, 2, 1\).*got \(1, 2\)"),
    (lambda: nn.ConvTranspose2d(1, 1, 2, dtype=np.float64), np.ones((1, 1, 2, 2)), (1, 1, 2, 2),
     r"\(1, 1, 3, 3\).*got \(1, 1, 2, 2\)"),
    (lambda: nn.Sigmoid(), np.ones((2, 3)), (3, 2), r"\(2, 3\).*got \(3, 2\)"),
    (lambda: nn.Dropout(0.5), np.ones((2, 3)), (2, 1), r"\(2, 3\).*got \(2, 1\)"),
    (lambda: nn.Dropout(0.5).eval(), np.ones((2, 3)), (2, 1), r"\(2, 3\).*got \(2, 1\)"),
    (lambda: nn.Embedding(4, 3), np.array([1, 2]), (2, 4), r"\(2, 3\).*got \(2, 4\)"),
])
def test_backward_rejects_grad_out_of_the_wrong_shape(make, x, grad_shape, expected):
    layer = make()
    layer(x)
    with pytest.raises(ValueError, match=r"grad_out must have the forward output's shape " + expected):
        layer.backward(np.ones(grad_shape))


@pytest.mark.parametrize("kwargs", [
    dict(x=np.ones((2, 3, 4, 5))), dict(w=np.ones((2, 2, 3))), dict(x=np.ones((2, 3, 2))), dict(stride=0),
    dict(padding=-1), dict(padding="same", stride=2), dict(b=np.ones(3)), dict(x=np.ones((2, 3, 5), dtype=int)),
], ids=str)
def test_conv1d_fast_and_reference_raise_the_same_error(kwargs):
    args = dict(x=np.ones((2, 3, 5)), w=np.ones((2, 3, 3)), b=None, stride=1, padding=0) | kwargs
    errors = []
    for impl in (F, R):
        with pytest.raises((ValueError, TypeError)) as info:
            impl.conv1d(args["x"], args["w"], args["b"], stride=args["stride"], padding=args["padding"])
        errors.append((info.type, str(info.value)))
    assert errors[0] == errors[1]


def test_relu_blocks_non_finite_gradients_where_the_input_was_negative():
    # PyTorch's threshold_backward gives exactly 0 there; 0 * inf would be NaN
    relu = nn.ReLU()
    relu(np.array([-1.0, 2.0, -3.0, 4.0]))
    got = relu.backward(np.array([np.inf, np.nan, np.nan, -np.inf]))
    assert got[0] == 0 and got[2] == 0
    assert np.isnan(got[1]) and got[3] == -np.inf
