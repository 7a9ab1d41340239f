"""SGD and Adam against their published update rules, worked by hand.

SGD (with PyTorch's momentum convention, b = mu * b + g, first b = g) and
Adam (Kingma & Ba 2015, Algorithm 1): the expected numbers below are computed
from those formulas directly, not from cnnlib. Both also have to find the
minimum of a convex quadratic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnnlib import nn, optim


def param(values, dtype=np.float64) -> nn.Parameter:
    return nn.Parameter(np.array(values, dtype=dtype))


def step_with(opt, p: nn.Parameter, grad) -> None:
    p.grad[...] = grad
    opt.step()


# --------------------------------------------------------------------------
# SGD


def test_sgd_plain_step():
    p = param([1.0, 2.0])
    step_with(optim.SGD([p], lr=0.1), p, [0.5, -1.0])
    # w - lr g = (1 - 0.05, 2 + 0.1)
    np.testing.assert_allclose(p.data, [0.95, 2.1], rtol=1e-15)


def test_sgd_weight_decay_adds_wd_times_w_to_the_gradient():
    p = param([1.0, 2.0])
    step_with(optim.SGD([p], lr=0.1, weight_decay=0.1), p, [0.5, -1.0])
    # g = (0.5 + 0.1, -1 + 0.2) = (0.6, -0.8)
    np.testing.assert_allclose(p.data, [0.94, 2.08], rtol=1e-15)


def test_sgd_two_momentum_steps_by_hand():
    p = param([0.0, 0.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    step_with(opt, p, [1.0, -2.0])
    # first step: b = g = (1, -2), w = (-0.1, 0.2)
    np.testing.assert_allclose(p.data, [-0.1, 0.2], rtol=1e-15)
    step_with(opt, p, [0.5, 0.5])
    # second: b = 0.9 (1, -2) + (0.5, 0.5) = (1.4, -1.3), w = (-0.1 - 0.14, 0.2 + 0.13)
    np.testing.assert_allclose(p.data, [-0.24, 0.33], rtol=1e-14)


def test_sgd_momentum_with_weight_decay_by_hand():
    p = param([1.0])
    opt = optim.SGD([p], lr=0.5, momentum=0.5, weight_decay=0.2)
    step_with(opt, p, [1.0])
    # g = 1 + 0.2 * 1 = 1.2, b = 1.2, w = 1 - 0.6 = 0.4
    np.testing.assert_allclose(p.data, [0.4], rtol=1e-15)
    step_with(opt, p, [1.0])
    # g = 1 + 0.2 * 0.4 = 1.08, b = 0.5 * 1.2 + 1.08 = 1.68, w = 0.4 - 0.84 = -0.44
    np.testing.assert_allclose(p.data, [-0.44], rtol=1e-14)


def test_sgd_momentum_buffers_are_per_parameter():
    a, b = param([0.0]), param([0.0])
    opt = optim.SGD([a, b], lr=1.0, momentum=0.5)
    a.grad[...], b.grad[...] = 1.0, -3.0
    opt.step()
    opt.step()
    # each: b1 = g, b2 = 0.5 g + g = 1.5 g; w = -(g + 1.5 g) = -2.5 g
    np.testing.assert_allclose([a.data[0], b.data[0]], [-2.5, 7.5], rtol=1e-15)


# --------------------------------------------------------------------------
# Adam


def adam_by_the_paper(grads, w0, lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    """Kingma & Ba (2015), Algorithm 1, on Python floats (L2 weight decay as in torch.optim.Adam)."""
    w, m, v = float(w0), 0.0, 0.0
    trajectory = []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        w = w - lr * m_hat / (math.sqrt(v_hat) + eps)
        trajectory.append(w)
    return trajectory


def test_adam_first_step_moves_every_weight_by_lr_times_sign():
    grads = np.array([1e-3, -5.0, 100.0, -0.25, 0.0])
    p = param(np.ones(5))
    step_with(optim.Adam([p], lr=0.01), p, grads)
    # m_hat = g and v_hat = g^2 after one step, so the step is lr * g / (|g| + eps)
    np.testing.assert_allclose(p.data, 1 - 0.01 * np.sign(grads), rtol=1e-6)


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.1),
    dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.05, weight_decay=0.3),
])
def test_adam_several_steps_follow_the_paper(kwargs):
    grads = [2.0, -1.0, 0.5, 0.5, -3.0, 0.01]
    w0 = 0.7
    expected = adam_by_the_paper(grads, w0, kwargs["lr"], *kwargs.get("betas", (0.9, 0.999)),
                                 eps=kwargs.get("eps", 1e-8), weight_decay=kwargs.get("weight_decay", 0.0))
    p = param([w0])
    opt = optim.Adam([p], **kwargs)
    for g, want in zip(grads, expected):
        step_with(opt, p, [g])
        assert p.data[0] == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_adam_second_step_by_hand():
    p = param([0.0])
    opt = optim.Adam([p], lr=0.1)
    step_with(opt, p, [2.0])
    assert p.data[0] == pytest.approx(-0.1, rel=1e-8)
    step_with(opt, p, [-1.0])
    # m = 0.9 * 0.2 - 0.1 = 0.08, v = 0.999 * 0.004 + 0.001 = 0.004996;
    # m_hat = 0.08 / 0.19, v_hat = 0.004996 / 0.001999. The mean m is still
    # positive (the first gradient dominates), so w keeps moving down.
    step2 = 0.1 * (0.08 / 0.19) / math.sqrt(0.004996 / 0.001999)
    assert step2 == pytest.approx(0.02663, abs=1e-5)
    assert p.data[0] == pytest.approx(-0.1 - step2, rel=1e-7)


def test_optimizers_keep_float32_parameters_float32():
    for opt_class, kwargs in ((optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
                              (optim.Adam, dict(lr=0.1, weight_decay=0.01))):
        p = param([1.0, -1.0], dtype=np.float32)
        data = p.data
        opt = opt_class([p], **kwargs)
        for _ in range(3):
            step_with(opt, p, [0.3, 0.2])
        assert p.data.dtype == np.float32
        assert p.data is data  # updated in place: layers keep seeing the same array


def test_optimizer_zero_grad():
    ps = [param([1.0, 2.0]), param([[3.0]])]
    opt = optim.SGD(ps, lr=0.1)
    for p in ps:
        p.grad[...] = 5.0
    opt.zero_grad()
    assert all(not p.grad.any() for p in ps)


def test_step_without_gradient_changes_nothing():
    for opt_class in (optim.SGD, optim.Adam):
        p = param([1.0, 2.0])
        opt_class([p], lr=0.1).step()
        np.testing.assert_array_equal(p.data, [1.0, 2.0])


# --------------------------------------------------------------------------
# convex quadratic: f(w) = 1/2 (w - c)^T A (w - c), minimum at c


A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])  # symmetric positive definite
C = np.array([1.5, -2.0, 0.25])


def minimise(opt_factory, steps: int) -> np.ndarray:
    p = param(np.zeros(3))
    opt = opt_factory([p])
    for _ in range(steps):
        opt.zero_grad()
        p.grad += A @ (p.data - C)  # gradient of the quadratic
        opt.step()
    return p.data


@pytest.mark.parametrize("name, factory, steps, tol", [
    ("sgd", lambda ps: optim.SGD(ps, lr=0.2), 300, 1e-8),
    ("sgd momentum", lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9), 400, 1e-8),
    ("adam", lambda ps: optim.Adam(ps, lr=0.05), 2000, 1e-3),
])
def test_minimises_a_convex_quadratic(name, factory, steps, tol):
    assert np.all(np.linalg.eigvalsh(A) > 0)
    np.testing.assert_allclose(minimise(factory, steps), C, atol=tol, err_msg=name)


def test_weight_decay_moves_the_minimum_as_predicted():
    # minimising f + wd/2 |w|^2: gradient A (w - c) + wd w = 0 -> w = (A + wd I)^-1 A c
    wd = 0.5
    got = minimise(lambda ps: optim.SGD(ps, lr=0.1, weight_decay=wd), 500)
    np.testing.assert_allclose(got, np.linalg.solve(A + wd * np.eye(3), A @ C), atol=1e-8)
