"""Where a classifier goes wrong: confusion matrix, per-class accuracy, mistakes.

Accuracy is one number; these say *which* classes are confused with which.
Labels are integer class indices ``0 .. num_classes - 1``, as
:class:`cnnlib.nn.CrossEntropyLoss` expects, and predictions are usually
``logits.argmax(axis=1)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validate import positive_int

__all__ = ["confusion_matrix", "misclassified", "per_class_accuracy", "plot_confusion_matrix"]


def _labels(a, name: str) -> np.ndarray:
    """``a`` as a 1-D int64 array of non-negative class indices, or raise."""
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, one class index per sample, got shape {arr.shape}")
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iu":
        hint = " (use logits.argmax(axis=1) to turn scores into class indices)" \
            if arr.dtype.kind == "f" else ""
        raise TypeError(f"{name} must hold integer class indices, got dtype {arr.dtype}{hint}")
    if arr.size and arr.min() < 0:
        i = int(np.flatnonzero(arr < 0)[0])
        raise ValueError(f"{name}[{i}] = {arr[i]} is negative; class indices start at 0")
    return arr.astype(np.int64, copy=False)


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t, p = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} labels but y_pred has {p.size}; "
                         f"they must describe the same samples")
    return t, p


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Count every (true class, predicted class) pair.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)
        Class indices in ``[0, num_classes)``.
    num_classes : int, optional
        Number of classes C; default ``max(y_true.max(), y_pred.max()) + 1``.
        Give it explicitly so that a class that never occurs still gets its
        row and column.

    Returns
    -------
    ndarray of int64, shape (C, C)
        ``cm[i, j]`` is the number of samples of true class ``i`` predicted as
        ``j`` (rows: truth, columns: prediction, as in scikit-learn). The
        diagonal holds the correct predictions; the total is N.

    Examples
    --------
    >>> confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1])
    array([[1, 0, 0],
           [0, 0, 1],
           [0, 1, 1]])
    """
    t, p = _pair(y_true, y_pred)
    seen = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if num_classes is None:
        num_classes = seen
    elif positive_int(num_classes, "num_classes") < seen:
        raise ValueError(f"found class index {seen - 1} but num_classes={num_classes}: "
                         f"indices must be < num_classes")
    c = int(num_classes)
    # each (true, predicted) pair gets its own bin, numbered true * C + predicted
    return np.bincount(t * c + p, minlength=c * c).reshape(c, c)


def per_class_accuracy(cm) -> np.ndarray:
    """Fraction of each true class that was predicted correctly (the recall).

    Parameters
    ----------
    cm : array_like, shape (C, C)
        A confusion matrix with rows = true class (see :func:`confusion_matrix`).

    Returns
    -------
    ndarray of float64, shape (C,)
        ``cm[i, i] / cm[i].sum()``; NaN for a class with no samples.
    """
    m = np.asarray(cm)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"cm must be a square (C, C) matrix, got shape {m.shape}")
    totals = m.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(m) / np.where(totals > 0, totals, 1), np.nan)


def misclassified(y_true, y_pred) -> np.ndarray:
    """Indices of the samples whose prediction is wrong, in increasing order.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)

    Returns
    -------
    ndarray of int64, shape (M,)
        ``M = N - (number correct)``; index it into the images to look at them.
    """
    t, p = _pair(y_true, y_pred)
    return np.flatnonzero(t != p).astype(np.int64)


def plot_confusion_matrix(cm, ax=None, *, class_names: Sequence[str] | None = None,
                          hide_zeros: bool = True, figsize: tuple[float, float] = (4.8, 4.4)):
    """Draw a confusion matrix as a grid of counts, shaded by count.

    Parameters
    ----------
    cm : array_like of int, shape (C, C)
        Rows: true class; columns: predicted class.
    ax : matplotlib Axes, optional
        Draw here instead of in a new figure.
    class_names : sequence of C str, optional
        Tick labels; default ``0 .. C-1``.
    hide_zeros : bool
        Leave cells with a zero count blank, so the mistakes stand out.
    figsize : (width, height) in inches, for a new figure.

    Returns
    -------
    (Figure, Axes)
    """
    import matplotlib.pyplot as plt

    m = np.asarray(cm)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"cm must be a square (C, C) matrix, got shape {m.shape}")
    c = m.shape[0]
    names = [str(i) for i in range(c)] if class_names is None else [str(n) for n in class_names]
    if len(names) != c:
        raise ValueError(f"class_names has {len(names)} entries for {c} classes")
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    else:
        fig = ax.figure
    # log-like shading: a 1 off the diagonal must stay visible next to a 36 on it
    shade = np.sqrt(m / max(m.max(), 1))
    ax.imshow(shade, cmap="Blues", vmin=0, vmax=1.15, interpolation="nearest")
    for i in range(c):
        for j in range(c):
            if m[i, j] or not hide_zeros:
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=9,
                        color="white" if shade[i, j] > 0.6 else "black",
                        fontweight="normal" if i == j else "bold")
    ax.set_xticks(range(c), names)
    ax.set_yticks(range(c), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    return fig, ax
