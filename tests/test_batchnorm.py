"""Batch normalisation: the formula, train/eval semantics, running statistics, gradients.

The expected values come from the definition evaluated directly in float64
(np.mean, np.var over the batch and positions), independent of the chunked
one-pass statistics of the layer.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnlib import nn
from cnnlib.gradcheck import check_layer

TOL = 1e-7


def assert_all_passed(results) -> None:
    failed = [str(r) for r in results if not r.passed]
    assert results and not failed, "\n".join(failed)


def axes_of(x) -> tuple:
    return (0,) + tuple(range(2, x.ndim))  # everything but the channel axis


def per_channel(v, x):
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def reference_train(x, gamma, beta, eps):
    """y, batch mean, biased and unbiased variance, straight from the definition."""
    x = x.astype(np.float64)
    mean, var = x.mean(axis=axes_of(x)), x.var(axis=axes_of(x))
    y = per_channel(gamma, x) * (x - per_channel(mean, x)) / np.sqrt(per_channel(var, x) + eps) + per_channel(beta, x)
    m = x.size // x.shape[1]
    return y, mean, var, var * m / (m - 1)


def make(ndim, c, dtype=np.float64, **kwargs):
    layer = nn.BatchNorm2d(c, dtype=dtype, **kwargs) if ndim == 4 else nn.BatchNorm1d(c, dtype=dtype, **kwargs)
    rng = np.random.default_rng(c)
    layer.weight.data[:] = rng.uniform(0.5, 2.0, c)
    layer.bias.data[:] = rng.normal(size=c)
    return layer


@st.composite
def bn_inputs(draw):
    ndim = draw(st.sampled_from([2, 3, 4]))
    c = draw(st.integers(1, 4))
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(ndim - 2))
    n = draw(st.integers(2 if not spatial else 1, 5))
    if np.prod(spatial, dtype=int) * n < 2:
        n = 2
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    offset, scale = draw(st.sampled_from([(0.0, 1.0), (50.0, 0.1), (-3.0, 10.0)]))
    x = rng.normal(offset, scale, size=(n, c) + spatial)
    return x, draw(st.sampled_from([np.float32, np.float64]))


@given(bn_inputs())
def test_train_forward_matches_the_formula(case):
    x, dtype = case
    layer = make(x.ndim, x.shape[1], dtype=dtype)
    y = layer(x.astype(dtype))
    want, mean, _, unbiased = reference_train(x.astype(dtype), layer.weight.data.astype(np.float64),
                                              layer.bias.data.astype(np.float64), layer.eps)
    assert y.dtype == dtype and y.shape == x.shape
    # y = x * scale + shift, as PyTorch computes it: when |x| is r standard deviations from
    # 0, float32 rounding of x * scale costs about r * 6e-8 (r is up to 2000 here)
    r = np.abs(x).max() / np.sqrt(x.astype(np.float64).var(axis=axes_of(x)).min())
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(y, want, rtol=0, atol=8 * eps * (1 + r) * 2 + 8 * eps * np.abs(want).max())
    # first step from (0, 1): 0.9 * initial + 0.1 * batch value, unbiased variance
    np.testing.assert_allclose(layer.running_mean, 0.1 * mean, rtol=1e-5 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * unbiased, rtol=1e-5 if dtype == np.float32 else 1e-12)
    assert int(layer.num_batches_tracked) == 1


def test_float32_statistics_keep_their_digits_with_a_large_mean():
    # mean 1000, std 0.01: E[x^2] - E[x]^2 in float32 loses every digit of the variance
    rng = np.random.default_rng(0)
    x = (1000 + 0.01 * rng.standard_normal((64, 8, 14, 14))).astype(np.float32)
    exact = x.astype(np.float64).var(axis=(0, 2, 3), ddof=1)
    naive = (x * x).mean(axis=(0, 2, 3)) - x.mean(axis=(0, 2, 3)) ** 2  # what centring avoids
    assert np.abs(naive / exact - 1).max() > 0.5
    layer = nn.BatchNorm2d(8)
    y = layer(x)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * exact, rtol=1e-6)
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.astype(np.float64).mean(axis=(0, 2, 3)), rtol=1e-6)
    # the output (x * scale + shift, as in PyTorch) is standardised up to float32 rounding of
    # x * scale (1000 * 100 * 6e-8 = 6e-3)
    want = reference_train(x, np.ones(8), np.zeros(8), layer.eps)[0]
    np.testing.assert_allclose(y, want, rtol=0, atol=3e-2)


def test_float32_with_many_values_per_channel_agrees_with_float64():
    # a large batch (262,144 values per channel): the chunked float32 sums must not drift
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((256, 4, 32, 32)) * 3 + 7).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    layer = nn.BatchNorm2d(4)
    y = layer(x)
    grad = layer.backward(g)
    want, mean, var, unbiased = reference_train(x, np.ones(4), np.zeros(4), layer.eps)
    np.testing.assert_allclose(y, want, rtol=0, atol=2e-5)
    np.testing.assert_allclose(layer.running_mean, 0.1 * mean, rtol=2e-6)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * unbiased, rtol=2e-6)
    # the compact formula, in float64
    axes, g64 = (0, 2, 3), g.astype(np.float64)
    inv_std = 1 / np.sqrt(per_channel(var, x) + layer.eps)
    xhat = (x - per_channel(mean, x)) * inv_std
    want_grad = inv_std * (g64 - g64.mean(axis=axes, keepdims=True)
                           - xhat * (g64 * xhat).mean(axis=axes, keepdims=True))
    np.testing.assert_allclose(grad, want_grad, rtol=0, atol=2e-6 * np.abs(want_grad).max())
    np.testing.assert_allclose(layer.weight.grad, (g64 * xhat).sum(axis=axes), rtol=1e-4, atol=1e-2)
    np.testing.assert_allclose(layer.bias.grad, g64.sum(axis=axes), rtol=1e-4, atol=1e-2)


def test_running_statistics_over_several_steps():
    layer = make(4, 3, momentum=0.25)
    rng = np.random.default_rng(2)
    mean_want, var_want = np.zeros(3), np.ones(3)
    for step in range(1, 6):
        x = rng.normal(step, 0.5 * step, size=(4, 3, 2, 3))
        layer(x)
        m = x.size // 3  # 24 values per channel
        mean_want = 0.75 * mean_want + 0.25 * x.mean(axis=(0, 2, 3))
        var_want = 0.75 * var_want + 0.25 * x.var(axis=(0, 2, 3)) * m / (m - 1)  # unbiased
        np.testing.assert_allclose(layer.running_mean, mean_want, rtol=1e-12)
        np.testing.assert_allclose(layer.running_var, var_want, rtol=1e-12)
        assert layer.num_batches_tracked.shape == () and layer.num_batches_tracked.dtype == np.int64
        assert int(layer.num_batches_tracked) == step


def test_momentum_none_is_the_cumulative_average():
    layer = make(2, 3, momentum=None)
    rng = np.random.default_rng(3)
    batches = [rng.normal(i, 1 + i, size=(5, 3)) for i in range(4)]
    for x in batches:
        layer(x)
    np.testing.assert_allclose(layer.running_mean, np.mean([x.mean(axis=0) for x in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, np.mean([x.var(axis=0, ddof=1) for x in batches], axis=0),
                               rtol=1e-12)


def test_eval_uses_running_statistics_and_changes_nothing():
    layer = make(3, 2)
    rng = np.random.default_rng(4)
    for _ in range(3):
        layer(rng.normal(2, 3, size=(6, 2, 5)))
    state = layer.state_dict()
    layer.eval()
    x = rng.normal(size=(1, 2, 5))  # a batch of one is fine in eval mode
    y = layer(x)
    rm, rv = per_channel(layer.running_mean, x), per_channel(layer.running_var, x)
    want = per_channel(layer.weight.data, x) * (x - rm) / np.sqrt(rv + layer.eps) + per_channel(layer.bias.data, x)
    np.testing.assert_allclose(y, want, rtol=1e-12)
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, state[key], err_msg=key)
    # each sample is normalised on its own: the batch no longer matters
    both = layer(np.concatenate([x, rng.normal(size=(3, 2, 5))]))
    np.testing.assert_allclose(both[:1], y, rtol=1e-12)
    layer.train()
    assert not np.allclose(layer(x[[0, 0]] + rng.normal(size=(2, 2, 5))), 0)  # train again: batch statistics


def test_train_mode_output_is_standardised():
    layer = nn.BatchNorm2d(5, dtype=np.float64)
    y = layer(np.random.default_rng(5).normal(7, 4, size=(8, 5, 3, 3)))
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-5)  # eps makes it a hair below 1


LAYERS = {
    "BatchNorm2d train": (lambda: make(4, 3), (4, 3, 3, 2), True),
    "BatchNorm2d eval": (lambda: make(4, 3), (2, 3, 3, 2), False),
    "BatchNorm1d (N, C) train": (lambda: make(2, 4), (5, 4), True),
    "BatchNorm1d (N, C, L) train": (lambda: make(3, 2), (3, 2, 4), True),
    "BatchNorm1d (N, C, L) eval": (lambda: make(3, 2), (3, 2, 4), False),
    "BatchNorm2d train, momentum None, eps 1e-3": (lambda: make(4, 2, momentum=None, eps=1e-3), (2, 2, 2, 2), True),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_gradients(name):
    build, shape, training = LAYERS[name]
    layer = build()
    rng = np.random.default_rng(6)
    if not training:  # give the running statistics something to say
        for _ in range(3):
            layer(rng.normal(1, 2, size=shape))
        layer.eval()
    x = rng.normal(3, 2, size=shape)
    results = check_layer(layer, x, tol=TOL)
    assert [r.name for r in results] == ["x", "weight", "bias"]
    assert_all_passed(results)


def test_train_input_gradient_is_orthogonal_to_constants_and_xhat():
    # normalising removes the mean and the scale, so no gradient flows along them
    # (exactly so for eps = 0; eps > 0 leaves a component of relative size eps / var)
    layer = make(4, 2, eps=1e-12)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 2, 4, 4))
    layer(x)
    gx = layer.backward(rng.normal(size=x.shape))
    xhat = (x - x.mean(axis=(0, 2, 3), keepdims=True)) / x.std(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(gx.sum(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose((gx * xhat).sum(axis=(0, 2, 3)), 0, atol=1e-10)


def test_parameters_buffers_and_state_dict():
    layer = nn.BatchNorm2d(6)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(layer.weight.data, np.ones(6))
    np.testing.assert_array_equal(layer.bias.data, np.zeros(6))
    assert [n for n, _ in layer.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    state = layer.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert state["running_mean"].dtype == np.float32 and state["running_var"].dtype == np.float32
    assert state["num_batches_tracked"].dtype == np.int64 and state["num_batches_tracked"].shape == ()
    np.testing.assert_array_equal(state["running_var"], np.ones(6))
    # buffers load in place, the counter too
    running_mean = layer.running_mean
    layer.load_state_dict(dict(state, running_mean=np.full(6, 2.0), num_batches_tracked=np.array(7)))
    assert layer.running_mean is running_mean and running_mean[0] == 2.0
    assert int(layer.num_batches_tracked) == 7


@pytest.mark.parametrize("call, exc, pattern", [
    (lambda: nn.BatchNorm2d(0), ValueError, r"num_features must be >= 1, got 0"),
    (lambda: nn.BatchNorm2d(3, eps=0), ValueError, r"eps must be > 0, got 0"),
    (lambda: nn.BatchNorm2d(3, momentum=1.5), ValueError, r"momentum must be in \[0, 1\], got 1\.5"),
    (lambda: nn.BatchNorm1d(3, momentum="fast"), TypeError, r"momentum must be a number"),
    (lambda: nn.BatchNorm2d(3)(np.ones((2, 3, 4))), ValueError,
     r"BatchNorm2d expects x 4-D \(N, C, H, W\), got shape \(2, 3, 4\) \(3-D\)"),
    (lambda: nn.BatchNorm1d(3)(np.ones((2, 3, 4, 4))), ValueError,
     r"BatchNorm1d expects x 2-D \(N, C\) or 3-D \(N, C, L\), got shape \(2, 3, 4, 4\)"),
    (lambda: nn.BatchNorm2d(3)(np.ones((2, 4, 5, 5))), ValueError,
     r"x has 4 channels \(shape \(2, 4, 5, 5\)\) but this BatchNorm2d has num_features=3"),
    (lambda: nn.BatchNorm1d(3)(np.ones((1, 3))), ValueError,
     r"BatchNorm1d in training mode needs more than one value per channel.*\(1, 3\).*\.eval\(\)"),
    (lambda: nn.BatchNorm2d(3)(np.ones((2, 3, 4, 4), dtype=int)), TypeError, r"x must be a floating-point array"),
])
def test_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_backward_checks():
    layer = nn.BatchNorm2d(2)
    with pytest.raises(RuntimeError, match=r"BatchNorm2d\.backward\(\) called before forward\(\)"):
        layer.backward(np.ones((2, 2, 2, 2)))
    layer(np.random.default_rng(8).normal(size=(2, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"grad_out must have the forward output's shape \(2, 2, 3, 3\)"):
        layer.backward(np.ones((2, 2, 3, 1)))


def test_non_contiguous_input_and_gradient():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(4, 3, 5, 6)).transpose(0, 1, 3, 2)
    g = rng.normal(size=(4, 3, 6, 5))[:, :, :, ::-1]
    a, b = make(4, 3), make(4, 3)
    np.testing.assert_allclose(a(x), b(np.ascontiguousarray(x)), rtol=1e-13)
    np.testing.assert_allclose(a.backward(g), b.backward(np.ascontiguousarray(g)), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("shape", [(300, 3, 20, 20), (1000, 2), (700, 3, 5)])
def test_batches_larger_than_one_chunk(shape):
    # the layer works through big batches in chunks (uneven last one included) and
    # combines their statistics: exact in float64
    rng = np.random.default_rng(10)
    x = rng.normal(4, 3, size=shape)
    g = rng.normal(size=shape)
    layer = make(len(shape), shape[1])
    y = layer(x)
    gx = layer.backward(g)
    want, mean, var, unbiased = reference_train(x, layer.weight.data, layer.bias.data, layer.eps)
    np.testing.assert_allclose(y, want, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * unbiased, rtol=1e-12)
    axes = axes_of(x)
    inv_std = 1 / np.sqrt(per_channel(var, x) + layer.eps)
    xhat = (x - per_channel(mean, x)) * inv_std
    want_gx = per_channel(layer.weight.data, x) * inv_std * (
        g - g.mean(axis=axes, keepdims=True) - xhat * (g * xhat).mean(axis=axes, keepdims=True))
    np.testing.assert_allclose(gx, want_gx, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(layer.weight.grad, (g * xhat).sum(axis=axes), rtol=1e-10)
    np.testing.assert_allclose(layer.bias.grad, g.sum(axis=axes), rtol=1e-10)
