"""cnnlib.train: fit, predict, accuracy; determinism; a real run on the digits.

The accuracy bar is the end-to-end test of everything else: if any forward or
backward pass were subtly wrong, a short run would not reach 90% on held-out
digits (chance is 10%). The semantics of fit (running training metrics,
validation in eval mode, the scheduler, the transform, the NaN stop) are
checked against hand-written loops and recording models.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnlib import datasets, nn, optim
from cnnlib.data.transforms import RandomCrop
from cnnlib.train import History, accuracy, fit, predict


def design_model(seed: int) -> nn.Sequential:
    """The network of DESIGN.md and the README."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.Flatten(),
        nn.Linear(256, 10, rng=rng))


def linear_model(seed: int) -> nn.Sequential:
    """A quick model for tests about the loop rather than about learning."""
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 10, rng=np.random.default_rng(seed)))


class Recorder(nn.Module):
    """Wraps a model and records, for every forward call, the mode and the input."""

    def __init__(self, inner: nn.Module):
        self.inner = inner
        self.calls = []  # (training, input copy)

    def forward(self, x):
        self.calls.append((self.training, np.array(x)))
        return self.inner(x)

    def backward(self, grad_out):
        return self.inner.backward(grad_out)


class NaNAt(nn.Module):
    """A model whose forward returns NaN scores at its ``k``-th call (counting from 1)."""

    def __init__(self, inner: nn.Module, k: int):
        self.inner, self.k, self.count = inner, k, 0

    def forward(self, x):
        self.count += 1
        out = self.inner(x)
        return np.full_like(out, np.nan) if self.count == self.k else out

    def backward(self, grad_out):
        return self.inner.backward(grad_out)


@pytest.fixture(scope="module")
def digits():
    return datasets.load_digits()


def short_run(digits, init_seed: int, shuffle_seed: int, n: int = 256, epochs: int = 2, **kwargs):
    (X, y), _ = digits
    model = design_model(init_seed)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
                  (X[:n], y[:n]), epochs=epochs, batch_size=32,
                  rng=np.random.default_rng(shuffle_seed), progress="none", **kwargs)
    return model, history


# --------------------------------------------------------------------------
# learning


@pytest.mark.parametrize("seed", [0, 1])
def test_short_run_on_digits_clears_90_percent(digits, seed):
    (X_train, y_train), (X_test, y_test) = digits
    model = design_model(seed)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=3e-3),
                  (X_train, y_train), val_data=(X_test, y_test), epochs=5, batch_size=32,
                  rng=np.random.default_rng(seed), progress="none")
    assert history.val_acc[-1] >= 0.90, history.val_acc
    assert history.train_acc[-1] >= 0.90, history.train_acc
    # the loss starts near ln(10) = 2.3 (ten equally likely classes) and must fall a lot
    assert history.loss[-1] < history.loss[0] / 3
    assert history.val_loss[-1] < history.val_loss[0]
    assert accuracy(model, X_test, y_test) == history.val_acc[-1]


def test_untrained_model_is_near_chance(digits):
    _, (X_test, y_test) = digits
    assert accuracy(design_model(0), X_test, y_test) < 0.35


# --------------------------------------------------------------------------
# what fit computes, against a hand-written loop


def test_fit_equals_a_hand_written_loop(digits):
    # The loop fit documents: one rng.permutation(N) per epoch, batches in that
    # order, the running loss and accuracy averaged over samples, each batch
    # scored before its update.
    (X, y), _ = digits
    X, y = X[:200], y[:200]
    epochs, batch_size = 2, 32
    model = linear_model(0)
    opt = optim.SGD(model.parameters(), lr=0.2)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(11)
    losses, accs = [], []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        loss_sum = correct = 0.0
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            scores = model(X[idx])
            loss = loss_fn(scores, y[idx])
            model.backward(loss_fn.backward())
            opt.step()
            loss_sum += loss * len(idx)
            correct += np.sum(scores.argmax(axis=1) == y[idx])
        losses.append(loss_sum / len(X))
        accs.append(correct / len(X))

    fitted = linear_model(0)
    history = fit(fitted, nn.CrossEntropyLoss(), optim.SGD(fitted.parameters(), lr=0.2), (X, y),
                  epochs=epochs, batch_size=batch_size, rng=np.random.default_rng(11), progress="none")
    np.testing.assert_allclose(history.loss, losses, rtol=1e-12)
    assert history.train_acc == pytest.approx(accs, abs=0)
    for p, q in zip(model.parameters(), fitted.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_running_train_metrics_are_not_a_rescoring(digits):
    # After one epoch from random weights, the running accuracy includes the
    # first, untrained batches (near 10%), so it must be below the accuracy of
    # the trained weights on the same training set.
    (X, y), _ = digits
    X, y = X[:640], y[:640]
    model = design_model(0)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=3e-3), (X, y),
                  epochs=1, batch_size=32, progress="none")
    rescored = accuracy(model, X, y)
    assert history.train_acc[0] < rescored - 0.05, (history.train_acc, rescored)
    loss_now = nn.CrossEntropyLoss()(predict(model, X), y)
    assert history.loss[0] > loss_now


def test_validation_metrics_equal_scoring_after_each_epoch(digits):
    (X, y), (X_val, y_val) = digits
    model = design_model(0)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=3e-3),
                  (X[:400], y[:400]), val_data=(X_val, y_val), epochs=2, batch_size=32,
                  progress="none")
    assert history.val_acc[-1] == accuracy(model, X_val, y_val)
    expected_loss = nn.CrossEntropyLoss()(model(X_val), y_val)
    assert history.val_loss[-1] == pytest.approx(expected_loss, rel=1e-6)


def test_validation_runs_in_eval_mode_and_modes_are_restored(digits):
    (X, y), (X_val, y_val) = digits
    for start_training in (True, False):
        model = Recorder(linear_model(0))
        model.train(start_training)
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X[:50], y[:50]),
            val_data=(X_val[:30], y_val[:30]), epochs=2, batch_size=20, progress="none")
        # per epoch: 3 training batches (20, 20, 10) in training mode, then the
        # validation set in eval mode, untransformed
        modes = [training for training, _ in model.calls]
        assert modes == [True, True, True, False] * 2
        sizes = [len(x) for _, x in model.calls]
        assert sizes == [20, 20, 10, 30] * 2
        np.testing.assert_array_equal(model.calls[3][1], X_val[:30])
        assert model.training is start_training
        assert model.inner.training is start_training and model.inner[1].training is start_training


def test_model_without_train_and_eval_still_works(digits):
    (X, y), (X_val, y_val) = digits

    class Plain:  # not an nn.Module: no train(), eval() or training
        def __init__(self):
            self.net = linear_model(0)

        def __call__(self, x):
            return self.net(x)

        def backward(self, grad_out):
            return self.net.backward(grad_out)

    model = Plain()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.net.parameters(), lr=0.1),
                  (X[:64], y[:64]), val_data=(X_val[:32], y_val[:32]), epochs=2, batch_size=16,
                  progress="none")
    assert history.epoch == [1, 2] and history.val_acc[-1] == accuracy(model, X_val[:32], y_val[:32])


def test_scheduler_stepped_once_per_epoch_and_lr_recorded(digits):
    (X, y), _ = digits
    model = linear_model(0)
    opt = optim.SGD(model.parameters(), lr=0.4)

    class Halve:
        steps = 0

        def step(self):
            self.steps += 1
            opt.lr /= 2

    scheduler = Halve()
    history = fit(model, nn.CrossEntropyLoss(), opt, (X[:60], y[:60]), epochs=3, batch_size=20,
                  scheduler=scheduler, progress="none")
    assert scheduler.steps == 3
    # the rate used during each epoch, read before that epoch's step()
    assert history.lr == [0.4, 0.2, 0.1]
    assert opt.lr == 0.05


def test_with_step_lr(digits):
    # StepLR(step_size=2, gamma=0.1): the rate is 0.1 for epochs 1-2, 0.01 for 3-4
    (X, y), _ = digits
    model = linear_model(0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, nn.CrossEntropyLoss(), opt, (X[:40], y[:40]), epochs=4, batch_size=20,
                  scheduler=optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1), progress="none")
    np.testing.assert_allclose(history.lr, [0.1, 0.1, 0.01, 0.01], rtol=1e-12)


def test_transform_gets_each_training_batch_and_the_rng(digits):
    (X, y), (X_val, y_val) = digits
    rng = np.random.default_rng(3)
    received = []

    def transform(xb, r):
        received.append((xb.shape, r))
        return np.zeros_like(xb)  # a visible change: the model sees only zeros

    model = Recorder(linear_model(0))
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X[:50], y[:50]),
        val_data=(X_val[:10], y_val[:10]), epochs=2, batch_size=20, transform=transform, rng=rng,
        progress="none")
    assert [shape[0] for shape, _ in received] == [20, 20, 10] * 2
    assert all(r is rng for _, r in received)
    for training, x in model.calls:
        if training:
            assert not x.any()          # transformed
        else:
            np.testing.assert_array_equal(x, X_val[:10])   # validation is not


def test_runs_with_augmentation_are_reproducible(digits):
    a, ha = short_run(digits, 0, 5, n=96, epochs=2, transform=RandomCrop(8, padding=1))
    b, hb = short_run(digits, 0, 5, n=96, epochs=2, transform=RandomCrop(8, padding=1))
    c, _ = short_run(digits, 0, 5, n=96, epochs=2)
    assert ha.loss == hb.loss
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
        assert not np.array_equal(pa.data, pc.data)  # the crops changed the training


# --------------------------------------------------------------------------
# the NaN stop


def test_nan_loss_stops_with_epoch_and_batch(digits):
    (X, y), _ = digits
    # 60 samples in batches of 20: 3 batches per epoch, so call 5 is epoch 2, batch 2
    model = NaNAt(linear_model(0), k=5)
    model.eval()
    with pytest.raises(RuntimeError, match=r"loss became nan at epoch 2, batch 2 of 3.*lower learning rate"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X[:60], y[:60]),
            epochs=3, batch_size=20, progress="none")
    assert model.training is False  # restored even though fit raised


def test_diverging_learning_rate_stops_with_a_hint(digits):
    (X, y), _ = digits
    model = linear_model(0)
    # lr = 1e38: the first update pushes float32 weights past their largest
    # value (3.4e38), so the loss becomes infinite or NaN on a following batch
    with np.errstate(all="ignore"), pytest.raises(
            RuntimeError, match=r"at epoch 1, batch \d+ of 10.*lower learning rate \(optimizer\.lr is 1e\+38\)"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=1e38), (X[:320], y[:320]),
            epochs=2, batch_size=32, progress="none")


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
            epochs=1, batch_size=32, progress="none")
        weights.append(model.state_dict())
    for name in weights[0]:
        assert np.array_equal(weights[0][name], weights[1][name])


def test_fit_does_not_modify_the_data(digits):
    (X, y), _ = digits
    X_small, y_small = X[:64].copy(), y[:64].copy()
    model = design_model(0)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), (X_small, y_small),
        epochs=1, batch_size=32, transform=RandomCrop(8, padding=2), progress="none")
    np.testing.assert_array_equal(X_small, X[:64])
    np.testing.assert_array_equal(y_small, y[:64])


# --------------------------------------------------------------------------
# History


def test_history_has_one_entry_per_epoch(digits):
    (X, y), (X_val, y_val) = digits
    model = design_model(0)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=2e-3),
                  (X[:100], y[:100]), val_data=(X_val[:50], y_val[:50]), epochs=3, batch_size=40,
                  progress="none")
    assert isinstance(history, History)
    assert history.epoch == [1, 2, 3]
    for values in (history.loss, history.train_acc, history.val_loss, history.val_acc,
                   history.lr, history.seconds):
        assert len(values) == 3
    assert all(np.isfinite(history.loss + history.val_loss)) and min(history.loss + history.val_loss) > 0
    assert all(0 <= a <= 1 for a in history.train_acc + history.val_acc)
    # accuracies are fractions of 100 training and 50 validation samples
    assert all(round(a * 100) == pytest.approx(a * 100) for a in history.train_acc)
    assert all(round(a * 50) == pytest.approx(a * 50) for a in history.val_acc)
    assert history.lr == [2e-3] * 3
    assert all(s >= 0 for s in history.seconds)


def test_history_without_val_data_records_nan(digits):
    _, history = short_run(digits, 0, 0, n=64, epochs=2)
    assert len(history.val_acc) == len(history.val_loss) == 2
    assert np.all(np.isnan(history.val_acc)) and np.all(np.isnan(history.val_loss))


@pytest.fixture
def agg():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_history_plot_shows_train_and_validation(digits, agg):
    _, history = short_run(digits, 0, 0, n=64, epochs=2, val_data=(digits[1][0][:40], digits[1][1][:40]))
    ax_loss, ax_acc = history.plot()
    assert len(ax_loss.lines) == 2 and len(ax_acc.lines) == 2
    np.testing.assert_array_equal(ax_loss.lines[0].get_ydata(), history.loss)
    np.testing.assert_array_equal(ax_loss.lines[1].get_ydata(), history.val_loss)
    np.testing.assert_array_equal(ax_acc.lines[0].get_ydata(), history.train_acc)
    np.testing.assert_array_equal(ax_acc.lines[1].get_ydata(), history.val_acc)
    assert [t.get_text() for t in ax_acc.get_legend().get_texts()] == ["train (running)", "validation"]


def test_history_plot_without_validation_has_one_curve_each(digits, agg):
    _, history = short_run(digits, 0, 0, n=64, epochs=2)
    ax_loss, ax_acc = history.plot()
    assert len(ax_loss.lines) == 1 and len(ax_acc.lines) == 1
    np.testing.assert_array_equal(ax_loss.lines[0].get_ydata(), history.loss)


# --------------------------------------------------------------------------
# progress output


def test_progress_text_prints_one_line_per_epoch(digits, capsys):
    (X, y), (X_val, y_val) = digits
    model = design_model(0)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), (X[:64], y[:64]),
                  val_data=(X_val[:32], y_val[:32]), epochs=3, batch_size=32, progress="text")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for i, line in enumerate(lines, start=1):
        assert line.startswith(f"epoch {i}/3")
        assert f"loss {history.loss[i - 1]:.4f}" in line
        assert f"val {100 * history.val_acc[i - 1]:.2f}%" in line and "val_loss" in line
        assert "lr" not in line.split("val_loss")[1]  # no scheduler, no lr column


def test_progress_text_shows_lr_with_a_scheduler(digits, capsys):
    (X, y), _ = digits
    model = linear_model(0)
    opt = optim.SGD(model.parameters(), lr=0.1)

    class Tenth:
        def step(self):
            opt.lr /= 10

    fit(model, nn.CrossEntropyLoss(), opt, (X[:20], y[:20]), epochs=2, batch_size=10,
        scheduler=Tenth(), progress="text")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("lr 0.1") and lines[1].endswith("lr 0.01")


def test_progress_none_is_silent_and_bar_uses_stderr(digits, capsys):
    (X, y), _ = digits
    model = design_model(0)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), (X[:64], y[:64]),
        epochs=1, batch_size=32, progress="none")
    assert capsys.readouterr() == ("", "")
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), (X[:64], y[:64]),
        epochs=1, batch_size=32, progress="bar")
    out, err = capsys.readouterr()
    assert out == "" and "epoch 1/1" in err and "#" in err and err.endswith("\n")


# --------------------------------------------------------------------------
# argument errors


def _fit(digits, **kwargs):
    (X, y), _ = digits
    model = linear_model(0)
    args = dict(train_data=(X[:10], y[:10]), epochs=1, batch_size=5, progress="none")
    args.update(kwargs)
    return fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
               args.pop("train_data"), **args)


@pytest.mark.parametrize("kwargs, error, pattern", [
    (lambda X, y: dict(train_data=(X[:10], y[:9])), ValueError,
     r"train_data: X has 10 samples \(shape \(10, 1, 8, 8\)\) but y has 9"),
    (lambda X, y: dict(val_data=(X[:4], y[:5])), ValueError, r"val_data: X has 4 samples .* but y has 5"),
    (lambda X, y: dict(train_data=X[:10]), TypeError, r"train_data must be a pair \(X, y\), got ndarray"),
    (lambda X, y: dict(val_data=(X, y, y)), TypeError, r"val_data must be a pair \(X, y\), got tuple of length 3"),
    (lambda X, y: dict(train_data=(X[:0], y[:0])), ValueError, r"train_data: X and y are empty"),
    (lambda X, y: dict(epochs=0), ValueError, r"epochs must be >= 1, got 0"),
    (lambda X, y: dict(epochs=2.5), TypeError, r"epochs must be an int, got 2\.5"),
    (lambda X, y: dict(batch_size=0), ValueError, r"batch_size must be >= 1, got 0"),
    (lambda X, y: dict(batch_size=-3), ValueError, r"batch_size must be >= 1, got -3"),
    (lambda X, y: dict(progress="loud"), ValueError, r"progress must be 'auto', 'bar', 'text' or 'none', got 'loud'"),
    (lambda X, y: dict(scheduler=object()), TypeError, r"scheduler must have a step\(\) method"),
    (lambda X, y: dict(rng=42), TypeError, r"rng must be a numpy\.random\.Generator .* got int"),
    (lambda X, y: dict(transform="crop"), TypeError, r"transform must be callable"),
])
def test_fit_argument_errors(digits, kwargs, error, pattern):
    (X, y), _ = digits
    with pytest.raises(error, match=pattern):
        _fit(digits, **kwargs(X, y))


def test_a_test_set_cannot_be_passed_positionally(digits):
    (X, y), (X_test, y_test) = digits
    model = linear_model(0)
    with pytest.raises(TypeError, match=r"fit\(\) takes 4 positional arguments but 5"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
            (X_test, y_test), epochs=1, batch_size=32)


def test_epochs_and_batch_size_are_required(digits):
    (X, y), _ = digits
    model = linear_model(0)
    with pytest.raises(TypeError, match=r"missing 1 required keyword-only argument: 'batch_size'"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1)


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
