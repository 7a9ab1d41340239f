"""SGD, Adam and AdamW against their published update rules, worked by hand.

SGD (with PyTorch's momentum convention, b = mu * b + g, first b = g; Nesterov
g + mu * b), Adam (Kingma & Ba 2015, Algorithm 1) and AdamW (Loshchilov &
Hutter 2019, with PyTorch's w -= lr * wd * w): the expected numbers below are
computed from those formulas directly, not from cnnlib. All have to find the
minimum of a convex quadratic, follow torch.optim's trajectories step by step
(when PyTorch is installed), and resume bit-identically from a state_dict.
Bad arguments raise errors that name them.
"""

from __future__ import annotations

import math
import re

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


# --------------------------------------------------------------------------
# Nesterov momentum and AdamW, by hand


def test_sgd_nesterov_two_steps_by_hand():
    p = param([0.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    step_with(opt, p, [1.0])
    # b = g = 1; the step uses g + mu b = 1.9: w = -0.19
    np.testing.assert_allclose(p.data, [-0.19], rtol=1e-15)
    step_with(opt, p, [1.0])
    # b = 0.9 * 1 + 1 = 1.9; g + mu b = 1 + 1.71 = 2.71: w = -0.19 - 0.271 = -0.461
    np.testing.assert_allclose(p.data, [-0.461], rtol=1e-14)


def test_sgd_nesterov_with_weight_decay_by_hand():
    p = param([1.0])
    opt = optim.SGD([p], lr=0.5, momentum=0.5, weight_decay=0.2, nesterov=True)
    step_with(opt, p, [1.0])
    # g = 1 + 0.2 = 1.2, b = 1.2, g + mu b = 1.8: w = 1 - 0.9 = 0.1
    np.testing.assert_allclose(p.data, [0.1], rtol=1e-14)
    step_with(opt, p, [1.0])
    # g = 1 + 0.02 = 1.02, b = 0.6 + 1.02 = 1.62, g + mu b = 1.83: w = 0.1 - 0.915 = -0.815
    np.testing.assert_allclose(p.data, [-0.815], rtol=1e-14)


def test_nesterov_differs_from_plain_momentum():
    plain, nesterov = param([0.0]), param([0.0])
    opts = (optim.SGD([plain], lr=0.1, momentum=0.9),
            optim.SGD([nesterov], lr=0.1, momentum=0.9, nesterov=True))
    for opt, p in zip(opts, (plain, nesterov)):
        step_with(opt, p, [1.0])
    assert plain.data[0] == pytest.approx(-0.1) and nesterov.data[0] == pytest.approx(-0.19)


def adamw_by_the_paper(grads, w0, lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2):
    """Loshchilov & Hutter (2019), Algorithm 2, on Python floats.

    The paper decays by eta_t * lambda * w with a schedule multiplier eta_t;
    torch.optim.AdamW (and cnnlib) use lr * weight_decay * w, as here.
    """
    w, m, v = float(w0), 0.0, 0.0
    trajectory = []
    for t, g in enumerate(grads, start=1):
        w = w - lr * weight_decay * w  # decoupled: not part of the gradient
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        w = w - lr * m_hat / (math.sqrt(v_hat) + eps)
        trajectory.append(w)
    return trajectory


def test_adamw_first_step_by_hand():
    p = param([1.0])
    step_with(optim.AdamW([p], lr=0.1, weight_decay=0.5), p, [2.0])
    # decay: 1 * (1 - 0.1 * 0.5) = 0.95; Adam: m_hat = 2, v_hat = 4, step 0.1 * 2 / (2 + 1e-8)
    assert p.data[0] == pytest.approx(0.95 - 0.2 / (2 + 1e-8), rel=1e-14)


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.1),
    dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.3),
    dict(lr=0.05, weight_decay=0.0),
])
def test_adamw_several_steps_follow_the_paper(kwargs):
    grads = [2.0, -1.0, 0.5, 0.5, -3.0, 0.01]
    w0 = 0.7
    expected = adamw_by_the_paper(grads, w0, kwargs["lr"], *kwargs.get("betas", (0.9, 0.999)),
                                  eps=kwargs.get("eps", 1e-8), weight_decay=kwargs.get("weight_decay", 1e-2))
    p = param([w0])
    opt = optim.AdamW([p], **kwargs)
    for g, want in zip(grads, expected):
        step_with(opt, p, [g])
        assert p.data[0] == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_adamw_defaults_are_torchs():
    opt = optim.AdamW([param([1.0])])
    assert (opt.lr, opt.betas, opt.eps, opt.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 1e-2)
    adam = optim.Adam([param([1.0])])
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0.0)


def test_adamw_without_decay_is_adam_and_with_decay_is_not():
    grads = [0.3, -0.2, 0.5]
    runs = {}
    for name, make in [("adam", lambda ps: optim.Adam(ps, lr=0.1)),
                       ("adamw0", lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=0.0)),
                       ("adam_l2", lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.5)),
                       ("adamw", lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=0.5))]:
        p = param([1.0, -2.0])
        opt = make([p])
        for g in grads:
            step_with(opt, p, [g, g])
        runs[name] = p.data
    np.testing.assert_array_equal(runs["adamw0"], runs["adam"])
    # L2 decay is divided by Adam's sqrt(v); decoupled decay is not: different weights
    assert np.abs(runs["adamw"] - runs["adam_l2"]).min() > 1e-3


def test_adam_counts_steps():
    p = param([1.0])
    opt = optim.Adam([p])
    assert opt.t == 0
    for _ in range(3):
        opt.step()
    assert opt.t == 3


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.01),
    lambda ps: optim.AdamW(ps, lr=0.1),
], ids=["sgd", "adam", "adamw"])
def test_float32_parameters_get_float32_state(make):
    p = param([1.0, -1.0], dtype=np.float32)
    opt = make([p])
    for _ in range(3):
        step_with(opt, p, [0.3, 0.2])
    assert p.data.dtype == np.float32
    for key, value in opt.state_dict()["state"][0].items():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32, key


class Float32Only(np.ndarray):
    """An array that fails any NumPy operation on, or giving, anything but float32.

    A NumPy float64 scalar (e.g. ``np.sqrt`` of a Python float) silently
    promotes float32 arrays to float64; this catches such a slip in a step.
    """

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        plain = [a.view(np.ndarray) if isinstance(a, Float32Only) else a for a in inputs]
        for a in plain:
            assert not isinstance(a, np.ndarray) or a.dtype == np.float32, f"{ufunc.__name__} on {a.dtype}"
        if out is not None:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, Float32Only) else o for o in out)
        result = getattr(ufunc, method)(*plain, **kwargs)
        assert result.dtype == np.float32, f"{ufunc.__name__} gave {result.dtype}"
        return out[0] if out is not None else result.view(Float32Only)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.01),
    lambda ps: optim.AdamW(ps, lr=0.1),
], ids=["sgd", "adam", "adamw"])
def test_update_arithmetic_stays_float32(make):
    p = nn.Parameter(np.array([1.0, -1.0], dtype=np.float32).view(Float32Only))
    opt = make([p])
    for _ in range(3):
        step_with(opt, p, [0.3, 0.2])
    assert type(p.data) is Float32Only  # still the same array, updated in place


# --------------------------------------------------------------------------
# against torch.optim: trajectories on random quadratics


def random_quadratics(seed: int):
    """Per parameter: SPD matrix A, centre c, start w0 (shapes (5,) and (2, 3))."""
    rng = np.random.default_rng(seed)
    problems = []
    for shape in [(5,), (2, 3)]:
        n = int(np.prod(shape))
        M = rng.normal(size=(n, n))
        problems.append((M @ M.T / n + 0.1 * np.eye(n), rng.normal(size=shape), rng.normal(size=shape)))
    return problems


def quadratic_grad(A, c, w, dtype):
    """Gradient of 1/2 (w - c)^T A (w - c), computed in float64 then cast (the same for both sides)."""
    return (A @ (w.astype(np.float64).ravel() - c.ravel())).reshape(w.shape).astype(dtype)


TORCH_CASES = {
    "sgd": (dict(lr=0.05), {}),
    "sgd-momentum-wd": (dict(lr=0.05, momentum=0.9, weight_decay=0.1), {}),
    "sgd-nesterov-wd": (dict(lr=0.05, momentum=0.8, weight_decay=0.01, nesterov=True), {}),
    "adam": (dict(lr=0.05), {}),
    "adam-options": (dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1), {}),
    "adamw": (dict(lr=0.05), {}),
    "adamw-options": (dict(lr=0.02, betas=(0.5, 0.9), eps=1e-6, weight_decay=0.3), {}),
}
# float64: observed <= 5e-16 absolute over 30 steps (ulp-level: torch fuses
# some multiply-adds); float32: observed <= 2.4e-7. Weights are O(1).
TORCH_TOL = {np.float64: dict(rtol=1e-12, atol=1e-13), np.float32: dict(rtol=1e-5, atol=2e-6)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(TORCH_CASES))
def test_trajectories_match_torch_optim(case, dtype):
    torch = pytest.importorskip("torch")
    kwargs = TORCH_CASES[case][0]
    name = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}[case.split("-")[0]]
    problems = random_quadratics(seed=len(case))
    ours = [nn.Parameter(w0.astype(dtype)) for _, _, w0 in problems]
    theirs = [torch.tensor(w0.astype(dtype), requires_grad=True) for _, _, w0 in problems]
    opt, topt = getattr(optim, name)(ours, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
    for step in range(30):
        opt.zero_grad()
        for p, t, (A, c, _) in zip(ours, theirs, problems):
            g = quadratic_grad(A, c, p.data, dtype)
            p.grad += g
            t.grad = torch.from_numpy(g.copy())
        opt.step()
        topt.step()
        for i, (p, t) in enumerate(zip(ours, theirs)):
            np.testing.assert_allclose(p.data, t.detach().numpy(), **TORCH_TOL[dtype],
                                       err_msg=f"{case}, step {step + 1}, parameter {i}")


def test_state_dict_names_are_torchs():
    torch = pytest.importorskip("torch")
    cases = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.1}), ("AdamW", {"lr": 0.1})]
    for name, kwargs in cases:
        p, t = param(np.ones(3)), torch.ones(3, requires_grad=True)
        opt, topt = getattr(optim, name)([p], **kwargs), getattr(torch.optim, name)([t], **kwargs)
        p.grad[...], t.grad = 1.0, torch.ones(3)
        opt.step()
        topt.step()
        ours, theirs = opt.state_dict(), topt.state_dict()
        assert set(ours["state"]) == set(theirs["state"]) == {0}
        assert set(ours["state"][0]) == set(theirs["state"][0]), name
        assert set(ours["param_groups"][0]) <= set(theirs["param_groups"][0]), name
        assert ours["param_groups"][0]["params"] == theirs["param_groups"][0]["params"]


# --------------------------------------------------------------------------
# state_dict / load_state_dict


RESUMABLE = {
    "sgd-nesterov": (lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True),
                     lambda ps: optim.SGD(ps, lr=1.0)),
    "adam": (lambda ps: optim.Adam(ps, lr=0.03, betas=(0.8, 0.99), weight_decay=0.01),
             lambda ps: optim.Adam(ps)),
    "adamw": (lambda ps: optim.AdamW(ps, lr=0.03, weight_decay=0.1),
              lambda ps: optim.AdamW(ps, lr=0.5, weight_decay=0.0)),
}


def train_quadratic(params, opt, problems, steps):
    for _ in range(steps):
        opt.zero_grad()
        for p, (A, c, _) in zip(params, problems):
            p.grad += quadratic_grad(A, c, p.data, p.data.dtype)
        opt.step()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(RESUMABLE))
def test_resuming_from_state_dict_is_bit_identical(case, dtype):
    make, make_other = RESUMABLE[case]
    problems = random_quadratics(seed=3)
    straight = [nn.Parameter(w0.astype(dtype)) for _, _, w0 in problems]
    train_quadratic(straight, make(straight), problems, steps=10)

    first = [nn.Parameter(w0.astype(dtype)) for _, _, w0 in problems]
    opt = make(first)
    train_quadratic(first, opt, problems, steps=4)
    saved = opt.state_dict()
    # a new run: fresh Parameters and an optimiser built with other settings,
    # which the loaded state must override
    resumed = [nn.Parameter(p.data.copy()) for p in first]
    opt2 = make_other(resumed)
    opt2.load_state_dict(saved)
    train_quadratic(resumed, opt2, problems, steps=6)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(b.data, a.data)


def test_state_dict_layout():
    ps = [param(np.zeros(3)), param(np.zeros((2, 2)))]
    sgd = optim.SGD(ps, lr=0.1)
    sgd.step()
    # without momentum SGD keeps no per-parameter state (as torch)
    assert sgd.state_dict() == {"state": {}, "param_groups": [
        {"lr": 0.1, "momentum": 0.0, "weight_decay": 0.0, "nesterov": False, "params": [0, 1]}]}
    adam = optim.AdamW(ps, lr=0.1)
    assert adam.state_dict()["state"] == {}  # nothing before the first step
    adam.step()
    adam.step()
    state = adam.state_dict()
    assert state["param_groups"] == [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01,
                                      "decoupled_weight_decay": True, "params": [0, 1]}]
    assert [state["state"][i]["step"] for i in (0, 1)] == [2, 2]
    assert state["state"][1]["exp_avg_sq"].shape == (2, 2)


def test_state_dict_is_a_snapshot():
    p = param([1.0, 2.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    step_with(opt, p, [1.0, 1.0])
    saved = opt.state_dict()
    step_with(opt, p, [5.0, 5.0])
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], [1.0, 1.0])
    # and loading copies: changing the dict afterwards does not reach the optimiser
    opt.load_state_dict(saved)
    saved["state"][0]["momentum_buffer"][...] = 100.0
    np.testing.assert_array_equal(opt.state[0]["momentum_buffer"], [1.0, 1.0])


def test_load_state_dict_casts_to_the_parameter_dtype():
    p64 = param([1.0, 2.0])
    opt64 = optim.Adam([p64])
    step_with(opt64, p64, [0.1, 0.2])
    p32 = param([1.0, 2.0], dtype=np.float32)
    opt32 = optim.Adam([p32])
    opt32.load_state_dict(opt64.state_dict())
    assert opt32.state[0]["exp_avg"].dtype == np.float32
    assert opt32.t == 1


def _two_param_sgd():
    ps = [param(np.zeros(3)), param(np.zeros(4))]
    opt = optim.SGD(ps, lr=0.1, momentum=0.9)
    for p in ps:
        p.grad[...] = 1.0
    opt.step()
    return opt


def test_load_state_dict_checks_the_number_of_parameters():
    saved = _two_param_sgd().state_dict()
    opt = optim.SGD([param(np.zeros(3)), param(np.zeros(4)), param(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match=r"the state is for 2 parameters, but this optimizer has 3"):
        opt.load_state_dict(saved)


def test_load_state_dict_checks_shapes():
    saved = _two_param_sgd().state_dict()
    opt = optim.SGD([param(np.zeros(3)), param(np.zeros((2, 2)))], lr=0.5)
    with pytest.raises(ValueError, match=re.escape(
            "state_dict['state'][1]['momentum_buffer'] has shape (4,), but parameter 1 has shape (2, 2)")):
        opt.load_state_dict(saved)
    # checked before anything changed: the failed load left the optimiser as it was
    assert opt.lr == 0.5 and opt.momentum == 0.0 and opt.state == [{}, {}]


def test_load_state_dict_refuses_another_optimizers_state():
    sgd_state = _two_param_sgd().state_dict()
    ps = [param(np.zeros(3)), param(np.zeros(4))]
    with pytest.raises(ValueError, match=r"param_groups\[0\] must hold .* for Adam, got .*"
                                         r"was this state saved by another optimizer\?"):
        optim.Adam(ps).load_state_dict(sgd_state)
    adam_state = optim.Adam(ps).state_dict()
    with pytest.raises(ValueError, match=r"decoupled_weight_decay=False, but AdamW has "
                                         r"decoupled_weight_decay=True"):
        optim.AdamW(ps).load_state_dict(adam_state)


def test_load_state_dict_validates_what_it_loads():
    opt = _two_param_sgd()
    with pytest.raises(TypeError, match=r"state_dict must be a dict with keys 'param_groups' and 'state'"):
        opt.load_state_dict({"lr": 0.1})
    with pytest.raises(TypeError, match=r"state_dict must be a dict .* got list"):
        opt.load_state_dict([])
    bad = opt.state_dict()
    bad["param_groups"][0]["momentum"] = -1.0
    with pytest.raises(ValueError, match=r"momentum must be >= 0, got -1\.0"):
        opt.load_state_dict(bad)
    bad = opt.state_dict()
    bad["state"][5] = bad["state"][0]
    with pytest.raises(ValueError, match=r"entry for parameter 5, but this optimizer has 2 parameters"):
        opt.load_state_dict(bad)
    bad = opt.state_dict()
    bad["state"][0] = {"exp_avg": np.zeros(3)}
    with pytest.raises(ValueError, match=re.escape("state_dict['state'][0] must hold ['momentum_buffer'] "
                                                   "for SGD, got ['exp_avg']")):
        opt.load_state_dict(bad)
    bad = opt.state_dict()
    bad["state"][0]["momentum_buffer"] = np.zeros(3, dtype=np.int64)
    with pytest.raises(TypeError, match=r"momentum_buffer'\] must be a floating-point array"):
        opt.load_state_dict(bad)
    bad = opt.state_dict()
    bad["param_groups"].append(dict(bad["param_groups"][0]))
    with pytest.raises(ValueError, match=r"must be a list of one dict"):
        opt.load_state_dict(bad)


def test_adam_load_state_dict_checks_the_step_count():
    p = param([1.0])
    opt = optim.Adam([p])
    opt.step()
    bad = opt.state_dict()
    bad["state"][0]["step"] = 0
    with pytest.raises(ValueError, match=r"\['step'\] must be >= 1, got 0"):
        opt.load_state_dict(bad)


# --------------------------------------------------------------------------
# bad arguments


ALL_OPTIMIZERS = [optim.SGD, optim.Adam, optim.AdamW]


@pytest.mark.parametrize("opt", ALL_OPTIMIZERS)
def test_bad_learning_rates(opt):
    for lr in (0, -0.1):
        with pytest.raises(ValueError, match=r"lr must be > 0, got -?0"):
            opt([param([1.0])], lr=lr)
    with pytest.raises(ValueError, match=r"lr must be finite, got nan"):
        opt([param([1.0])], lr=float("nan"))
    with pytest.raises(TypeError, match=r"lr must be a number, got '0\.1'"):
        opt([param([1.0])], lr="0.1")


@pytest.mark.parametrize("opt", ALL_OPTIMIZERS)
def test_negative_weight_decay(opt):
    with pytest.raises(ValueError, match=r"weight_decay must be >= 0, got -0\.1"):
        opt([param([1.0])], lr=0.1, weight_decay=-0.1)


def test_bad_momentum_and_nesterov():
    with pytest.raises(ValueError, match=r"momentum must be >= 0, got -0\.9"):
        optim.SGD([param([1.0])], lr=0.1, momentum=-0.9)
    for momentum in (0, 0.0):
        with pytest.raises(ValueError, match=r"nesterov=True needs momentum > 0"):
            optim.SGD([param([1.0])], lr=0.1, momentum=momentum, nesterov=True)
    with pytest.raises(TypeError, match=r"nesterov must be True or False, got 'yes'"):
        optim.SGD([param([1.0])], lr=0.1, momentum=0.9, nesterov="yes")


@pytest.mark.parametrize("opt", [optim.Adam, optim.AdamW])
def test_bad_betas_and_eps(opt):
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0, 1\), got 1\.0"):
        opt([param([1.0])], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=r"betas\[0\] must be in \[0, 1\), got -0\.1"):
        opt([param([1.0])], betas=(-0.1, 0.999))
    with pytest.raises(TypeError, match=r"betas must be a pair \(beta1, beta2\), got 0\.9"):
        opt([param([1.0])], betas=0.9)
    with pytest.raises(ValueError, match=r"eps must be > 0, got 0\.0"):
        opt([param([1.0])], eps=0)


@pytest.mark.parametrize("opt", ALL_OPTIMIZERS)
def test_bad_parameter_lists(opt):
    with pytest.raises(ValueError, match=r"optimizer got an empty parameter list"):
        opt([], lr=0.1)
    with pytest.raises(ValueError, match=r"optimizer got an empty parameter list"):
        opt(iter(()), lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] must be a cnnlib\.nn\.Parameter, got ndarray"):
        opt([param([1.0]), np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match=r"got a single Parameter: wrap it in a list"):
        opt(param([1.0]), lr=0.1)
    with pytest.raises(TypeError, match=r"params must be an iterable of cnnlib\.nn\.Parameter "
                                        r"\(e\.g\. model\.parameters\(\)\), got int"):
        opt(3, lr=0.1)
    p = param([1.0])
    with pytest.raises(ValueError, match=r"params\[2\] is the same Parameter as params\[0\]"):
        opt([p, param([2.0]), p], lr=0.1)


def test_generator_of_parameters_is_kept():
    # model.parameters() may be a generator: it must be read once, into a list
    ps = [param([1.0]), param([2.0])]
    opt = optim.SGD((p for p in ps), lr=0.1)
    assert opt.params == ps
