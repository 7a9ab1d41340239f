"""cnnlib.gradcheck itself: it measures the right thing and it CAN fail.

A gradient checker that always says "ok" would make test_gradients.py
worthless, so here it is checked against closed-form derivatives, against
centred differences written out by hand (no cnnlib.gradcheck involved), and
on backward passes that are wrong on purpose.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnlib import conv2d, conv2d_backward, max_pool2d, max_pool2d_backward, nn
from cnnlib.gradcheck import (
    GradcheckResult,
    check_function,
    check_layer,
    check_model,
    numerical_gradient,
)


def manual_centred_gradient(loss, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """dloss/darray by (loss(a + eps e_i) - loss(a - eps e_i)) / (2 eps), on copies."""
    grad = np.empty_like(array)
    for index in np.ndindex(array.shape):
        up, down = array.copy(), array.copy()
        up[index] += eps
        down[index] -= eps
        grad[index] = (loss(up) - loss(down)) / (2 * eps)
    return grad


# --------------------------------------------------------------------------
# independent of cnnlib.gradcheck


def test_conv2d_backward_against_hand_written_centred_differences():
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 2, 5, 6)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    r = rng.normal(size=conv2d(x, w, b, stride=(2, 1), padding=1).shape)
    gx, gw, gb = conv2d_backward(r, x, w, stride=(2, 1), padding=1)
    # L = sum(y * r), so dL/dy = r: the backward pass given r must give dL/dx etc.
    np.testing.assert_allclose(
        gx, manual_centred_gradient(lambda a: np.sum(conv2d(a, w, b, (2, 1), 1) * r), x),
        rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        gw, manual_centred_gradient(lambda a: np.sum(conv2d(x, a, b, (2, 1), 1) * r), w),
        rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        gb, manual_centred_gradient(lambda a: np.sum(conv2d(x, w, a, (2, 1), 1) * r), b),
        rtol=1e-6, atol=1e-8)


def test_max_pool_backward_against_hand_written_centred_differences():
    rng = np.random.default_rng(1)
    x = rng.permutation(2 * 3 * 5 * 5).reshape(2, 3, 5, 5) / 10.0  # no ties
    r = rng.normal(size=max_pool2d(x, 3, 2, 1).shape)
    np.testing.assert_allclose(
        max_pool2d_backward(r, x, 3, 2, 1),
        manual_centred_gradient(lambda a: np.sum(max_pool2d(a, 3, 2, 1) * r), x),
        rtol=1e-6, atol=1e-8)


def test_network_backward_against_hand_written_centred_differences():
    rng = np.random.default_rng(2)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1, rng=rng, dtype=np.float64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8, 3, rng=rng, dtype=np.float64))
    x, y = rng.normal(size=(2, 1, 4, 4)), np.array([2, 0])
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(x), y)
    grad_x = model.backward(loss_fn.backward())
    conv_weight = model[0].weight

    def loss_with(weight):
        saved = conv_weight.data
        conv_weight.data = weight
        try:
            return loss_fn(model(x), y)
        finally:
            conv_weight.data = saved

    np.testing.assert_allclose(conv_weight.grad, manual_centred_gradient(loss_with, conv_weight.data),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grad_x, manual_centred_gradient(lambda a: loss_fn(model(a), y), x),
                               rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------
# numerical_gradient is right


def test_numerical_gradient_of_a_cubic_matches_the_derivative():
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    before = x.copy()
    grad = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    np.testing.assert_allclose(grad, 3 * before ** 2, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(x, before)  # every entry restored


def test_numerical_gradient_equals_the_manual_version():
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(1, 2, 4, 4)), rng.normal(size=(2, 2, 2, 2))
    r = rng.normal(size=(1, 2, 3, 3))
    ours = numerical_gradient(lambda: float(np.sum(conv2d(x, w) * r)), w)
    manual = manual_centred_gradient(lambda a: np.sum(conv2d(x, a) * r), w)
    np.testing.assert_allclose(ours, manual, rtol=1e-12, atol=1e-12)


def test_centred_difference_error_shrinks_like_eps_squared():
    x = np.array([0.7])
    errors = [abs(numerical_gradient(lambda: float(np.sin(x[0])), x, eps)[0] - np.cos(0.7))
              for eps in (1e-2, 1e-3)]
    # error ~ eps^2 f'''/6: ten times smaller eps, about a hundred times smaller error
    assert 50 < errors[0] / errors[1] < 200


def test_numerical_gradient_needs_an_array_it_can_perturb_in_place():
    x = np.arange(12.0).reshape(3, 4).T  # not contiguous: reshape(-1) would copy
    with pytest.raises(ValueError, match=r"x must be contiguous"):
        numerical_gradient(lambda: float(np.sum(x)), x)


def test_rel_error_formula():
    result = GradcheckResult("w", 0.0, 0.0, 1e-7)
    assert result.passed and "ok" in str(result)
    # ||a - n|| / (||a|| + ||n||) with a = (3, 4), n = (0, 0): 5 / 5 = 1
    results = check_function(lambda x: np.zeros(2) * x, lambda g, x: (np.array([3.0, 4.0]),),
                             np.array([1.0, 2.0]))
    assert results[0].rel_error == pytest.approx(1.0)
    assert results[0].max_abs_error == pytest.approx(4.0)
    assert not results[0].passed and "MISMATCH" in str(results[0])


# --------------------------------------------------------------------------
# it catches wrong backward passes


def test_check_function_catches_a_wrong_gradient():
    rng = np.random.default_rng(4)
    x, w = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(2, 2, 3, 3))

    def forgets_the_padding(g, x, w):  # backward of padding 0 for a padding-1 forward
        return conv2d_backward(g[:, :, 1:-1, 1:-1], x, w)[:2]

    def flips_the_kernel(g, x, w):  # the convolution-vs-correlation mix-up
        gx, gw, _ = conv2d_backward(g, x, w, padding=1)
        return gx, gw[:, :, ::-1, ::-1]

    good = check_function(lambda x, w: conv2d(x, w, padding=1),
                          lambda g, x, w: conv2d_backward(g, x, w, padding=1)[:2], x, w)
    assert all(r.passed for r in good)
    bad = check_function(lambda x, w: conv2d(x, w, padding=1), forgets_the_padding, x, w)
    assert not all(r.passed for r in bad)
    bad = check_function(lambda x, w: conv2d(x, w, padding=1), flips_the_kernel, x, w,
                         names=["x", "w"])
    assert bad[0].passed and not bad[1].passed


def test_check_function_catches_a_small_error():
    x = np.random.default_rng(5).normal(size=20)
    # the true gradient times (1 + 1e-5): far below what a plot would show
    results = check_function(lambda x: np.tanh(x),
                             lambda g, x: (g * (1 - np.tanh(x) ** 2) * (1 + 1e-5),), x)
    assert not results[0].passed


class ReLUWithoutMask(nn.ReLU):
    def backward(self, grad_out):
        self._cached("_out")
        return grad_out  # wrong: passes the gradient through negative inputs too


class LinearWithStaleBias(nn.Linear):
    def backward(self, grad_out):
        grad_x = super().backward(grad_out)
        self.bias.grad *= 0.5  # wrong: half the bias gradient
        return grad_x


def test_check_layer_catches_a_wrong_layer():
    x = np.linspace(-1, 1, 24).reshape(4, 6) + 0.01
    assert all(r.passed for r in check_layer(nn.ReLU(), x))
    assert not check_layer(ReLUWithoutMask(), x)[0].passed
    rng = np.random.default_rng(6)
    results = {r.name: r for r in check_layer(
        LinearWithStaleBias(6, 3, dtype=np.float64, rng=rng), x)}
    assert results["x"].passed and results["weight"].passed
    assert not results["bias"].passed


def test_check_model_catches_a_wrong_layer_deep_inside():
    rng = np.random.default_rng(7)

    def model(relu):
        return nn.Sequential(nn.Linear(4, 5, rng=np.random.default_rng(8), dtype=np.float64), relu,
                             nn.Linear(5, 3, rng=np.random.default_rng(9), dtype=np.float64))

    x, y = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)
    assert all(r.passed for r in check_model(model(nn.ReLU()), nn.CrossEntropyLoss(), x, y))
    results = check_model(model(ReLUWithoutMask()), nn.CrossEntropyLoss(), x, y)
    assert not all(r.passed for r in results)
    # layers after the broken one still get a correct gradient
    assert {r.name: r.passed for r in results}["2.weight"]


# --------------------------------------------------------------------------
# its own argument checks and side effects


def test_gradcheck_refuses_float32():
    x32 = np.ones((2, 3), dtype=np.float32)
    with pytest.raises(TypeError, match=r"x must be float64 for a gradient check.*got float32"):
        check_layer(nn.ReLU(), x32)
    with pytest.raises(TypeError, match=r"weight must be float64.*got float32"):
        check_layer(nn.Linear(3, 2), np.ones((2, 3)))  # float32 parameters by default
    with pytest.raises(TypeError, match=r"input0 must be float64.*got float32"):
        check_function(np.tanh, lambda g, x: (g,), x32)


def test_gradcheck_reports_a_wrong_number_or_shape_of_gradients():
    x = np.ones(3)
    with pytest.raises(ValueError, match=r"backward returned 2 gradients for 1 inputs"):
        check_function(np.tanh, lambda g, x: (g, g), x)
    with pytest.raises(ValueError, match=r"gradient of input0 has shape \(2,\), expected \(3,\)"):
        check_function(np.tanh, lambda g, x: (g[:2],), x)


def test_check_layer_leaves_gradients_zero_and_values_unchanged():
    layer = nn.Linear(3, 2, dtype=np.float64, rng=np.random.default_rng(10))
    before = layer.state_dict()
    check_layer(layer, np.random.default_rng(11).normal(size=(4, 3)))
    for name, p in layer.named_parameters():
        np.testing.assert_array_equal(p.grad, 0)
        np.testing.assert_array_equal(p.data, before[name])
