"""A small training loop with progress reporting and a history for plotting."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .nn import CrossEntropyLoss, Module
from .optim import Optimizer

__all__ = ["History", "fit", "predict", "accuracy"]


@dataclass
class History:
    """Per-epoch record of a :func:`fit` run (lists of equal length)."""

    epoch: list = field(default_factory=list)
    loss: list = field(default_factory=list)        # mean training loss over the epoch's batches
    train_acc: list = field(default_factory=list)   # accuracy on the whole training set after the epoch
    test_acc: list = field(default_factory=list)    # accuracy on the test set (NaN if none given)
    seconds: list = field(default_factory=list)     # wall time of the epoch (training only)

    def plot(self, axes=None):
        """Loss and accuracy curves side by side; returns the two axes."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(9, 3.2))
        ax_loss, ax_acc = axes
        ax_loss.plot(self.epoch, self.loss, marker="o", ms=3)
        ax_loss.set(xlabel="epoch", ylabel="training loss", title="Loss")
        ax_acc.plot(self.epoch, self.train_acc, marker="o", ms=3, label="train")
        if not np.all(np.isnan(self.test_acc)):
            ax_acc.plot(self.epoch, self.test_acc, marker="o", ms=3, label="test")
        ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
        ax_acc.legend()
        return axes


def predict(model: Module, X: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Model outputs for ``X`` computed in batches, shape (N, num_classes)."""
    return np.concatenate([model(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])


def accuracy(model: Module, X: np.ndarray, y: np.ndarray, batch_size: int = 512) -> float:
    """Fraction of ``X`` whose highest-scoring class equals ``y``."""
    return float(np.mean(predict(model, X, batch_size).argmax(axis=1) == y))


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython") and getattr(sys.modules["IPython"], "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def _resolve_progress(progress: str) -> str:
    if progress not in ("auto", "bar", "text", "none"):
        raise ValueError(f"progress must be 'auto', 'bar', 'text' or 'none', got {progress!r}")
    if progress != "auto":
        return progress
    if _in_notebook():
        return "text"  # deterministic lines that nbval can compare
    return "bar" if sys.stderr.isatty() else "text"


def fit(model: Module, loss_fn: CrossEntropyLoss, optimizer: Optimizer,
        train: tuple[np.ndarray, np.ndarray], test: Optional[tuple[np.ndarray, np.ndarray]] = None,
        *, epochs: int = 10, batch_size: int = 32, rng: Optional[np.random.Generator] = None,
        progress: str = "auto") -> History:
    """Train ``model`` with mini-batches; report and record every epoch.

    Parameters
    ----------
    model, loss_fn, optimizer
        A :class:`cnnlib.nn.Module`, a loss with ``backward()``, an optimiser
        over ``model.parameters()``.
    train : (X, y)
        ``X`` of shape (N, ...) matching the model's input, ``y`` of shape (N,).
    test : (X, y), optional
        Evaluated after every epoch.
    epochs, batch_size : int
    rng : numpy.random.Generator, optional
        Shuffles the training set each epoch; pass a seeded one for a
        reproducible run (default: seed 0).
    progress : {"auto", "bar", "text", "none"}
        "text" prints one fixed-precision line per epoch (what notebooks get
        under "auto"); "bar" redraws a progress bar on stderr (what a terminal
        gets); "none" is silent.

    Returns
    -------
    History
    """
    X, y = train
    if len(X) != len(y):
        raise ValueError(f"train X has {len(X)} samples but y has {len(y)}")
    if test is not None and len(test[0]) != len(test[1]):
        raise ValueError(f"test X has {len(test[0])} samples but y has {len(test[1])}")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    mode = _resolve_progress(progress)
    rng = np.random.default_rng(0) if rng is None else rng
    history = History()
    n_batches = -(-len(X) // batch_size)
    width = len(str(epochs))
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(len(X))
        total = 0.0
        for b in range(n_batches):
            idx = order[b * batch_size:(b + 1) * batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(X[idx]), y[idx])
            model.backward(loss_fn.backward())
            optimizer.step()
            total += loss
            if mode == "bar":
                done = (b + 1) * 30 // n_batches
                sys.stderr.write(f"\repoch {epoch:>{width}}/{epochs} [{'#' * done}{'.' * (30 - done)}] "
                                 f"{b + 1}/{n_batches} loss {total / (b + 1):.4f}")
                sys.stderr.flush()
        seconds = time.perf_counter() - start
        history.epoch.append(epoch)
        history.loss.append(total / n_batches)
        history.train_acc.append(accuracy(model, X, y))
        history.test_acc.append(accuracy(model, *test) if test is not None else float("nan"))
        history.seconds.append(seconds)
        line = (f"epoch {epoch:>{width}}/{epochs}  loss {history.loss[-1]:.4f}  "
                f"train {100 * history.train_acc[-1]:.2f}%")
        if test is not None:
            line += f"  test {100 * history.test_acc[-1]:.2f}%"
        if mode == "bar":
            sys.stderr.write(f"\r{line}  ({seconds:.1f} s){' ' * 20}\n")
            sys.stderr.flush()
        elif mode == "text":
            print(line)
    return history
