"""cnnlib.models.ResNet / resnet_small: keys, parameter count, gradients, modes, PyTorch agreement."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlib import nn
from cnnlib.gradcheck import check_model
from cnnlib.models import BasicBlock, ResNet, resnet_small


def _closed_form_count(widths, blocks, in_channels=1, num_classes=10):
    """Parameters of the ResNet, counted by hand from the architecture.

    stem: 3x3 conv (no bias) + batch norm (gamma, beta); a basic block from
    a to b channels: two 3x3 convs (9ab + 9bb) and two batch norms (4b), plus
    a 1x1 conv (ab) and a batch norm (2b) when a != b or the stride is 2;
    fc: weights and biases.
    """
    total = 9 * in_channels * widths[0] + 2 * widths[0]
    a = widths[0]
    for i, (b, count) in enumerate(zip(widths, blocks)):
        for j in range(count):
            total += 9 * a * b + 9 * b * b + 4 * b
            if a != b or (i > 0 and j == 0):
                total += a * b + 2 * b
            a = b
    return total + a * num_classes + num_classes


@pytest.mark.parametrize("widths, blocks", [((16, 32, 64), (1, 1, 1)), ((8, 16), (2, 1)),
                                            ((4, 4, 8), (1, 2, 1))])
def test_parameter_count_in_closed_form(widths, blocks):
    model = resnet_small(widths=widths, blocks=blocks, rng=np.random.default_rng(0))
    assert sum(p.data.size for p in model.parameters()) == _closed_form_count(widths, blocks)


def test_default_count_by_hand():
    # 144 + 32 (stem) + 4,672 (layer1) + 14,528 (layer2) + 57,728 (layer3) + 650 (fc)
    model = resnet_small(rng=np.random.default_rng(0))
    assert sum(p.data.size for p in model.parameters()) == 77_754


def test_keys_are_torchvisions():
    model = resnet_small(rng=np.random.default_rng(0))
    keys = list(model.state_dict())
    bn = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert keys[:6] == ["conv1.weight"] + [f"bn1.{k}" for k in bn]
    assert keys[-2:] == ["fc.weight", "fc.bias"]
    assert "layer1.0.conv1.weight" in keys and "layer1.0.downsample.0.weight" not in keys
    assert "layer2.0.downsample.0.weight" in keys and "layer3.0.downsample.1.running_var" in keys
    assert isinstance(model.layer2[0], BasicBlock) and model.layer2[0].stride == 2
    assert model.stages == (model.layer1, model.layer2, model.layer3)


def test_shapes_and_any_input_size():
    model = resnet_small(rng=np.random.default_rng(0))
    x = np.random.default_rng(1).random((3, 1, 28, 28), dtype=np.float32)
    assert model(x).shape == (3, 10) and model(x).dtype == np.float32
    # global average pooling: the same network runs on other sizes
    assert model(np.random.default_rng(2).random((2, 1, 36, 20), dtype=np.float32)).shape == (2, 10)
    three = resnet_small(5, widths=(4, 8), blocks=(1, 1), in_channels=3, rng=np.random.default_rng(0))
    assert three(np.zeros((2, 3, 12, 12), np.float32)).shape == (2, 5)


def test_torchvision_initialisation_of_convolutions():
    model = resnet_small(widths=(64, 128, 256), rng=np.random.default_rng(0))
    w = model.layer3[0].conv2.weight.data  # (256, 256, 3, 3): fan_out = 256 * 9
    assert abs(w.std() - np.sqrt(2 / (256 * 9))) < 0.02 * np.sqrt(2 / (256 * 9))
    assert np.all(model.bn1.weight.data == 1) and np.all(model.bn1.bias.data == 0)


@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_float64(training):
    rng = np.random.default_rng(3)
    model = resnet_small(4, widths=(2, 3), blocks=(1, 1), rng=rng, dtype=np.float64)
    if not training:
        for _ in range(3):  # non-trivial running statistics
            model(rng.normal(size=(4, 1, 6, 6)))
        model.eval()
    x = rng.normal(size=(3, 1, 6, 6))
    results = check_model(model, nn.CrossEntropyLoss(), x, np.array([0, 3, 1]), tol=1e-6)
    names = [r.name for r in results]
    assert names[0] == "x" and len(names) == 1 + len(model.parameters())
    failed = [str(r) for r in results if not r.passed]
    assert not failed, "\n".join(failed)


def test_train_and_eval_modes():
    rng = np.random.default_rng(4)
    model = resnet_small(widths=(4, 8), blocks=(1, 1), rng=rng)
    x = rng.random((6, 1, 10, 10), dtype=np.float32)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(bns) == 1 + 2 + 3  # stem, layer1 block, layer2 block with downsample
    # train mode: batch statistics, so an image's output depends on its batch-mates
    alone = model(x[:3])
    assert all(int(m.num_batches_tracked) == 1 for m in bns)
    assert not np.allclose(model(x)[:3], alone, atol=1e-4)
    # eval mode: running statistics, nothing updated, each image on its own
    model.eval()
    assert not any(m.training for m in model.modules())
    before = {k: v.copy() for k, v in model.state_dict().items()}
    np.testing.assert_allclose(model(x)[:3], model(x[:3]), rtol=1e-5, atol=1e-6)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    model.train()
    assert all(m.training for m in model.modules())


def test_constructor_checks():
    with pytest.raises(ValueError, match="one entry per stage"):
        resnet_small(widths=(16, 32), blocks=(1, 1, 1), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="must be >= 1"):
        resnet_small(widths=(16, 0), blocks=(1, 1), rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        ResNet(rng=None)


# ---- agreement with the same network built from torch.nn layers --------------------------

def _torch_model(model):
    """The same architecture written with torch.nn layers, carrying ``model``'s weights."""
    torch = pytest.importorskip("torch")
    from torch import nn as tnn

    class Block(tnn.Module):
        def __init__(self, a, b, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(a, b, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(b)
            self.relu = tnn.ReLU()
            self.conv2 = tnn.Conv2d(b, b, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(b)
            self.downsample = (tnn.Sequential(tnn.Conv2d(a, b, 1, stride, bias=False), tnn.BatchNorm2d(b))
                               if stride != 1 or a != b else None)

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class Net(tnn.Module):
        def __init__(self, widths, blocks):
            super().__init__()
            self.conv1 = tnn.Conv2d(1, widths[0], 3, 1, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(widths[0])
            self.relu = tnn.ReLU()
            a = widths[0]
            for i, (b, n) in enumerate(zip(widths, blocks)):
                layers = [Block(a, b, 1 if i == 0 else 2)] + [Block(b, b, 1) for _ in range(n - 1)]
                setattr(self, f"layer{i + 1}", tnn.Sequential(*layers))
                a = b
            self.stages = len(widths)
            self.avgpool = tnn.AdaptiveAvgPool2d(1)
            self.fc = tnn.Linear(a, 10)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            for i in range(self.stages):
                x = getattr(self, f"layer{i + 1}")(x)
            return self.fc(torch.flatten(self.avgpool(x), 1))

    net = Net(model.widths, model.blocks).double()
    result = net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in model.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys  # the keys match by design
    return net


def test_agrees_with_pytorch_forward_backward_and_running_stats():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    model = resnet_small(widths=(4, 8, 8), blocks=(1, 2, 1), rng=rng, dtype=np.float64)
    for m in model.modules():  # non-trivial batch-norm parameters
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data[:] = rng.uniform(0.5, 1.5, m.num_features)
            m.bias.data[:] = rng.normal(0, 0.2, m.num_features)
    net = _torch_model(model)
    x = rng.normal(size=(5, 1, 12, 12))
    y = np.array([0, 3, 9, 3, 1])
    loss_fn = nn.CrossEntropyLoss()

    # training mode: forward, gradients of every parameter and of the input
    model.train(), net.train()
    out = model(x)
    loss_fn(out, y)
    model.zero_grad()
    grad_x = model.backward(loss_fn.backward())
    xt = torch.from_numpy(x).requires_grad_(True)
    out_t = net(xt)
    torch.nn.functional.cross_entropy(out_t, torch.from_numpy(y)).backward()
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad_x, xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    torch_params = dict(net.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, torch_params[name].grad.numpy(), rtol=1e-8, atol=1e-12,
                                   err_msg=name)
    # the running statistics were updated the same way
    torch_state = net.state_dict()
    for name, v in model.state_dict().items():
        np.testing.assert_allclose(v, torch_state[name].numpy(), rtol=1e-10, atol=1e-12, err_msg=name)

    # evaluation mode: running statistics
    model.eval(), net.eval()
    x2 = rng.normal(size=(3, 1, 12, 12))
    with torch.no_grad():
        np.testing.assert_allclose(model(x2), net(torch.from_numpy(x2)).numpy(), rtol=1e-10, atol=1e-10)


def test_docstring_examples_run():
    import doctest

    import cnnlib.models.resnet as resnet_module

    assert doctest.testmod(resnet_module).failed == 0
