"""The chapter-6 checks accept correct answers and reject plausible wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlib import evaluate, nn
from cnnlib.exercises import network as N
from cnnlib.inspect_model import count_parameters

# --------------------------------------------------------------------------
# lenet_params


def lenet(c1, c2, hidden):
    rng = np.random.default_rng(0)
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * c2, hidden, rng=rng), nn.ReLU(), nn.Linear(hidden, 10, rng=rng))


def test_lenet_params_accepts_the_count_of_built_networks(capsys):
    # the expected values in the check agree with networks actually built and run
    def built(c1, c2, hidden):
        model = lenet(c1, c2, hidden)
        assert model(np.zeros((1, 1, 8, 8), dtype=np.float32)).shape == (1, 10)
        return count_parameters(model)

    assert N.check_lenet_params(built)
    assert "all 4 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [
    lambda c1, c2, h: c1 * 9 + c2 * 9 * c1 + h * 4 * c2 + 10 * h,                   # no biases
    lambda c1, c2, h: c1 * 10 + c2 * (9 * c1 + 1) + h * (16 * c2 + 1) + 10 * (h + 1),  # one pool
    lambda c1, c2, h: c1 * 10 + c2 * (9 + 1) + h * (4 * c2 + 1) + 10 * (h + 1),     # c_in ignored
    lambda c1, c2, h: c1 * 10 + c2 * (9 * c1 + 1) + h * (4 * c2 + 1),               # no last layer
])
def test_lenet_params_rejects_wrong(wrong, capsys):
    assert not N.check_lenet_params(wrong)
    assert "Hint:" in capsys.readouterr().out


# --------------------------------------------------------------------------
# linear_backward


def via_layer(grad_out, x, weight):
    layer = nn.Linear(x.shape[1], weight.shape[0], dtype=np.float64, rng=np.random.default_rng(0))
    layer.weight.data[...] = weight
    layer(x)
    grad_x = layer.backward(grad_out)
    return grad_x, layer.weight.grad, layer.bias.grad


def by_hand(grad_out, x, weight):
    return grad_out @ weight, grad_out.T @ x, grad_out.sum(axis=0)


@pytest.mark.parametrize("right", [via_layer, by_hand])
def test_linear_backward_accepts_correct(right, capsys):
    assert N.check_linear_backward(right)
    assert "all 9 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [
    lambda g, x, w: (g @ w, x.T @ g, g.sum(axis=0)),          # weight grad transposed
    lambda g, x, w: (g @ w, g.T @ x, g.mean(axis=0)),         # bias averaged
    lambda g, x, w: (g @ w.T if g.shape[1] == w.shape[1] else g @ w, g.T @ x, g.sum(axis=1)),
    lambda g, x, w: (g @ w, g.T @ x / len(x), g.sum(axis=0)),  # divides by the batch size
    lambda g, x, w: [g @ w, g.T @ x],                           # forgets the bias
])
def test_linear_backward_rejects_wrong(wrong, capsys):
    assert not N.check_linear_backward(wrong)
    assert "FAIL" in capsys.readouterr().out


# --------------------------------------------------------------------------
# build_variant


def variant(rng, *, conv2_padding=0, in_features=96, first_filters=12):
    return nn.Sequential(
        nn.Conv2d(1, first_filters, 5, padding=2, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(first_filters, 24, 3, padding=conv2_padding, rng=rng), nn.ReLU(), nn.Flatten(),
        nn.Linear(in_features, 10, rng=rng))


def test_variant_accepts_the_right_network(capsys):
    assert N.check_variant(variant)
    assert "all 6 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [
    lambda rng: variant(rng, conv2_padding=1, in_features=384),  # padded second conv
    lambda rng: variant(rng, in_features=384),                  # wrong flattened size: crashes
    lambda rng: variant(rng, first_filters=8),                  # wrong number of filters
    lambda rng: nn.Sequential(nn.Flatten(), nn.Linear(64, 10, rng=rng)),  # no convolution
    lambda rng: 1 / 0,                                          # build raises
])
def test_variant_rejects_wrong(wrong, capsys):
    assert not N.check_variant(wrong)
    assert "FAIL" in capsys.readouterr().out


# --------------------------------------------------------------------------
# confusion_matrix


def test_confusion_matrix_accepts_cnnlib(capsys):
    assert N.check_confusion_matrix(evaluate.confusion_matrix)
    assert "all 5 cases pass" in capsys.readouterr().out


def loops(y_true, y_pred, c):
    cm = np.zeros((c, c), dtype=int)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


@pytest.mark.parametrize("wrong", [
    lambda t, p, c: loops(t, p, c).T,                                         # transposed
    lambda t, p, c: loops(t, p, max(max(t), max(p)) + 1),                     # ignores num_classes
    lambda t, p, c: np.diag(np.bincount(np.asarray(t)[np.asarray(t) == np.asarray(p)],
                                        minlength=c)),                        # only the diagonal
])
def test_confusion_matrix_rejects_wrong(wrong, capsys):
    assert not N.check_confusion_matrix(wrong)
    assert "Hint:" in capsys.readouterr().out


def test_loops_reference_agrees_with_check(capsys):
    assert N.check_confusion_matrix(loops)
