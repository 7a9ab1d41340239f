"""cnnlib.models.BasicBlock: torchvision's structure and keys, its forward and its backward."""

from __future__ import annotations

import numpy as np
import pytest

import cnnlib
from cnnlib import nn
from cnnlib.gradcheck import check_layer
from cnnlib.models import BasicBlock

# torchvision.models.resnet.BasicBlock(inplanes, planes, stride, downsample) holds conv1, bn1,
# relu, conv2, bn2 and (if given) downsample = Sequential(conv1x1, BatchNorm2d): its keys.
BN = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
TORCHVISION_KEYS = (["conv1.weight"] + [f"bn1.{k}" for k in BN] + ["conv2.weight"] + [f"bn2.{k}" for k in BN])
TORCHVISION_KEYS_DOWNSAMPLE = TORCHVISION_KEYS + ["downsample.0.weight"] + [f"downsample.1.{k}" for k in BN]


@pytest.mark.parametrize("inplanes, planes, stride, keys", [
    (16, 16, 1, TORCHVISION_KEYS),
    (16, 32, 1, TORCHVISION_KEYS_DOWNSAMPLE),
    (16, 16, 2, TORCHVISION_KEYS_DOWNSAMPLE),
    (8, 16, 2, TORCHVISION_KEYS_DOWNSAMPLE),
])
def test_state_dict_keys_are_torchvisions(inplanes, planes, stride, keys):
    block = BasicBlock(inplanes, planes, stride, rng=np.random.default_rng(0))
    state = block.state_dict()
    assert list(state) == keys
    assert (block.downsample is None) == (keys is TORCHVISION_KEYS)
    assert state["conv1.weight"].shape == (planes, inplanes, 3, 3)
    assert state["conv2.weight"].shape == (planes, planes, 3, 3)
    if block.downsample is not None:
        assert state["downsample.0.weight"].shape == (planes, inplanes, 1, 1)
        assert isinstance(block.downsample, nn.Sequential) and block.downsample[0].stride == stride
    # no biases on the convolutions: batch norm follows each
    assert block.conv1.bias is None and block.conv2.bias is None


def _bn_train(x, layer):
    """Training-mode batch norm from its definition, float64."""
    mean, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    c = (1, -1, 1, 1)
    return layer.weight.data.reshape(c) * (x - mean) / np.sqrt(var + layer.eps) + layer.bias.data.reshape(c)


@pytest.mark.parametrize("inplanes, planes, stride", [(4, 4, 1), (3, 5, 2)])
def test_forward_is_the_residual_formula(inplanes, planes, stride):
    rng = np.random.default_rng(1)
    block = BasicBlock(inplanes, planes, stride, rng=rng, dtype=np.float64)
    for module in block.modules():  # non-trivial gamma and beta
        if isinstance(module, nn.BatchNorm2d):
            module.weight.data[:] = rng.uniform(0.5, 1.5, planes)
            module.bias.data[:] = rng.normal(size=planes)
    x = rng.normal(size=(3, inplanes, 7, 6))
    relu = lambda a: np.maximum(a, 0)
    main = relu(_bn_train(cnnlib.conv2d(x, block.conv1.weight.data, stride=stride, padding=1), block.bn1))
    main = _bn_train(cnnlib.conv2d(main, block.conv2.weight.data, padding=1), block.bn2)
    if block.downsample is None:
        shortcut = x
    else:
        shortcut = _bn_train(cnnlib.conv2d(x, block.downsample[0].weight.data, stride=stride), block.downsample[1])
    y = block(x)
    assert y.shape == (3, planes, (7 - 1) // stride + 1, (6 - 1) // stride + 1)
    np.testing.assert_allclose(y, relu(main + shortcut), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("inplanes, planes, stride, training", [
    (2, 2, 1, True), (2, 3, 2, True), (2, 2, 1, False), (3, 2, 2, False)])
def test_backward_by_finite_differences(inplanes, planes, stride, training):
    rng = np.random.default_rng(2)
    block = BasicBlock(inplanes, planes, stride, rng=rng, dtype=np.float64)
    if not training:
        for _ in range(3):
            block(rng.normal(size=(4, inplanes, 5, 5)))
        block.eval()
    x = rng.normal(size=(3, inplanes, 5, 5))
    results = check_layer(block, x, tol=1e-7)
    assert [r.name for r in results] == ["x"] + [k for k in block.state_dict() if "running" not in k
                                                 and "num_batches" not in k]
    failed = [str(r) for r in results if not r.passed]
    assert not failed, "\n".join(failed)


def test_eval_reaches_the_downsample_batch_norm():
    block = BasicBlock(2, 4, 2, rng=np.random.default_rng(3))
    block.eval()
    assert not block.downsample[1].training and not block.bn2.training
    x = np.random.default_rng(4).normal(size=(2, 2, 6, 6)).astype(np.float32)
    block(x)
    assert int(block.downsample[1].num_batches_tracked) == 0
    block.train()
    block(x)
    assert all(int(m.num_batches_tracked) == 1 for m in block.modules() if isinstance(m, nn.BatchNorm2d))


def test_blocks_stack_in_a_sequential():
    rng = np.random.default_rng(5)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False, rng=rng), nn.BatchNorm2d(8), nn.ReLU(),
                          BasicBlock(8, 8, rng=rng), BasicBlock(8, 16, 2, rng=rng),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10, rng=rng))
    x = rng.normal(size=(4, 1, 12, 12)).astype(np.float32)
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(x), np.array([0, 1, 2, 3]))
    grad_x = model.backward(loss_fn.backward())
    assert grad_x.shape == x.shape
    assert all(p.grad.any() for p in model.parameters())
    assert "4.downsample.1.running_var" in model.state_dict()


def test_constructor_checks():
    with pytest.raises(ValueError, match=r"stride must be >= 1, got 0"):
        BasicBlock(4, 4, 0)
    with pytest.raises(ValueError, match=r"planes must be >= 1, got 0"):
        BasicBlock(4, 0)
