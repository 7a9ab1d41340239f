"""cnnlib.train: fit, predict, accuracy; determinism; a real run on the digits.

The accuracy bar is the end-to-end test of everything else: if any forward or
backward pass were subtly wrong, a short run would not reach 90% on held-out
digits (chance is 10%).
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnlib import datasets, nn, optim
from cnnlib.train import History, accuracy, fit, predict


def design_model(seed: int) -> nn.Sequential:
    """The network of DESIGN.md and the README."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.Flatten(),
        nn.Linear(256, 10, rng=rng))


@pytest.fixture(scope="module")
def digits():
    return datasets.load_digits()


def short_run(digits, init_seed: int, shuffle_seed: int, n: int = 256, epochs: int = 2):
    (X, y), _ = digits
    model = design_model(init_seed)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
                  (X[:n], y[:n]), epochs=epochs, batch_size=32,
                  rng=np.random.default_rng(shuffle_seed), progress="none")
    return model, history


# --------------------------------------------------------------------------
# learning


@pytest.mark.parametrize("seed", [0, 1])
def test_short_run_on_digits_clears_90_percent(digits, seed):
    (X_train, y_train), (X_test, y_test) = digits
    model = design_model(seed)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=3e-3),
                  (X_train, y_train), (X_test, y_test), epochs=5, batch_size=32,
                  rng=np.random.default_rng(seed), progress="none")
    assert history.test_acc[-1] >= 0.90, history.test_acc
    assert history.train_acc[-1] >= 0.90, history.train_acc
    # the loss starts near ln(10) = 2.3 (ten equally likely classes) and must fall a lot
    assert history.loss[-1] < history.loss[0] / 3
    assert accuracy(model, X_test, y_test) == history.test_acc[-1]


def test_untrained_model_is_near_chance(digits):
    _, (X_test, y_test) = digits
    assert accuracy(design_model(0), X_test, y_test) < 0.35


# --------------------------------------------------------------------------
# determinism


def test_same_seeds_give_bitwise_identical_weights(digits):
    a, history_a = short_run(digits, init_seed=3, shuffle_seed=4)
    b, history_b = short_run(digits, init_seed=3, shuffle_seed=4)
    for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert np.array_equal(pa.data, pb.data), name
    assert history_a.loss == history_b.loss


def test_different_seeds_give_different_weights(digits):
    reference, _ = short_run(digits, init_seed=3, shuffle_seed=4)
    other_init, _ = short_run(digits, init_seed=5, shuffle_seed=4)
    other_order, _ = short_run(digits, init_seed=3, shuffle_seed=6)
    for other in (other_init, other_order):
        for pa, pb in zip(reference.parameters(), other.parameters()):
            assert not np.array_equal(pa.data, pb.data)


def test_fit_default_rng_is_seeded(digits):
    (X, y), _ = digits
    weights = []
    for _ in range(2):
        model = design_model(0)
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X[:64], y[:64]),
            epochs=1, progress="none")
        weights.append(model.state_dict())
    for name in weights[0]:
        assert np.array_equal(weights[0][name], weights[1][name])


def test_fit_does_not_modify_the_data(digits):
    (X, y), _ = digits
    X_small, y_small = X[:64].copy(), y[:64].copy()
    model = design_model(0)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), (X_small, y_small),
        epochs=1, progress="none")
    np.testing.assert_array_equal(X_small, X[:64])
    np.testing.assert_array_equal(y_small, y[:64])


# --------------------------------------------------------------------------
# History


def test_history_has_one_entry_per_epoch(digits):
    (X, y), (X_test, y_test) = digits
    model = design_model(0)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), (X[:100], y[:100]),
                  (X_test[:50], y_test[:50]), epochs=3, batch_size=40, progress="none")
    assert isinstance(history, History)
    assert history.epoch == [1, 2, 3]
    for values in (history.loss, history.train_acc, history.test_acc, history.seconds):
        assert len(values) == 3
    assert all(np.isfinite(history.loss)) and all(v > 0 for v in history.loss)
    assert all(0 <= a <= 1 for a in history.train_acc + history.test_acc)
    assert all(s >= 0 for s in history.seconds)
    assert history.train_acc[-1] == accuracy(model, X[:100], y[:100])


def test_history_without_test_set_records_nan(digits):
    _, history = short_run(digits, 0, 0, n=64, epochs=2)
    assert len(history.test_acc) == 2 and np.all(np.isnan(history.test_acc))


def test_history_plot_returns_two_axes(digits):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, history = short_run(digits, 0, 0, n=64, epochs=2)
    ax_loss, ax_acc = history.plot()
    assert len(ax_loss.lines) == 1 and len(ax_acc.lines) == 1  # no test curve when all NaN
    np.testing.assert_array_equal(ax_loss.lines[0].get_ydata(), history.loss)
    plt.close("all")


# --------------------------------------------------------------------------
# progress output


def test_progress_text_prints_one_line_per_epoch(digits, capsys):
    (X, y), (X_test, y_test) = digits
    model = design_model(0)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), (X[:64], y[:64]),
        (X_test[:32], y_test[:32]), epochs=3, progress="text")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for i, line in enumerate(lines, start=1):
        assert line.startswith(f"epoch {i}/3") and "loss" in line and "train" in line and "test" in line


def test_progress_none_is_silent_and_bar_uses_stderr(digits, capsys):
    (X, y), _ = digits
    model = design_model(0)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), (X[:64], y[:64]),
        epochs=1, progress="none")
    assert capsys.readouterr() == ("", "")
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), (X[:64], y[:64]),
        epochs=1, progress="bar")
    out, err = capsys.readouterr()
    assert out == "" and "epoch 1/1" in err and "#" in err


# --------------------------------------------------------------------------
# argument errors


def _fit(digits, **kwargs):
    (X, y), _ = digits
    model = design_model(0)
    args = dict(train=(X[:10], y[:10]), test=None, epochs=1, batch_size=5, progress="none")
    args.update(kwargs)
    return fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), args.pop("train"),
               args.pop("test"), **args)


@pytest.mark.parametrize("kwargs, pattern", [
    (lambda X, y: dict(train=(X[:10], y[:9])), r"train X has 10 samples but y has 9"),
    (lambda X, y: dict(test=(X[:4], y[:5])), r"test X has 4 samples but y has 5"),
    (lambda X, y: dict(epochs=0), r"epochs must be a positive int, got 0"),
    (lambda X, y: dict(epochs=2.5), r"epochs must be a positive int, got 2\.5"),
    (lambda X, y: dict(batch_size=0), r"batch_size must be a positive int, got 0"),
    (lambda X, y: dict(batch_size=-3), r"batch_size must be a positive int, got -3"),
    (lambda X, y: dict(progress="loud"), r"progress must be 'auto', 'bar', 'text' or 'none', got 'loud'"),
])
def test_fit_argument_errors(digits, kwargs, pattern):
    (X, y), _ = digits
    with pytest.raises(ValueError, match=pattern):
        _fit(digits, **kwargs(X, y))


def test_fit_batch_larger_than_the_data(digits):
    history = _fit(digits, batch_size=1000, epochs=2)
    assert history.epoch == [1, 2]


# --------------------------------------------------------------------------
# predict and accuracy


def test_predict_is_batch_size_independent(digits):
    _, (X_test, _) = digits
    model = design_model(0)
    full = model(X_test)
    for batch_size in (1, 7, 100, 10_000):
        out = predict(model, X_test, batch_size=batch_size)
        assert out.shape == (len(X_test), 10)
        np.testing.assert_allclose(out, full, rtol=1e-5, atol=1e-6)


def test_accuracy_counts_argmax_hits():
    # identity Linear layer: the prediction is the argmax of the input row
    model = nn.Linear(3, 3, dtype=np.float64)
    model.weight.data[...] = np.eye(3)
    model.bias.data[...] = 0
    X = np.array([[1.0, 0, 0], [0, 2.0, 0], [0, 0, 3.0], [5.0, 1, 1]])
    assert accuracy(model, X, np.array([0, 1, 2, 0])) == 1.0
    assert accuracy(model, X, np.array([0, 1, 0, 2])) == 0.5
    assert accuracy(model, X, np.array([1, 2, 0, 1]), batch_size=3) == 0.0
