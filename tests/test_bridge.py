"""cnnlib.bridge: models moved to PyTorch and back compute the same things.

Random architectures from every translatable layer, random inputs; outputs
in train and eval mode, the input gradient and every parameter's gradient
compared with PyTorch's autograd (float32 tolerance, float64 tight), and the
running statistics after a training step.
"""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib import bridge, nn
from cnnlib.models import BasicBlock, resnet_small

torch = pytest.importorskip("torch")


def _image_layers(draw, rng, c: int, hw: int, dtype):
    """Random conv/BN/pool/activation stack on (N, c, hw, hw); returns layers, c, hw."""
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv", "group", "bn", "relu", "leaky", "tanh", "sigmoid",
                                     "maxpool", "avgpool"]))
        if kind in ("conv", "group"):
            k = draw(st.integers(1, min(3, hw)))
            pad = draw(st.integers(0, k // 2))
            stride = draw(st.integers(1, 2))
            groups = c if kind == "group" else 1
            out = c * draw(st.integers(1, 2)) if kind == "group" else draw(st.integers(1, 4))
            layers.append(nn.Conv2d(c, out, k, stride=stride, padding=pad, groups=groups,
                                    bias=draw(st.booleans()), rng=rng, dtype=dtype))
            c, hw = out, (hw + 2 * pad - k) // stride + 1
        elif kind == "bn":
            layers.append(nn.BatchNorm2d(c, momentum=draw(st.sampled_from([0.1, 0.5])), dtype=dtype))
        elif kind in ("maxpool", "avgpool") and hw >= 2:
            cls = nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d
            layers.append(cls(2))
            hw //= 2
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "leaky":
            layers.append(nn.LeakyReLU(0.1))
        elif kind == "tanh":
            layers.append(nn.Tanh())
        elif kind == "sigmoid":
            layers.append(nn.Sigmoid())
    return layers, c, hw


@st.composite
def architecture(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    c, hw = draw(st.integers(1, 3)), draw(st.integers(4, 9))
    layers, c_out, hw_out = _image_layers(draw, rng, c, hw, dtype)
    if draw(st.booleans()):
        layers.append(nn.AdaptiveAvgPool2d(1))
        hw_out = 1
    layers += [nn.Flatten(), nn.Linear(c_out * hw_out * hw_out, 5, rng=rng, dtype=dtype)]
    if draw(st.booleans()):
        layers += [nn.BatchNorm1d(5, dtype=dtype), nn.ReLU(), nn.Linear(5, 3, rng=rng, dtype=dtype)]
    model = nn.Sequential(*layers)
    # batch norm in training mode on a batch of 2 divides by the spread of
    # two numbers: well defined, but badly conditioned in float32
    x = rng.normal(size=(draw(st.integers(4, 6)), c, hw, hw)).astype(dtype)
    return model, x


def _tolerance(dtype):
    # float32: the two libraries sum in different orders, and batch norm in
    # training mode on a batch of a few samples divides by a small spread,
    # amplifying those last-bit differences; float64 shows the formulas agree
    return dict(rtol=1e-3, atol=2e-4) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-10)


def _torch_forward_backward(twin, x, g):
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    out = twin(tx)
    out.backward(torch.from_numpy(g))
    return out.detach().numpy(), tx.grad.numpy(), {k: p.grad.numpy() for k, p in twin.named_parameters()}


def _ours_forward_backward(model, x, g):
    model.zero_grad()
    out = model(x)
    grad_x = model.backward(g)
    return out, grad_x, {k: p.grad for k, p in model.named_parameters()}


@settings(max_examples=40, deadline=None)
@given(case=architecture(), train=st.booleans())
def test_to_torch_agrees_forward_and_backward(case, train):
    model, x = case
    model.train(train)
    twin = bridge.to_torch(model)
    assert twin.training == train
    assert list(twin.state_dict()) == list(model.state_dict())
    model_state = model.state_dict()
    out = model(x)
    g = np.random.default_rng(1).normal(size=out.shape).astype(x.dtype)
    model.load_state_dict(model_state)  # undo the running-statistics update of that call
    for k, v in model_state.items():
        np.testing.assert_array_equal(twin.state_dict()[k].numpy(), v)
    ours = _ours_forward_backward(model, x, g)
    theirs = _torch_forward_backward(twin, x, g)
    tol = _tolerance(x.dtype)
    np.testing.assert_allclose(ours[0], theirs[0], **tol, err_msg="output")
    np.testing.assert_allclose(ours[1], theirs[1], **tol, err_msg="input gradient")
    # a gradient that is 0 in exact arithmetic (a bias before batch norm) is
    # rounding noise of the model's other sums: tolerance on the largest scale
    scale = max(1.0, max(float(np.abs(g).max()) for g in theirs[2].values()))
    for name, grad in theirs[2].items():
        np.testing.assert_allclose(ours[2][name], grad, rtol=tol["rtol"],
                                   atol=tol["atol"] * scale, err_msg=name)
    # running statistics moved the same way
    for name, value in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[name], value.numpy(), **tol, err_msg=name)


@settings(max_examples=15, deadline=None)
@given(case=architecture())
def test_from_torch_round_trip(case):
    model, x = case
    model.eval()
    back = bridge.from_torch(bridge.to_torch(model))
    assert not back.training
    assert list(back.state_dict()) == list(model.state_dict())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[k], v)
        assert back.state_dict()[k].dtype == v.dtype
    np.testing.assert_array_equal(back(x), model(x))


@pytest.mark.parametrize("stride, inplanes, planes", [(1, 4, 4), (2, 4, 8), (1, 3, 6)])
@pytest.mark.parametrize("train", [True, False])
def test_basic_block_and_resnet(stride, inplanes, planes, train):
    rng = np.random.default_rng(stride + planes)
    block = BasicBlock(inplanes, planes, stride=stride, rng=rng).train(train)
    x = rng.normal(size=(3, inplanes, 8, 8)).astype(np.float32)
    twin = bridge.to_torch(block)
    g = rng.normal(size=block(x).shape).astype(np.float32)
    block.load_state_dict(bridge.from_torch(twin).state_dict())  # undo that call's update
    ours = _ours_forward_backward(block, x, g)
    theirs = _torch_forward_backward(twin, x, g)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-4, atol=1e-5)
    for name, grad in theirs[2].items():
        np.testing.assert_allclose(ours[2][name], grad, rtol=1e-4,
                                   atol=1e-5 * max(1.0, float(np.abs(grad).max())), err_msg=name)
    back = bridge.from_torch(twin)
    assert list(back.state_dict()) == list(block.state_dict())


@pytest.mark.parametrize("train", [True, False])
def test_small_resnet(train):
    rng = np.random.default_rng(3)
    model = resnet_small(widths=(4, 8), blocks=(1, 1), rng=rng).train(train)
    x = rng.normal(size=(4, 1, 12, 12)).astype(np.float32)
    twin = bridge.to_torch(model)
    out = twin(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(x), out, rtol=1e-4, atol=1e-5)


def test_dropout_agrees_in_eval_mode_only():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(6, 6, rng=rng), nn.Dropout(0.5, rng=rng)).eval()
    x = rng.normal(size=(4, 6)).astype(np.float32)
    out = bridge.to_torch(model)(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(x), out, rtol=1e-5, atol=1e-6)  # float32 sums


def test_embedding_and_conv1d():
    rng = np.random.default_rng(0)
    emb = nn.Embedding(10, 4, rng=rng)
    idx = rng.integers(0, 10, size=(3, 7))
    np.testing.assert_array_equal(bridge.to_torch(emb)(torch.from_numpy(idx)).detach().numpy(),
                                  emb(idx))
    conv = nn.Sequential(nn.Conv1d(4, 5, 3, padding=1, rng=rng), nn.MaxPool1d(2),
                         nn.AdaptiveMaxPool1d(1))
    x = rng.normal(size=(2, 4, 8)).astype(np.float32)
    np.testing.assert_allclose(bridge.to_torch(conv)(torch.from_numpy(x)).detach().numpy(),
                               conv(x), rtol=1e-5, atol=1e-6)


def test_custom_module_is_refused_with_a_reason():
    class Custom(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(2, 2, rng=np.random.default_rng(0))

        def forward(self, x):
            return self.lin(x) * 2

    with pytest.raises(TypeError, match="cannot translate Custom.*forward is code"):
        bridge.to_torch(Custom())


def test_unsupported_torch_options_are_refused():
    with pytest.raises(TypeError, match="dilation"):
        bridge.from_torch(torch.nn.Conv2d(1, 2, 3, dilation=2))
    with pytest.raises(TypeError, match="ceil_mode"):
        bridge.from_torch(torch.nn.MaxPool2d(2, ceil_mode=True))


def test_missing_torch_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(ImportError, match="CPU build"):
        bridge.to_torch(nn.ReLU())
