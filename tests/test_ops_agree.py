"""The fast ops in cnnlib.functional agree with the readable loops in cnnlib.reference.

The reference loops mirror the maths one output pixel at a time, so they are
the independent yardstick for the im2col / strided-view versions. Hypothesis
draws shapes, strides, paddings, batch sizes and dtypes; sizes stay small so
the slow loops stay fast. Values are either Gaussian or small whole numbers
(the latter make ties in max pooling common, so the tie rule is exercised).

Also: the output dtype follows the input dtype for every op, and the layers'
cached forward/backward path gives the functional path's results.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnlib import functional as F
from cnnlib import nn
from cnnlib import reference as R

DTYPES = (np.float32, np.float64)


# --------------------------------------------------------------------------
# strategies


def tolerances(dtype) -> dict:
    """Summation order differs between the two implementations; allow for it."""
    return {"rtol": 2e-5, "atol": 2e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


stride_values = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))


def _values(rng: np.random.Generator, kind: str, shape, dtype) -> np.ndarray:
    if kind == "ints":  # many exact ties
        return rng.integers(-2, 3, size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


@st.composite
def conv_cases(draw):
    """(x, weight, bias, stride, padding) for a convolution whose kernel fits."""
    n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["int", "pair", "valid", "same"]))
    if kind == "same":
        stride = draw(st.sampled_from([1, (1, 1)]))
        padding, pad_h, pad_w = "same", 0, 0  # "same" always fits
    else:
        stride = draw(stride_values)
        if kind == "int":
            pad_h = pad_w = padding = draw(st.integers(0, 2))
        elif kind == "pair":
            pad_h, pad_w = draw(st.integers(0, 2)), draw(st.integers(0, 2))
            padding = (pad_h, pad_w)
        else:
            padding, pad_h, pad_w = "valid", 0, 0
    if kind == "same":
        h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    else:
        h = draw(st.integers(max(1, kh - 2 * pad_h), kh - 2 * pad_h + 6))
        w = draw(st.integers(max(1, kw - 2 * pad_w), kw - 2 * pad_w + 6))
    dtype = draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = draw(st.sampled_from(["normal", "ints"]))
    x = _values(rng, values, (n, c, h, w), dtype)
    weight = _values(rng, values, (f, c, kh, kw), dtype)
    bias = draw(st.sampled_from([None, "bias"]))
    bias = None if bias is None else _values(rng, values, (f,), dtype)
    return x, weight, bias, stride, padding


@st.composite
def pool_cases(draw):
    """(x, kernel_size, stride, padding) for a pooling whose window fits."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kernel_size = kh if kh == kw and draw(st.booleans()) else (kh, kw)
    stride = draw(st.one_of(st.none(), stride_values))
    pad_h, pad_w = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    padding = pad_h if pad_h == pad_w and draw(st.booleans()) else (pad_h, pad_w)
    h = draw(st.integers(max(1, kh - 2 * pad_h), kh - 2 * pad_h + 7))
    w = draw(st.integers(max(1, kw - 2 * pad_w), kw - 2 * pad_w + 7))
    dtype = draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = _values(rng, draw(st.sampled_from(["normal", "ints"])), (n, c, h, w), dtype)
    return x, kernel_size, stride, padding


def _grad_like(shape, dtype, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


# --------------------------------------------------------------------------
# convolution


@given(conv_cases())
def test_conv2d_matches_reference(case):
    x, weight, bias, stride, padding = case
    fast = F.conv2d(x, weight, bias, stride=stride, padding=padding)
    slow = R.conv2d(x, weight, bias, stride=stride, padding=padding)
    assert fast.shape == slow.shape
    assert fast.dtype == slow.dtype == x.dtype
    np.testing.assert_allclose(fast, slow, **tolerances(x.dtype))


@given(conv_cases())
def test_conv2d_backward_matches_reference(case):
    x, weight, _, stride, padding = case
    out_shape = R.conv2d(x, weight, stride=stride, padding=padding).shape
    grad_out = _grad_like(out_shape, x.dtype)
    fast = F.conv2d_backward(grad_out, x, weight, stride=stride, padding=padding)
    slow = R.conv2d_backward(grad_out, x, weight, stride=stride, padding=padding)
    for name, a, b, like in zip(("grad_x", "grad_weight", "grad_bias"), fast, slow,
                                (x, weight, weight[:, 0, 0, 0])):
        assert a.shape == b.shape == like.shape, name
        assert a.dtype == b.dtype == x.dtype, name
        np.testing.assert_allclose(a, b, **tolerances(x.dtype), err_msg=name)


# --------------------------------------------------------------------------
# pooling


@given(pool_cases())
def test_max_pool2d_matches_reference(case):
    x, kernel_size, stride, padding = case
    fast = F.max_pool2d(x, kernel_size, stride, padding)
    slow = R.max_pool2d(x, kernel_size, stride, padding)
    assert fast.dtype == slow.dtype == x.dtype
    # a maximum is one of the inputs: no rounding, so exact equality
    np.testing.assert_array_equal(fast, slow)


@given(pool_cases())
def test_max_pool2d_backward_matches_reference(case):
    x, kernel_size, stride, padding = case
    grad_out = _grad_like(R.max_pool2d(x, kernel_size, stride, padding).shape, x.dtype)
    fast = F.max_pool2d_backward(grad_out, x, kernel_size, stride, padding)
    slow = R.max_pool2d_backward(grad_out, x, kernel_size, stride, padding)
    assert fast.shape == slow.shape == x.shape
    assert fast.dtype == slow.dtype == x.dtype
    # overlapping windows add in different orders, hence allclose
    np.testing.assert_allclose(fast, slow, **tolerances(x.dtype))


@given(pool_cases())
def test_avg_pool2d_matches_reference(case):
    x, kernel_size, stride, padding = case
    fast = F.avg_pool2d(x, kernel_size, stride, padding)
    slow = R.avg_pool2d(x, kernel_size, stride, padding)
    assert fast.shape == slow.shape
    assert fast.dtype == slow.dtype == x.dtype
    np.testing.assert_allclose(fast, slow, **tolerances(x.dtype))


@given(pool_cases())
def test_avg_pool2d_backward_matches_reference(case):
    x, kernel_size, stride, padding = case
    grad_out = _grad_like(R.avg_pool2d(x, kernel_size, stride, padding).shape, x.dtype)
    fast = F.avg_pool2d_backward(grad_out, x, kernel_size, stride, padding)
    slow = R.avg_pool2d_backward(grad_out, x, kernel_size, stride, padding)
    assert fast.shape == slow.shape == x.shape
    assert fast.dtype == slow.dtype == x.dtype
    np.testing.assert_allclose(fast, slow, **tolerances(x.dtype))


# --------------------------------------------------------------------------
# dtype follows the input, whatever the other arguments are


@pytest.mark.parametrize("impl", [F, R], ids=["fast", "reference"])
@pytest.mark.parametrize("dtype, other", [(np.float32, np.float64), (np.float64, np.float32)])
def test_output_dtype_follows_x(impl, dtype, other):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 2, 5, 5)).astype(dtype)
    weight = rng.normal(size=(3, 2, 3, 3)).astype(other)
    bias = rng.normal(size=3).astype(other)
    y = impl.conv2d(x, weight, bias, padding=1)
    assert y.dtype == dtype
    grads = impl.conv2d_backward(rng.normal(size=y.shape).astype(other), x, weight, padding=1)
    assert [g.dtype for g in grads] == [dtype] * 3
    for fwd, bwd in ((impl.max_pool2d, impl.max_pool2d_backward),
                     (impl.avg_pool2d, impl.avg_pool2d_backward)):
        y = fwd(x, 2, 1, 1)
        assert y.dtype == dtype
        assert bwd(rng.normal(size=y.shape).astype(other), x, 2, 1, 1).dtype == dtype


def test_non_contiguous_input_gives_the_same_result():
    rng = np.random.default_rng(2)
    base = rng.normal(size=(2, 7, 7, 3))
    x = base.transpose(0, 3, 1, 2)  # NHWC memory seen as NCHW: a strided view
    assert not x.flags.c_contiguous
    weight = rng.normal(size=(4, 3, 3, 3))
    np.testing.assert_allclose(F.conv2d(x, weight, stride=2, padding=1),
                               R.conv2d(np.ascontiguousarray(x), weight, stride=2, padding=1),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(F.max_pool2d(x, 3, 2, 1),
                                  R.max_pool2d(np.ascontiguousarray(x), 3, 2, 1))


@pytest.mark.parametrize("impl", [F, R], ids=["fast", "reference"])
def test_empty_batch(impl):
    x, w = np.zeros((0, 2, 5, 5)), np.ones((3, 2, 3, 3))
    assert impl.conv2d(x, w, np.zeros(3), padding=1).shape == (0, 3, 5, 5)
    gx, gw, gb = impl.conv2d_backward(np.zeros((0, 3, 5, 5)), x, w, padding=1)
    assert gx.shape == x.shape and gw.shape == w.shape and gb.shape == (3,)
    assert not gw.any() and not gb.any()  # nothing seen, nothing learned
    for fwd, bwd in ((impl.max_pool2d, impl.max_pool2d_backward),
                     (impl.avg_pool2d, impl.avg_pool2d_backward)):
        assert fwd(x, 2).shape == (0, 2, 2, 2)
        assert bwd(np.zeros((0, 2, 2, 2)), x, 2).shape == x.shape


@pytest.mark.parametrize("setting", [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)],
                         ids=str)
def test_max_pool_with_nan_agrees(setting):
    # a NaN is the maximum of its window (NumPy's max and argmax), so its
    # window's gradient goes to it instead of vanishing
    x = np.random.default_rng(4).normal(size=(1, 2, 4, 4))
    x[0, 0, 1, 1] = x[0, 1, 2, 3] = np.nan
    grad_out = _grad_like(R.max_pool2d(x, **setting).shape, x.dtype)
    np.testing.assert_array_equal(F.max_pool2d(x, **setting), R.max_pool2d(x, **setting))
    fast = F.max_pool2d_backward(grad_out, x, **setting)
    np.testing.assert_allclose(fast, R.max_pool2d_backward(grad_out, x, **setting), rtol=1e-15)
    assert fast.sum() == pytest.approx(grad_out.sum())  # no window's gradient is lost


def test_inputs_are_not_modified():
    rng = np.random.default_rng(3)
    x, weight, bias = rng.normal(size=(2, 2, 6, 6)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    grad = rng.normal(size=(2, 3, 6, 6))
    copies = [a.copy() for a in (x, weight, bias, grad)]
    F.conv2d(x, weight, bias, padding="same")
    F.conv2d_backward(grad, x, weight, padding="same")
    F.max_pool2d_backward(rng.normal(size=(2, 2, 3, 3)), x, 2)
    F.avg_pool2d_backward(rng.normal(size=(2, 2, 3, 3)), x, 2)
    for before, after in zip(copies, (x, weight, bias, grad)):
        np.testing.assert_array_equal(before, after)


# --------------------------------------------------------------------------
# the layers' cached path equals the functional path


@given(conv_cases())
def test_conv2d_layer_matches_functional(case):
    x, weight, bias, stride, padding = case
    f, c, kh, kw = weight.shape
    layer = nn.Conv2d(c, f, (kh, kw), stride=stride, padding=padding, bias=bias is not None,
                      dtype=x.dtype, rng=np.random.default_rng(0))
    layer.weight.data[...] = weight
    if bias is not None:
        layer.bias.data[...] = bias
    y = layer(x)
    np.testing.assert_array_equal(y, F.conv2d(x, weight, bias, stride, padding))
    grad_out = _grad_like(y.shape, x.dtype, seed=1)
    grad_x = layer.backward(grad_out)
    want_x, want_w, want_b = F.conv2d_backward(grad_out, x, weight, stride, padding)
    np.testing.assert_array_equal(grad_x, want_x)
    np.testing.assert_array_equal(layer.weight.grad, want_w)
    if bias is not None:
        np.testing.assert_array_equal(layer.bias.grad, want_b)


@given(pool_cases())
def test_pool_layers_match_functional(case):
    x, kernel_size, stride, padding = case
    for layer, fwd, bwd in ((nn.MaxPool2d(kernel_size, stride, padding),
                             F.max_pool2d, F.max_pool2d_backward),
                            (nn.AvgPool2d(kernel_size, stride, padding),
                             F.avg_pool2d, F.avg_pool2d_backward)):
        y = layer(x)
        np.testing.assert_array_equal(y, fwd(x, kernel_size, stride, padding))
        grad_out = _grad_like(y.shape, x.dtype, seed=1)
        np.testing.assert_array_equal(layer.backward(grad_out),
                                      bwd(grad_out, x, kernel_size, stride, padding))
