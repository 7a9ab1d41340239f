"""cnnlib.inspect_model: counts by hand and from PyTorch, outputs layer by layer."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlib import nn
from cnnlib.inspect_model import count_parameters, layer_outputs, layer_table, summary


def lenet(rng):
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128, 64, rng=rng), nn.ReLU(), nn.Linear(64, 10, rng=rng))


def test_parameter_counts_by_hand():
    model = lenet(np.random.default_rng(0))
    # weights + biases: 16*1*9+16, 32*16*9+32, 64*128+64, 10*64+10
    per_layer = [160, 0, 0, 4640, 0, 0, 0, 8256, 0, 650]
    assert [r.num_params for r in layer_table(model, (1, 8, 8))] == per_layer
    assert count_parameters(model) == sum(per_layer) == 13706
    assert count_parameters(nn.Conv2d(3, 5, (2, 4), bias=False, rng=np.random.default_rng(0))) == 120


def test_counts_and_shapes_match_pytorch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    reference = tnn.Sequential(
        tnn.Conv2d(1, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(16, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(128, 64), tnn.ReLU(), tnn.Linear(64, 10))
    rows = layer_table(lenet(np.random.default_rng(0)), (1, 8, 8))
    x = torch.zeros(1, 1, 8, 8)
    for row, layer in zip(rows, reference):
        x = layer(x)
        assert row.output_shape == tuple(x.shape[1:])
        assert row.num_params == sum(p.numel() for p in layer.parameters())
        assert row.kind == type(layer).__name__


def test_layer_outputs_chain_and_end_in_the_model_output():
    rng = np.random.default_rng(1)
    model = lenet(rng)
    x = rng.uniform(size=(3, 1, 8, 8)).astype(np.float32)
    outputs = layer_outputs(model, x)
    assert [name for name, _ in outputs][:3] == ["0 Conv2d", "1 ReLU", "2 MaxPool2d"]
    # each output is the layer applied to the previous one
    previous = x
    for layer, (_, out) in zip(model.layers, outputs):
        assert np.array_equal(out, layer(previous))
        previous = out
    assert np.array_equal(outputs[-1][1], model(x))
    assert outputs[-1][1].shape == (3, 10)


def test_single_layer_is_accepted():
    layer = nn.Linear(4, 2, rng=np.random.default_rng(0))
    (name, out), = layer_outputs(layer, np.ones((5, 4), dtype=np.float32))
    assert name == "0 Linear" and out.shape == (5, 2)
    assert layer_table(layer, (4,))[0].num_params == 10


def test_summary_text_hand_worked():
    model = nn.Sequential(nn.Conv2d(2, 3, 3, rng=np.random.default_rng(0)), nn.ReLU(),
                          nn.Flatten(), nn.Linear(12, 1000, rng=np.random.default_rng(0)))
    text = summary(model, (2, 4, 4))
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "type", "output", "shape", "parameters"]
    # 3*2*9 + 3 = 57; 1000*12 + 1000 = 13000
    assert lines[2].split() == ["0", "Conv2d", "(N,", "3,", "2,", "2)", "57"]
    assert lines[3].split() == ["1", "ReLU", "(N,", "3,", "2,", "2)", "0"]
    assert lines[4].split() == ["2", "Flatten", "(N,", "12)", "0"]
    assert lines[5].split() == ["3", "Linear", "(N,", "1000)", "13,000"]
    assert lines[6].split() == ["total", "13,057"]
    # the numbers form a right-aligned column
    assert len({len(line) for line in lines}) == 1


def test_bad_arguments():
    with pytest.raises(TypeError, match="cnnlib.nn.Module"):
        layer_outputs(lambda x: x, np.zeros((1, 1)))
    with pytest.raises(ValueError, match="without the batch axis"):
        layer_table(lenet(np.random.default_rng(0)), (0, 8, 8))
    with pytest.raises(ValueError, match="in_features"):
        # wrong input size: the Linear layer names the mismatch
        summary(lenet(np.random.default_rng(0)), (1, 12, 12))
