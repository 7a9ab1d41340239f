"""Layers as containers: initialisation, parameters, state dicts, gradient bookkeeping.

Forward/backward values are covered in test_handworked.py, test_ops_agree.py
and test_gradients.py; this file checks PyTorch's conventions around them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cnnlib import nn


def design_model(seed: int = 0) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.Flatten(),
        nn.Linear(256, 10, rng=rng))


# --------------------------------------------------------------------------
# default initialisation (PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for both)


@pytest.mark.parametrize("make, fan_in", [
    (lambda rng: nn.Conv2d(3, 5, 3, rng=rng), 3 * 3 * 3),
    (lambda rng: nn.Conv2d(2, 4, (2, 5), rng=rng), 2 * 2 * 5),
    (lambda rng: nn.Conv2d(16, 1, 1, rng=rng), 16),
    (lambda rng: nn.Linear(7, 3, rng=rng), 7),
    (lambda rng: nn.Linear(1, 20, rng=rng), 1),
])
def test_init_within_pytorch_bounds(make, fan_in):
    layer = make(np.random.default_rng(0))
    bound = 1 / math.sqrt(fan_in)
    for p in layer.parameters():
        # float32 rounding may land a hair past the float64 bound
        assert np.all(np.abs(p.data) <= bound * (1 + 1e-6)), p
        assert np.all(p.data != 0), p


@pytest.mark.parametrize("make, fan_in", [
    (lambda rng: nn.Conv2d(64, 128, 3, rng=rng), 64 * 9),
    (lambda rng: nn.Linear(500, 200, rng=rng), 500),
])
def test_init_is_uniform_over_the_whole_range(make, fan_in):
    weight = make(np.random.default_rng(1)).weight.data.ravel().astype(np.float64)
    bound = 1 / math.sqrt(fan_in)
    # a uniform distribution on [-b, b] has mean 0 and standard deviation b / sqrt(3)
    assert abs(weight.mean()) < 0.01 * bound
    assert weight.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert weight.max() > 0.999 * bound and weight.min() < -0.999 * bound
    # Kolmogorov-Smirnov distance to U(-b, b): about 1/sqrt(n) for a true sample
    distance = stats.kstest(weight, stats.uniform(loc=-bound, scale=2 * bound).cdf).statistic
    assert distance < 2 / math.sqrt(weight.size)
    # and clearly not normal with the same spread
    normal = stats.norm(scale=bound / math.sqrt(3)).cdf
    assert stats.kstest(weight, normal).statistic > 10 / math.sqrt(weight.size)


def test_bias_init_uses_the_same_bound():
    layer = nn.Linear(4, 4000, rng=np.random.default_rng(2))  # many biases, bound 1/2
    assert np.all(np.abs(layer.bias.data) <= 0.5)
    assert layer.bias.data.std() == pytest.approx(0.5 / math.sqrt(3), rel=0.05)


def test_init_is_drawn_from_the_given_rng():
    a = design_model(seed=3).state_dict()
    b = design_model(seed=3).state_dict()
    c = design_model(seed=4).state_dict()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
        assert not np.array_equal(a[name], c[name])


def test_layers_without_rng_still_initialise():
    first, second = nn.Linear(3, 3).weight.data, nn.Linear(3, 3).weight.data
    assert not np.array_equal(first, second)  # fresh, unseeded generators


# --------------------------------------------------------------------------
# shapes, dtypes, parameter order


def test_parameter_shapes_and_dtypes():
    conv = nn.Conv2d(3, 6, (5, 4), rng=np.random.default_rng(0))
    assert conv.weight.shape == (6, 3, 5, 4) and conv.bias.shape == (6,)
    lin = nn.Linear(12, 7, rng=np.random.default_rng(0))
    assert lin.weight.shape == (7, 12) and lin.bias.shape == (7,)
    for p in conv.parameters() + lin.parameters():
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
        assert p.grad.shape == p.data.shape and not p.grad.any()
    conv64 = nn.Conv2d(1, 2, 3, dtype=np.float64, rng=np.random.default_rng(0))
    assert all(p.data.dtype == np.float64 for p in conv64.parameters())


def test_layers_without_parameters():
    for layer in (nn.ReLU(), nn.Tanh(), nn.Flatten(), nn.MaxPool2d(2), nn.AvgPool2d(2)):
        assert layer.parameters() == []
        assert layer.state_dict() == {}


def test_bias_false():
    conv = nn.Conv2d(1, 2, 3, bias=False, rng=np.random.default_rng(0))
    lin = nn.Linear(3, 2, bias=False, rng=np.random.default_rng(0))
    assert conv.bias is None and lin.bias is None
    assert [n for n, _ in conv.named_parameters()] == ["weight"]
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    # a bias-free conv maps zeros to zeros
    assert not conv(np.zeros((1, 1, 4, 4), dtype=np.float32)).any()


def test_parameters_order_follows_the_layers():
    model = design_model()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"]
    params = model.parameters()
    assert params[0] is model[0].weight and params[1] is model[0].bias
    assert params[2] is model[3].weight and params[5] is model[6].bias
    assert [p.shape for p in params] == [(8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,), (10, 256), (10,)]
    # about 3.9 thousand numbers: 80 + 1168 + 2570
    assert sum(p.data.size for p in params) == 72 + 8 + 1152 + 16 + 2560 + 10


def test_forward_output_dtype_follows_the_input():
    model = design_model()
    assert model(np.zeros((2, 1, 8, 8), dtype=np.float32)).dtype == np.float32


# --------------------------------------------------------------------------
# state_dict


def test_state_dict_round_trip():
    source, target = design_model(seed=0), design_model(seed=1)
    x = np.random.default_rng(2).normal(size=(3, 1, 8, 8)).astype(np.float32)
    assert not np.array_equal(source(x), target(x))
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(source(x), target(x))
    for (_, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        assert a.data is not b.data  # values copied, not shared


def test_state_dict_is_a_copy():
    model = design_model()
    state = model.state_dict()
    state["0.weight"][...] = 0
    assert model[0].weight.data.any()


def test_load_state_dict_keeps_the_parameter_arrays():
    # optimisers hold the Parameter objects; loading must write into them
    model = design_model()
    weight = model[0].weight.data
    model.load_state_dict(design_model(seed=5).state_dict())
    assert model[0].weight.data is weight
    np.testing.assert_array_equal(weight, design_model(seed=5)[0].weight.data)


def test_load_state_dict_errors():
    model = design_model()
    state = model.state_dict()
    missing = {k: v for k, v in state.items() if k != "6.bias"}
    with pytest.raises(ValueError, match=r"state_dict keys .* do not match the model's .*'6\.bias'"):
        model.load_state_dict(missing)
    with pytest.raises(ValueError, match=r"do not match"):
        model.load_state_dict({**state, "7.weight": np.zeros(3)})
    wrong = dict(state, **{"3.weight": np.zeros((16, 8, 5, 5))})
    with pytest.raises(ValueError, match=r"state_dict\['3\.weight'\] has shape \(16, 8, 5, 5\), "
                                         r"expected \(16, 8, 3, 3\)"):
        model.load_state_dict(wrong)


# --------------------------------------------------------------------------
# repr


def test_sequential_repr_lists_the_layers_in_order():
    text = repr(design_model())
    lines = text.splitlines()
    assert lines[0] == "Sequential(" and lines[-1] == ")"
    kinds = ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "Flatten", "Linear"]
    assert len(lines) == len(kinds) + 2
    for i, (line, kind) in enumerate(zip(lines[1:-1], kinds)):
        assert line.startswith(f"  ({i}): {kind}(")
    assert "1, 8, kernel_size=(3, 3)" in lines[1] and "padding=1" in lines[1]
    assert "in_features=256, out_features=10" in lines[7]
    assert "kernel_size=2" in lines[3]


def test_parameter_repr_and_len():
    model = design_model()
    assert len(model) == 7
    assert repr(model[0].weight) == "Parameter(shape=(8, 1, 3, 3), dtype=float32)"


# --------------------------------------------------------------------------
# gradients accumulate, as in PyTorch


def _forward_backward(model, x, y):
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(x), y)
    model.backward(loss_fn.backward())


def test_two_backward_passes_double_the_gradient():
    model = design_model()
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(4, 1, 8, 8)).astype(np.float32), rng.integers(0, 10, size=4)
    _forward_backward(model, x, y)
    once = [p.grad.copy() for p in model.parameters()]
    assert all(g.any() for g in once)
    _forward_backward(model, x, y)
    for g1, p in zip(once, model.parameters()):
        np.testing.assert_allclose(p.grad, 2 * g1, rtol=1e-6, atol=1e-7)


def test_zero_grad_resets_every_gradient_in_place():
    model = design_model()
    rng = np.random.default_rng(7)
    _forward_backward(model, rng.normal(size=(2, 1, 8, 8)).astype(np.float32), np.array([1, 2]))
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    for g, p in zip(grads, model.parameters()):
        assert p.grad is g and not g.any()


def test_gradient_of_a_sum_is_the_sum_of_gradients():
    # accumulating over two half-batches equals one full-batch pass (loss scaled by N)
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(6, 1, 8, 8)), rng.integers(0, 10, size=6)
    full, halves = design_model(), design_model()
    for p in full.parameters() + halves.parameters():
        p.data = p.data.astype(np.float64)
        p.grad = p.grad.astype(np.float64)
    _forward_backward(full, x, y)
    _forward_backward(halves, x[:3], y[:3])
    _forward_backward(halves, x[3:], y[3:])
    for a, b in zip(full.parameters(), halves.parameters()):
        # mean over 6 vs two means over 3: the halves add up to twice the full gradient
        np.testing.assert_allclose(2 * a.grad, b.grad, rtol=1e-10, atol=1e-12)
