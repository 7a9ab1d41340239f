"""Every internal column layout of the fast convolution equals the reference.

cnnlib's fast convolution (``cnnlib._kernels``) picks one of several im2col
layouts from the shapes (see the comment above ``_column_layout``). The property tests elsewhere use small
batches, which always take the same path, so here each layout is forced in
turn and checked against the readable loops, through the functional API and
through a layer that reuses its scratch buffers between calls.
"""

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnlib
from cnnlib import _kernels as K
from cnnlib import nn, reference

LAYOUTS = ["per_sample", "channel_major", "batch_last"]


@contextmanager
def forced(layout):
    """Make the fast convolution use ``layout`` (and small chunks, so the
    chunked loops run more than one chunk even on small inputs)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(K, "_column_layout", lambda *args: layout)
        for name in ("_CHUNK_BYTES", "_BIG_CHUNK_BYTES"):
            if hasattr(K, name):
                mp.setattr(K, name, 512)
        yield


@st.composite
def conv_case(draw):
    n = draw(st.integers(1, 5))
    c = draw(st.integers(1, 3))
    f = draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from([0, 1, (0, 2), "same"]))
    if padding == "same":
        stride = 1
    h = draw(st.integers(max(1, kh - 2), 7))
    w = draw(st.integers(max(1, kw - 2), 7))
    seed = draw(st.integers(0, 2**31))
    return n, c, f, (kh, kw), stride, padding, (h, w), seed


def _arrays(case, dtype):
    n, c, f, (kh, kw), stride, padding, (h, w), seed = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, h, w)).astype(dtype)
    weight = rng.normal(size=(f, c, kh, kw)).astype(dtype)
    bias = rng.normal(size=f).astype(dtype)
    return x, weight, bias, stride, padding


def _fits(x, weight, stride, padding):
    try:
        cnnlib.conv2d(x, weight, None, stride, padding)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("layout", LAYOUTS)
@given(case=conv_case())
def test_forced_layout_matches_reference(layout, case):
    x, weight, bias, stride, padding = _arrays(case, np.float64)
    if not _fits(x, weight, stride, padding):
        return
    with forced(layout):
        out, cache = K.conv2d_forward(x, weight, bias, stride, padding)
        g = np.random.default_rng(1).normal(size=out.shape)
        got = K.conv2d_backward(g, cache)
    np.testing.assert_allclose(out, reference.conv2d(x, weight, bias, stride, padding),
                               rtol=1e-10, atol=1e-10)
    want = reference.conv2d_backward(g, x, weight, stride, padding)
    for name, a, b in zip(("grad_x", "grad_weight", "grad_bias"), got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=f"{layout}: {name}")
        assert a.dtype == np.float64, name


@pytest.mark.parametrize("layout", LAYOUTS)
@given(case=conv_case())
def test_forced_layout_without_input_gradient(layout, case):
    # skipping the input gradient must not change the weight and bias gradients
    x, weight, bias, stride, padding = _arrays(case, np.float64)
    if not _fits(x, weight, stride, padding):
        return
    with forced(layout):
        out, cache = K.conv2d_forward(x, weight, bias, stride, padding)
        g = np.random.default_rng(1).normal(size=out.shape)
        grad_x, grad_w, grad_b = K.conv2d_backward(g, cache, input_grad=False)
    assert grad_x is None
    _, want_w, want_b = reference.conv2d_backward(g, x, weight, stride, padding)
    np.testing.assert_allclose(grad_w, want_w, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad_b, want_b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("layout", LAYOUTS)
@given(case=conv_case())
def test_forced_layout_float32_keeps_dtype(layout, case):
    x, weight, bias, stride, padding = _arrays(case, np.float32)
    if not _fits(x, weight, stride, padding):
        return
    with forced(layout):
        out, cache = K.conv2d_forward(x, weight, bias, stride, padding)
        grads = K.conv2d_backward(np.ones_like(out), cache)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, reference.conv2d(x, weight, bias, stride, padding),
                               rtol=1e-4, atol=1e-4)
    assert all(a.dtype == np.float32 for a in grads)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layer_reuses_buffers_without_corrupting_results(layout):
    """Arrays a layer returned stay intact after the layer runs again."""
    with forced(layout):
        _run_layer_twice()


def _run_layer_twice():
    rng = np.random.default_rng(0)
    layer = nn.Conv2d(2, 3, 3, padding=1, rng=rng, dtype=np.float64)
    x1 = rng.normal(size=(4, 2, 6, 5))
    x2 = rng.normal(size=(3, 2, 6, 5))  # a different batch size reuses the same buffers
    out1 = layer(x1)
    g1 = rng.normal(size=out1.shape)
    grad_x1 = layer.backward(g1)
    out1_copy, grad_x1_copy = out1.copy(), grad_x1.copy()
    grad_w1 = layer.weight.grad.copy()
    layer.zero_grad()
    out2 = layer(x2)
    grad_x2 = layer.backward(rng.normal(size=out2.shape))
    np.testing.assert_array_equal(out1, out1_copy)
    np.testing.assert_array_equal(grad_x1, grad_x1_copy)
    np.testing.assert_allclose(out1, reference.conv2d(x1, layer.weight.data, layer.bias.data, 1, 1),
                               rtol=1e-10, atol=1e-10)
    want_gx, want_gw, _ = reference.conv2d_backward(g1, x1, layer.weight.data, 1, 1)
    np.testing.assert_allclose(grad_x1, want_gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad_w1, want_gw, rtol=1e-10, atol=1e-10)
    assert not np.shares_memory(out1, out2) and not np.shares_memory(grad_x1, grad_x2)


@pytest.mark.parametrize("shape, weight_shape", [
    ((64, 8, 8, 8), (16, 8, 3, 3)),      # many small images: a LeNet-like second layer
    ((16, 64, 56, 56), (64, 64, 3, 3)),  # a big layer
    ((2, 3, 10, 10), (4, 3, 3, 3)),      # a small batch
])
def test_selector_returns_a_known_layout(shape, weight_shape):
    n, c, h, w = shape
    f, _, kh, kw = weight_shape
    layout = K._column_layout(n, f, c * kh * kw, h * w, w)
    assert layout in LAYOUTS
