"""Module's bookkeeping, as torch.nn.Module: discovery, buffers, state dicts, modes.

Expected key lists are written out by hand from PyTorch's rules: a module's
own parameters in assignment order, then its buffers, then each child's,
depth first, with dotted names and list indices as names.
"""

from __future__ import annotations

import numpy as np
import pytest

import cnnlib
from cnnlib import nn


class Net(nn.Module):
    """A custom model: layers as attributes, one of them a container."""

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=rng), nn.BatchNorm2d(4), nn.ReLU(),
                                      nn.MaxPool2d(2))
        self.heads = nn.ModuleList([nn.Linear(4 * 2 * 2, 3, rng=rng), nn.Linear(4 * 2 * 2, 2, rng=rng)])
        self.drop = nn.Dropout(0.5, rng=rng)
        self.flatten = nn.Flatten()
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))

    def forward(self, x):
        h = self.drop(self.flatten(self.features(x)))
        return self.heads[0](h) * self.scale.data, self.heads[1](h)


PARAMETER_KEYS = ["scale", "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                  "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias"]
STATE_KEYS = ["scale", "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
              "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked",
              "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias"]


def test_parameters_are_found_recursively_in_order():
    net = Net()
    # PyTorch lists a module's own parameters before its children's
    assert [name for name, _ in net.named_parameters()] == PARAMETER_KEYS
    assert net.parameters()[1] is net.features[0].weight
    assert net.parameters()[-1] is net.heads[1].bias
    assert [name for name, _ in net.named_children()] == ["features", "heads", "drop", "flatten"]


def test_buffers_and_state_dict_keys_and_order():
    net = Net()
    assert [name for name, _ in net.named_buffers()] == [
        "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked"]
    state = net.state_dict()
    assert list(state) == STATE_KEYS
    # within a module, parameters come before buffers
    bn = nn.BatchNorm1d(3)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    # copies, buffers included
    state["features.1.running_mean"][...] = 5
    assert not net.features[1].running_mean.any()


@pytest.mark.parametrize("container", [list, tuple, dict])
def test_a_plain_container_of_modules_is_refused(container):
    class Bad(nn.Module):
        def __init__(self):
            layers = [nn.Linear(2, 2), nn.ReLU()]
            self.layers = dict(enumerate(layers)) if container is dict else container(layers)

    with pytest.raises(TypeError, match=rf"Bad\.layers is a {container.__name__} holding Modules; "
                                        r".*not trained, not saved.*nn\.ModuleList"):
        Bad()


def test_containers_without_modules_are_fine():
    class Fine(nn.Module):
        def __init__(self):
            self.sizes = [1, 2, 3]
            self.names = {"a": 1}
            self.layer = nn.Linear(2, 2)

    assert [n for n, _ in Fine().named_parameters()] == ["layer.weight", "layer.bias"]


def test_train_and_eval_reach_every_submodule():
    net = Net()
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net
    assert not net.training and not any(m.training for _, m in net.named_modules())
    assert not net.heads[1].training and not net.features[1].training
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(TypeError, match=r"mode must be True or False, got 'no'"):
        net.train("no")


def test_modes_change_what_the_layers_do():
    net = Net()
    x = np.random.default_rng(1).normal(size=(4, 1, 4, 4)).astype(np.float32)
    net.eval()
    a, b = net(x), net(x)
    np.testing.assert_array_equal(a[0], b[0])  # no dropout, running statistics: deterministic
    assert int(net.features[1].num_batches_tracked) == 0  # eval does not update the statistics
    net.train()
    net(x)
    assert int(net.features[1].num_batches_tracked) == 1


def test_load_state_dict_strict_and_not():
    source, target = Net(seed=1), Net(seed=2)
    x = np.random.default_rng(3).normal(size=(5, 1, 4, 4)).astype(np.float32)
    source(x)  # move the running statistics away from their start
    state = source.state_dict()
    result = target.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    source.eval(), target.eval()
    for ours, theirs in zip(source(x), target(x)):
        np.testing.assert_array_equal(ours, theirs)
    # strict: every key must match
    with pytest.raises(ValueError, match=r"missing \['heads\.1\.weight'\]"):
        target.load_state_dict({k: v for k, v in state.items() if k != "heads.1.weight"})
    with pytest.raises(ValueError, match=r"unexpected \['extra\.weight'\]"):
        target.load_state_dict(dict(state, **{"extra.weight": np.zeros(2)}))
    # strict=False: transfer what matches, report the rest
    fresh = Net(seed=4)
    partial = {k: v for k, v in state.items() if k.startswith("features.")}
    partial["new_head.weight"] = np.zeros(3)
    result = fresh.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["scale", "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias"]
    assert result.unexpected_keys == ["new_head.weight"]
    np.testing.assert_array_equal(fresh.features[0].weight.data, source.features[0].weight.data)
    np.testing.assert_array_equal(fresh.features[1].running_var, source.features[1].running_var)
    assert not np.array_equal(fresh.heads[0].weight.data, source.heads[0].weight.data)
    # a shape mismatch is an error even when not strict
    with pytest.raises(ValueError, match=r"state_dict\['features\.0\.weight'\] has shape"):
        fresh.load_state_dict({"features.0.weight": np.zeros((4, 1, 5, 5))}, strict=False)


def test_round_trip_gives_the_same_outputs():
    source = Net(seed=5)
    rng = np.random.default_rng(6)
    for _ in range(3):  # train-mode passes: running statistics and counter move
        source(rng.normal(size=(8, 1, 4, 4)).astype(np.float32))
    copy = Net(seed=7)
    copy.load_state_dict(source.state_dict())
    assert int(copy.features[1].num_batches_tracked) == 3
    x = rng.normal(size=(3, 1, 4, 4)).astype(np.float32)
    for a, b in zip(source.eval()(x), copy.eval()(x)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not hasattr(cnnlib, "save"), reason="cnnlib.save/load not written yet (serialization.py)")
def test_round_trip_through_a_file(tmp_path):
    source = Net(seed=8)
    source(np.random.default_rng(9).normal(size=(4, 1, 4, 4)).astype(np.float32))
    path = tmp_path / "net.npz"
    cnnlib.save(source.state_dict(), path)
    loaded = cnnlib.load(path)
    assert list(loaded) == STATE_KEYS
    assert np.asarray(loaded["features.1.num_batches_tracked"]).dtype == np.int64
    copy = Net(seed=10)
    copy.load_state_dict(loaded)
    x = np.random.default_rng(11).normal(size=(2, 1, 4, 4)).astype(np.float32)
    for a, b in zip(source.eval()(x), copy.eval()(x)):
        np.testing.assert_array_equal(a, b)


def test_module_list_indexing_and_sequential_keys():
    heads = nn.ModuleList([nn.ReLU(), nn.Linear(2, 2)])
    assert len(heads) == 2 and isinstance(heads[-1], nn.Linear)
    with pytest.raises(IndexError, match=r"index 2 is out of range for ModuleList of length 2"):
        heads[2]
    model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.BatchNorm1d(2), nn.ReLU(), nn.AdaptiveMaxPool1d(1),
                          nn.Flatten(), nn.Linear(2, 2))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                        "1.running_var", "1.num_batches_tracked", "5.weight", "5.bias"]


def test_sequential_can_skip_the_input_gradient_and_keeps_every_weight_gradient():
    # the weight gradients must be the same whether or not the first layer
    # computes the gradient of its input (which training never uses)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 1, 8, 8))
    y = np.array([0, 1, 2, 1])

    def grads(input_grad):
        model = nn.Sequential(nn.Conv2d(1, 3, 3, rng=np.random.default_rng(1), dtype=np.float64),
                              nn.ReLU(), nn.Flatten(),
                              nn.Linear(108, 3, rng=np.random.default_rng(2), dtype=np.float64))
        loss = nn.CrossEntropyLoss()
        loss(model(x), y)
        back = model.backward(loss.backward(), input_grad=input_grad)
        return back, [p.grad.copy() for p in model.parameters()]

    full, with_x = grads(True)
    none, without_x = grads(False)
    assert full.shape == x.shape and none is None
    for a, b in zip(with_x, without_x):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("first", [nn.Flatten(), nn.ReLU()])
def test_input_grad_false_with_a_first_layer_that_cannot_skip(first):
    model = nn.Sequential(first, nn.Flatten(), nn.Linear(4, 2, rng=np.random.default_rng(0)))
    model(np.ones((3, 4), dtype=np.float32))
    assert model.backward(np.ones((3, 2), dtype=np.float32), input_grad=False) is None
    assert model[2].weight.grad.any()
