"""Every backward pass agrees with centred finite differences (float64).

Uses :mod:`cnnlib.gradcheck` (itself verified in ``test_gradcheck.py``): the
functional ops, every layer for its input and each parameter, the loss, and a
whole Conv-ReLU-Pool-Conv-ReLU-Flatten-Linear network.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnlib import functional as F
from cnnlib import nn
from cnnlib import reference as R
from cnnlib.gradcheck import check_function, check_layer, check_model

TOL = 1e-7  # relative error; a correct float64 backward gives ~1e-9 or better


def assert_all_passed(results) -> None:
    assert results, "no gradient was checked"
    failed = [str(r) for r in results if not r.passed]
    assert not failed, "\n".join(failed)


def _unique_values(rng, shape) -> np.ndarray:
    """Values spaced well apart, so a 1e-6 nudge never changes which is largest."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.01, size=n)).reshape(shape)


# --------------------------------------------------------------------------
# functional ops (fast and reference)

CONV_SETTINGS = [
    dict(stride=1, padding=0),
    dict(stride=2, padding=1),
    dict(stride=(1, 2), padding=(2, 0)),
    dict(stride=(2, 3), padding=(1, 2)),
    dict(stride=1, padding="same"),
    dict(stride=(1, 1), padding="valid"),
]


# the reference loops are slow under finite differences: check them on a
# subset (test_ops_agree.py proves fast == reference everywhere else)
@pytest.mark.parametrize("impl, kernel, setting",
                         [(F, k, s) for k in [(3, 3), (2, 2), (1, 4)] for s in CONV_SETTINGS]
                         + [(R, (3, 3), CONV_SETTINGS[1]), (R, (2, 2), CONV_SETTINGS[4])],
                         ids=lambda v: getattr(v, "__name__", str(v)).split(".")[-1])
def test_conv2d_backward(impl, kernel, setting):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 2, 6, 5))
    w = rng.normal(size=(3, 2) + kernel)
    b = rng.normal(size=3)
    results = check_function(
        lambda x, w, b: impl.conv2d(x, w, b, **setting),
        lambda g, x, w, b: impl.conv2d_backward(g, x, w, **setting),
        x, w, b, names=["x", "weight", "bias"], tol=TOL)
    assert_all_passed(results)


POOL_SETTINGS = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2),          # overlapping windows
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1)),
    dict(kernel_size=(3, 1), stride=(2, 1)),
]


@pytest.mark.parametrize("impl, setting",
                         [(F, s) for s in POOL_SETTINGS] + [(R, POOL_SETTINGS[3])],
                         ids=lambda v: getattr(v, "__name__", str(v)).split(".")[-1])
@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
def test_pool_backward(impl, op, setting):
    x = _unique_values(np.random.default_rng(1), (2, 2, 6, 7))
    forward, backward = getattr(impl, op), getattr(impl, op + "_backward")
    results = check_function(lambda x: forward(x, **setting),
                             lambda g, x: (backward(g, x, **setting),), x, names=["x"], tol=TOL)
    assert_all_passed(results)


# --------------------------------------------------------------------------
# layers


def _conv(*args, **kwargs):
    return nn.Conv2d(*args, **kwargs, dtype=np.float64, rng=np.random.default_rng(2))


LAYERS = {
    "Conv2d": (lambda: _conv(2, 3, 3), (2, 2, 5, 5)),
    "Conv2d stride 2 padding 1": (lambda: _conv(2, 3, 3, stride=2, padding=1), (2, 2, 6, 6)),
    "Conv2d (h, w) stride and padding": (lambda: _conv(2, 2, (2, 3), stride=(2, 1), padding=(1, 0)),
                                         (2, 2, 5, 4)),
    "Conv2d same odd": (lambda: _conv(1, 2, 3, padding="same"), (2, 1, 4, 5)),
    "Conv2d same even": (lambda: _conv(2, 2, (2, 4), padding="same"), (2, 2, 4, 5)),
    "Conv2d no bias": (lambda: _conv(2, 2, 3, bias=False), (1, 2, 4, 4)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), (2, 2, 4, 6)),
    "MaxPool2d overlapping": (lambda: nn.MaxPool2d(3, stride=1), (2, 2, 5, 5)),
    "MaxPool2d padding": (lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 2, 5, 6)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), (2, 2, 4, 4)),
    "AvgPool2d overlapping padded": (lambda: nn.AvgPool2d((3, 2), stride=1, padding=(1, 1)), (1, 2, 4, 5)),
    "ReLU": (lambda: nn.ReLU(), (3, 2, 3, 3)),
    "Tanh": (lambda: nn.Tanh(), (3, 7)),
    "Flatten": (lambda: nn.Flatten(), (2, 3, 2, 2)),
    "Linear": (lambda: nn.Linear(6, 4, dtype=np.float64, rng=np.random.default_rng(3)), (5, 6)),
    "Linear no bias": (lambda: nn.Linear(6, 4, bias=False, dtype=np.float64,
                                         rng=np.random.default_rng(3)), (5, 6)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_backward(name):
    make, shape = LAYERS[name]
    layer = make()
    x = _unique_values(np.random.default_rng(4), shape) - 0.05 * np.prod(shape)  # both signs
    results = check_layer(layer, x, tol=TOL)
    # x plus every parameter was checked
    assert [r.name for r in results] == ["x"] + [n for n, _ in layer.named_parameters()]
    assert_all_passed(results)


def test_cross_entropy_backward():
    rng = np.random.default_rng(5)
    logits, target = rng.normal(size=(6, 4)) * 3, rng.integers(0, 4, size=6)
    loss_fn = nn.CrossEntropyLoss()
    results = check_function(lambda z: np.array(loss_fn(z, target)),
                             lambda g, z: (loss_fn.backward(float(g)),),
                             logits, names=["logits"], tol=TOL)
    assert_all_passed(results)


def test_cross_entropy_backward_scales_with_grad_out():
    rng = np.random.default_rng(6)
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(rng.normal(size=(3, 5)), np.array([0, 4, 2]))
    np.testing.assert_allclose(loss_fn.backward(2.5), 2.5 * loss_fn.backward(), rtol=1e-15)


def test_whole_network():
    rng = np.random.default_rng(7)
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1, rng=rng, dtype=np.float64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(3, 4, 3, padding=1, rng=rng, dtype=np.float64), nn.ReLU(), nn.Flatten(),
        nn.Linear(4 * 3 * 3, 5, rng=rng, dtype=np.float64))
    x = rng.normal(size=(3, 1, 6, 6))
    y = np.array([0, 3, 4])
    results = check_model(model, nn.CrossEntropyLoss(), x, y, tol=TOL)
    assert [r.name for r in results] == ["x", "0.weight", "0.bias", "3.weight", "3.bias",
                                         "6.weight", "6.bias"]
    assert_all_passed(results)


def test_network_with_tanh_avgpool_and_strides():
    rng = np.random.default_rng(8)
    model = nn.Sequential(
        nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0), rng=rng, dtype=np.float64), nn.Tanh(),
        nn.AvgPool2d(2, stride=1), nn.Conv2d(3, 2, 2, padding="same", rng=rng, dtype=np.float64),
        nn.Flatten(), nn.Linear(2 * 2 * 3, 3, rng=rng, dtype=np.float64))
    x = rng.normal(size=(2, 2, 5, 5))
    assert_all_passed(check_model(model, nn.CrossEntropyLoss(), x, np.array([2, 0]), tol=TOL))
