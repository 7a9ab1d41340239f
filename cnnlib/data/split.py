"""Hold out a validation set with the class proportions of the whole."""

from __future__ import annotations

from numbers import Real

import numpy as np

from .._validate import nonneg_int
from ._samples import check_samples

__all__ = ["train_val_split"]

Split = tuple[np.ndarray, np.ndarray]


def train_val_split(X: np.ndarray, y: np.ndarray, val_fraction: float = 0.1, *,
                    seed: int = 0) -> tuple[Split, Split]:
    """Split ``(X, y)`` into training and validation parts, stratified by class.

    Each class contributes ``round(val_fraction * n_class)`` of its samples to
    the validation part, chosen at random with ``seed``, so both parts keep
    the class proportions of the whole (to within one sample per class).
    Every sample lands in exactly one part.

    Parameters
    ----------
    X : ndarray, shape (N, ...)
    y : ndarray of int, shape (N,)
        Class labels; the stratification groups samples by their value.
    val_fraction : float, default 0.1
        Share of each class held out, strictly between 0 and 1.
    seed : int, default 0
        Seed of the random choice: the same seed gives the same split on
        every call and machine.

    Returns
    -------
    (X_train, y_train), (X_val, y_val)
        Copies (never views of ``X``) of shapes (N - M, ...), (N - M,),
        (M, ...), (M,). Within each part the samples keep their original
        relative order.

    Raises
    ------
    ValueError
        ``val_fraction`` not in (0, 1), mismatched lengths, or a part that
        would be empty (too few samples for the fraction).
    TypeError
        ``y`` not integer labels, ``seed`` not an int.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib.data import train_val_split
    >>> X = np.arange(20.0).reshape(20, 1)
    >>> y = np.array([0] * 10 + [1] * 10)
    >>> (X_tr, y_tr), (X_val, y_val) = train_val_split(X, y, val_fraction=0.2, seed=0)
    >>> X_tr.shape, X_val.shape
    ((16, 1), (4, 1))
    >>> np.bincount(y_val).tolist()     # 20% of each class
    [2, 2]
    """
    X, y = check_samples(X, y)
    if y.dtype.kind not in "iub":
        raise TypeError(f"y must hold integer class labels (stratification groups equal labels), "
                        f"got dtype {y.dtype}")
    if isinstance(val_fraction, (bool, np.bool_)) or not isinstance(val_fraction, Real):
        raise TypeError(f"val_fraction must be a number in (0, 1), got {val_fraction!r}")
    if not 0 < val_fraction < 1:  # also rejects NaN
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    rng = np.random.default_rng(nonneg_int(seed, "seed"))
    val_parts = []
    for cls in np.unique(y):
        members = np.flatnonzero(y == cls)
        n_val = int(round(val_fraction * members.size))
        val_parts.append(rng.choice(members, size=n_val, replace=False))
    is_val = np.zeros(len(y), dtype=bool)
    is_val[np.concatenate(val_parts)] = True
    n_val = int(is_val.sum())
    if n_val == 0 or n_val == len(y):
        part = "validation" if n_val == 0 else "training"
        raise ValueError(f"val_fraction={val_fraction} of {len(y)} samples leaves the {part} part empty "
                         f"(each class gives round(val_fraction * its size) samples): "
                         f"expected a fraction that puts samples in both parts")
    return (X[~is_val], y[~is_val]), (X[is_val], y[is_val])
