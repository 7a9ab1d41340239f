"""Mini-batches of ``(X, y)``, reshuffled on every pass, as ``torch.utils.data.DataLoader``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from .._validate import positive_int
from ._samples import check_samples

__all__ = ["DataLoader"]

Transform = Callable[[np.ndarray, np.random.Generator | None], np.ndarray]


class DataLoader:
    """Iterate over ``(X, y)`` in mini-batches, optionally shuffled and transformed.

    Each ``for`` loop over the loader is one epoch: every sample appears in
    exactly one batch (except those cut by ``drop_last``), and with
    ``shuffle=True`` each epoch draws a new order from ``rng``.

    Parameters
    ----------
    X : ndarray, shape (N, ...)
        The inputs, e.g. images (N, C, H, W).
    y : ndarray, shape (N,)
        One label (or target) per sample.
    batch_size : int
        Samples per batch (>= 1). The last batch is smaller when
        ``batch_size`` does not divide N, unless ``drop_last``.
    shuffle : bool, default False
        Draw a new random order every epoch (needs ``rng``); otherwise
        batches follow the order of ``X``.
    rng : numpy.random.Generator, optional
        The source of every random draw: the order (one
        ``rng.permutation(N)`` per epoch) and the transform's randomness.
    transform : callable, optional
        Called as ``transform(xb, rng)`` on each whole batch ``xb``; returns
        the batch to yield (see :mod:`cnnlib.data.transforms`). ``y`` is
        never transformed.
    drop_last : bool, default False
        Skip the last batch when it would be smaller than ``batch_size``.

    Yields
    ------
    xb : ndarray, shape (B, ...)
        A fresh array (a copy), so changing it never changes ``X``.
    yb : ndarray, shape (B,)

    Raises
    ------
    ValueError
        ``shuffle=True`` without ``rng``, mismatched lengths, empty data,
        ``batch_size`` < 1, or ``drop_last`` leaving no batch at all.
    TypeError
        ``shuffle``/``drop_last`` not bools, ``rng`` not a Generator,
        ``transform`` not callable.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib.data import DataLoader
    >>> X, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    >>> loader = DataLoader(X, y, batch_size=4)
    >>> len(loader), [yb.tolist() for _, yb in loader]
    (3, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    >>> shuffled = DataLoader(X, y, 4, shuffle=True, rng=np.random.default_rng(0), drop_last=True)
    >>> len(shuffled), sorted(len(yb) for _, yb in shuffled)
    (2, [4, 4])
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = False, *,
                 rng: np.random.Generator | None = None, transform: Transform | None = None,
                 drop_last: bool = False):
        self.X, self.y = check_samples(X, y)
        self.batch_size = positive_int(batch_size, "batch_size")
        for name, value in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {value!r}")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)) "
                            f"or None, got {type(rng).__name__}")
        if shuffle and rng is None:
            raise ValueError("shuffle=True needs rng, the source of the random order: pass "
                             "rng=np.random.default_rng(seed) so the run can be repeated")
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable as transform(xb, rng), got {type(transform).__name__}")
        if drop_last and len(self.X) < self.batch_size:
            raise ValueError(f"drop_last=True with batch_size={self.batch_size} and only "
                             f"{len(self.X)} samples leaves no batch: expected batch_size <= {len(self.X)}")
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.rng, self.transform = rng, transform

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n, b = len(self.X), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.X)
        # one permutation per epoch, drawn when the epoch starts: the same draws
        # as a hand-written loop calling rng.permutation(N) each epoch
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for b in range(len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            xb, yb = self.X[idx], self.y[idx]
            if self.transform is not None:
                xb = self.transform(xb, self.rng)
            yield xb, yb

    def __repr__(self) -> str:
        return (f"DataLoader({len(self.X)} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, {len(self)} batches)")
