"""The training loop: mini-batches, validation each epoch, progress, a history to plot."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validate import positive_int
from .data import DataLoader
from .data._samples import check_samples
from .nn.module import accepts_input_grad

if TYPE_CHECKING:  # annotations only: the loop needs no layer or optimiser code at run time
    from .nn import Module
    from .optim import Optimizer

__all__ = ["History", "fit", "predict", "accuracy"]

Data = tuple[np.ndarray, np.ndarray]


@dataclass
class History:
    """Per-epoch record of a :func:`fit` run: lists of equal length, one entry per epoch.

    Attributes
    ----------
    epoch : list of int
        1, 2, ..., epochs.
    loss : list of float
        Running average of the training loss over the epoch: each batch's
        loss as it was trained (before its update step), averaged over the
        samples of the epoch. Not a re-scoring of the training set with the
        weights at the end of the epoch.
    train_acc : list of float
        Running training accuracy, averaged the same way.
    val_loss : list of float
        Loss on ``val_data`` after the epoch, in evaluation mode (NaN when
        no ``val_data`` was given).
    val_acc : list of float
        Accuracy on ``val_data`` after the epoch, likewise.
    lr : list of float
        The optimiser's learning rate during the epoch (``optimizer.lr``,
        read before ``scheduler.step()``).
    seconds : list of float
        Wall time of the epoch, training and validation.

    Examples
    --------
    >>> from cnnlib.train import History
    >>> h = History(epoch=[1, 2], loss=[2.0, 1.0], train_acc=[0.3, 0.6],
    ...             val_loss=[1.5, 1.1], val_acc=[0.5, 0.6], lr=[0.1, 0.1], seconds=[1.0, 1.0])
    >>> h.val_acc[-1]
    0.6
    """

    epoch: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    def plot(self, axes=None):
        """Training and validation curves: loss on the left, accuracy on the right.

        Parameters
        ----------
        axes : pair of matplotlib Axes, optional
            Where to draw; by default a new 9 x 3.2 inch figure.

        Returns
        -------
        (ax_loss, ax_acc)
            The training curve is drawn first in each; the validation curve
            follows only when validation values were recorded.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from cnnlib.train import History
        >>> h = History(epoch=[1, 2], loss=[2.0, 1.0], train_acc=[0.3, 0.6],
        ...             val_loss=[1.5, 1.1], val_acc=[0.5, 0.6], lr=[0.1, 0.1], seconds=[1.0, 1.0])
        >>> ax_loss, ax_acc = h.plot()
        >>> len(ax_loss.lines), len(ax_acc.lines)
        (2, 2)
        """
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(9, 3.2))
        ax_loss, ax_acc = axes
        has_val = len(self.val_acc) > 0 and not np.all(np.isnan(self.val_acc))
        for ax, train, val, title in ((ax_loss, self.loss, self.val_loss, "Loss"),
                                      (ax_acc, self.train_acc, self.val_acc, "Accuracy")):
            ax.plot(self.epoch, train, marker="o", ms=3, label="train (running)")
            if has_val:
                ax.plot(self.epoch, val, marker="o", ms=3, label="validation")
            ax.set(xlabel="epoch", ylabel=title.lower(), title=title)
            ax.legend()
        return axes


def predict(model: Module, X: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Model outputs for ``X``, computed in batches to bound memory.

    Runs the model in whatever mode it is in (call ``model.eval()`` first for
    a model with dropout or batch norm).

    Parameters
    ----------
    model : callable
        Maps a batch (B, ...) to outputs (B, K).
    X : ndarray, shape (N, ...)
    batch_size : int, default 512

    Returns
    -------
    ndarray, shape (N, K)

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> from cnnlib.train import predict
    >>> model = nn.Linear(4, 3, rng=np.random.default_rng(0))
    >>> predict(model, np.zeros((10, 4), np.float32), batch_size=3).shape
    (10, 3)
    """
    return np.concatenate([model(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])


def accuracy(model: Module, X: np.ndarray, y: np.ndarray, batch_size: int = 512) -> float:
    """Fraction of ``X`` whose highest-scoring class equals ``y``.

    Parameters
    ----------
    model : callable
        Maps a batch (B, ...) to class scores (B, K).
    X : ndarray, shape (N, ...)
    y : ndarray of int, shape (N,)
    batch_size : int, default 512

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib.train import accuracy
    >>> scores = lambda X: X            # the "model" returns its input as the scores
    >>> accuracy(scores, np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), np.array([0, 1, 1]))
    0.6666666666666666
    """
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


def _set_training(model: Any, training: bool) -> None:
    # Models written before Module had train()/eval() (or plain callables)
    # have no modes: nothing to switch.
    method = getattr(model, "train" if training else "eval", None)
    if callable(method):
        method()


def _check_pair(data: Any, name: str) -> Data:
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{name} must be a pair (X, y), got {type(data).__name__}"
                        + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""))
    return check_samples(*data, where=f"{name}: ")


def _evaluate(model: Any, loss_fn: Callable, data: Data) -> tuple[float, float]:
    """(loss, accuracy) on ``data``, with the outputs :func:`accuracy` would see."""
    X, y = data
    logits = predict(model, X)
    return float(loss_fn(logits, y)), float(np.mean(logits.argmax(axis=1) == y))


def fit(model: Module, loss_fn: Callable, optimizer: Optimizer, train_data: Data, *,
        val_data: Data | None = None, epochs: int, batch_size: int, scheduler: Any = None,
        transform: Callable | None = None, rng: np.random.Generator | None = None,
        progress: str = "auto") -> History:
    """Train ``model`` with mini-batches; validate, report and record every epoch.

    Each epoch runs once through a shuffled :class:`~cnnlib.data.DataLoader`
    over ``train_data`` (``transform`` applied to each batch) in training
    mode, then scores ``val_data`` in evaluation mode (``model.eval()``, then
    ``model.train()`` again), then calls ``scheduler.step()``. When ``fit``
    returns (or raises), the model is back in the mode it was in before.

    Parameters
    ----------
    model : cnnlib.nn.Module
        Maps a batch (B, ...) to class scores (B, K) and has ``backward``.
        ``train()``/``eval()`` are used when the model has them.
    loss_fn : callable
        ``loss_fn(scores, yb)`` returns the batch's mean loss (a float) and
        ``loss_fn.backward()`` its gradient, as :class:`cnnlib.nn.CrossEntropyLoss`.
    optimizer : cnnlib.optim.Optimizer
        Over ``model.parameters()``; its ``lr`` is recorded each epoch.
    train_data : (X, y)
        ``X`` of shape (N, ...) matching the model's input, ``y`` of shape (N,).
    val_data : (X_val, y_val), optional
        Scored after every epoch (never transformed). Keyword only: there is no
        test-set argument, so the test set stays untouched until the end.
    epochs : int
        Passes over ``train_data`` (>= 1).
    batch_size : int
        Samples per training batch (>= 1); the last batch may be smaller.
    scheduler : object with ``step()``, optional
        A learning-rate schedule (e.g. ``cnnlib.optim.lr_scheduler.StepLR``),
        stepped once at the end of every epoch.
    transform : callable, optional
        ``transform(xb, rng)`` applied to each training batch (see
        :mod:`cnnlib.data.transforms`).
    rng : numpy.random.Generator, optional
        Source of the shuffling and of the transform's randomness; default
        ``np.random.default_rng(0)``, so a run is reproducible.
    progress : {"auto", "bar", "text", "none"}
        "text" prints one fixed-precision line per epoch (what notebooks get
        under "auto"); "bar" redraws a progress bar on stderr (what a terminal
        gets); "none" is silent.

    Returns
    -------
    History
        One entry per epoch: ``loss`` and ``train_acc`` are running averages
        over the epoch's batches, ``val_loss``/``val_acc`` NaN without
        ``val_data``.

    Raises
    ------
    RuntimeError
        When the training loss becomes NaN or infinite (naming the epoch and
        batch): the weights have diverged, usually a learning rate too high.
    ValueError, TypeError
        Bad arguments, named in the message.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn, optim
    >>> from cnnlib.train import fit
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)         # the class is the sign of x0
    >>> model = nn.Linear(2, 2, rng=rng)
    >>> history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5),
    ...               (X[:150], y[:150]), val_data=(X[150:], y[150:]),
    ...               epochs=3, batch_size=25, progress="none")
    >>> history.epoch, history.val_acc[-1] > 0.9
    ([1, 2, 3], True)
    """
    X, y = _check_pair(train_data, "train_data")
    if val_data is not None:
        val_data = _check_pair(val_data, "val_data")
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must have a step() method (called once per epoch), "
                        f"got {type(scheduler).__name__}")
    mode = _resolve_progress(progress)
    rng = np.random.default_rng(0) if rng is None else rng
    loader = DataLoader(X, y, batch_size, shuffle=True, rng=rng, transform=transform)

    history = History()
    n_batches, width = len(loader), len(str(epochs))
    was_training = getattr(model, "training", True)
    skip_input_grad = hasattr(type(model), "backward") and accepts_input_grad(model)
    bar_open = False  # a bar is on stderr's current line, not yet ended by "\n"
    last_draw = -math.inf
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            lr = float(getattr(optimizer, "lr", math.nan))
            _set_training(model, True)
            loss_sum, correct, seen = 0.0, 0, 0
            for b, (xb, yb) in enumerate(loader, start=1):
                optimizer.zero_grad()
                scores = model(xb)
                loss = float(loss_fn(scores, yb))
                if not math.isfinite(loss):
                    raise RuntimeError(
                        f"the training loss became {loss} at epoch {epoch}, batch {b} of {n_batches}: "
                        f"the weights diverged. Try a lower learning rate (optimizer.lr is {lr:g}), "
                        f"e.g. 10 times lower")
                # the gradient with respect to the images is never used here,
                # so a model that can skip computing it is told to
                if skip_input_grad:
                    model.backward(loss_fn.backward(), input_grad=False)
                else:
                    model.backward(loss_fn.backward())
                optimizer.step()
                # weighted by batch size, so the average is over samples
                loss_sum += loss * len(yb)
                correct += int(np.sum(scores.argmax(axis=1) == yb))
                seen += len(yb)
                # redraw at most 10 times a second: thousands of writes per epoch
                # would slow a terminal down more than the training itself
                if mode == "bar" and (b == n_batches or time.perf_counter() - last_draw > 0.1):
                    last_draw = time.perf_counter()
                    done = b * 30 // n_batches
                    sys.stderr.write(f"\repoch {epoch:>{width}}/{epochs} [{'#' * done}{'.' * (30 - done)}] "
                                     f"{b}/{n_batches} loss {loss_sum / seen:.4f} "
                                     f"train {100 * correct / seen:.2f}%")
                    sys.stderr.flush()
                    bar_open = True
            val_loss = val_acc = math.nan
            if val_data is not None:
                _set_training(model, False)
                val_loss, val_acc = _evaluate(model, loss_fn, val_data)
                _set_training(model, True)
            if scheduler is not None:
                scheduler.step()
            seconds = time.perf_counter() - start

            history.epoch.append(epoch)
            history.loss.append(loss_sum / seen)
            history.train_acc.append(correct / seen)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
            history.lr.append(lr)
            history.seconds.append(seconds)
            line = _epoch_line(history, epochs, width, show_lr=scheduler is not None)
            if mode == "bar":
                sys.stderr.write(f"\r{line}  ({seconds:.1f} s){' ' * 20}\n")
                sys.stderr.flush()
                bar_open = False
            elif mode == "text":
                print(line)
    finally:
        if bar_open:
            sys.stderr.write("\n")  # so an error message does not start on the bar's line
        _set_training(model, bool(was_training))
    return history


def _epoch_line(history: History, epochs: int, width: int, show_lr: bool) -> str:
    """One fixed-precision line for the last epoch (deterministic, so nbval can compare it)."""
    line = (f"epoch {history.epoch[-1]:>{width}}/{epochs}  loss {history.loss[-1]:.4f}  "
            f"train {100 * history.train_acc[-1]:.2f}%")
    if not math.isnan(history.val_acc[-1]):
        line += f"  val_loss {history.val_loss[-1]:.4f}  val {100 * history.val_acc[-1]:.2f}%"
    if show_lr:
        line += f"  lr {history.lr[-1]:.3g}"
    return line
