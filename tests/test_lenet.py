"""cnnlib.models.lenet5: its layers, its parameter count, and PyTorch's keys and numbers."""

from __future__ import annotations

import numpy as np
import pytest

import cnnlib
from cnnlib import nn
from cnnlib.models import lenet5
from cnnlib.models.lenet import LENET5_NUM_PARAMETERS


def test_parameter_count_is_the_closed_form():
    model = lenet5(rng=np.random.default_rng(0))
    # weights + biases of each layer, from the architecture alone
    conv1 = 6 * (1 * 5 * 5) + 6
    conv2 = 16 * (6 * 5 * 5) + 16
    fc1 = 120 * (16 * 5 * 5) + 120
    fc2 = 84 * 120 + 84
    fc3 = 10 * 84 + 10
    expected = conv1 + conv2 + fc1 + fc2 + fc3
    assert expected == 61_706 == LENET5_NUM_PARAMETERS
    assert sum(p.data.size for p in model.parameters()) == expected


def test_layers_and_shapes():
    model = lenet5(rng=np.random.default_rng(0))
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten",
                     "Linear", "ReLU", "Linear", "ReLU", "Linear"]
    x = np.random.default_rng(1).uniform(size=(3, 1, 28, 28)).astype(np.float32)
    shapes = []
    for layer in model:
        x = layer(x)
        shapes.append(x.shape[1:])
    assert shapes == [(6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 10, 10),
                      (16, 5, 5), (400,), (120,), (120,), (84,), (84,), (10,)]
    assert x.dtype == np.float32


def test_seeded_and_float64():
    a = lenet5(rng=np.random.default_rng(3)).state_dict()
    b = lenet5(rng=np.random.default_rng(3)).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    model = lenet5(rng=np.random.default_rng(3), dtype=np.float64)
    assert all(p.data.dtype == np.float64 for p in model.parameters())


def test_backward_reaches_every_parameter():
    rng = np.random.default_rng(2)
    model = lenet5(rng=rng, dtype=np.float64)
    x = rng.uniform(size=(4, 1, 28, 28))
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(x), np.array([0, 3, 7, 9]))
    grad_x = model.backward(loss_fn.backward())
    assert grad_x.shape == x.shape
    assert all(np.any(p.grad != 0) for p in model.parameters())


def test_registered_as_lenet5_mnist():
    assert "lenet5-mnist" in cnnlib.models.available()


def _torch_lenet5(torch):
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
        tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))


def test_state_dict_matches_torch_sequential():
    torch = pytest.importorskip("torch")
    theirs = _torch_lenet5(torch).state_dict()
    ours = lenet5(rng=np.random.default_rng(0)).state_dict()
    assert list(ours) == list(theirs)
    assert {k: v.shape for k, v in ours.items()} == {k: tuple(v.shape) for k, v in theirs.items()}


def test_forward_and_gradients_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    ours = lenet5(rng=rng, dtype=np.float64)
    theirs = _torch_lenet5(torch).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = rng.uniform(size=(5, 1, 28, 28))
    y = np.array([1, 0, 9, 4, 4])
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(ours(x), y)
    ours.backward(loss_fn.backward())
    tx = torch.from_numpy(x)
    t_loss = torch.nn.functional.cross_entropy(theirs(tx), torch.from_numpy(y))
    t_loss.backward()
    assert np.isclose(loss, t_loss.item(), rtol=1e-10)
    t_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert np.allclose(p.grad, t_params[name].grad.numpy(), rtol=1e-8, atol=1e-12), name
