"""Loss functions: the end of the chain, where ``backward()`` starts."""

from __future__ import annotations

import numpy as np

from .._validate import check_ndim, float_array
from .module import Module

__all__ = ["CrossEntropyLoss", "MSELoss"]


class CrossEntropyLoss(Module):
    """Softmax followed by the mean cross-entropy, as ``torch.nn.CrossEntropyLoss``.

    ``loss = -mean_n log softmax(logits[n])[target[n]]``, computed with a
    log-sum-exp that subtracts each row's maximum, so large logits do not
    overflow. ``backward()`` takes no argument (the loss is the end of the
    chain) and returns ``(softmax(logits) - one_hot(target)) / N``.

    Shapes
    ------
    logits (N, C) float, target (N,) integer class indices in [0, C) -> float
    """

    def __init__(self):
        self._cache = None

    def forward(self, logits: np.ndarray, target: np.ndarray) -> float:
        logits = float_array(logits, "logits")
        check_ndim(logits, 2, "logits", "(N, num_classes)")
        target = self._check_target(target, logits.shape)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        n = logits.shape[0]
        self._cache = (log_probs, target)
        return float(-log_probs[np.arange(n), target].mean())

    @staticmethod
    def _check_target(target, logits_shape) -> np.ndarray:
        target = np.asarray(target)
        n, c = logits_shape
        if target.shape != (n,):
            raise ValueError(f"target must have shape ({n},), one class index per row of logits, "
                             f"got shape {target.shape}")
        if target.dtype.kind == "f":
            if np.isnan(target).any():
                raise ValueError(f"target contains NaN at index {int(np.flatnonzero(np.isnan(target))[0])}; "
                                 f"expected integer class indices in [0, {c})")
            if (target != np.round(target)).any():
                raise ValueError(f"target must hold whole class indices, got {target[target != np.round(target)][0]}")
        elif target.dtype.kind not in "iu":
            raise TypeError(f"target must be an integer array of class indices, got dtype {target.dtype}")
        # range check before any cast: casting inf or 1e20 to int64 gives garbage
        bad = (target < 0) | (target >= c)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"target[{i}] = {target[i]} is out of range: expected class indices "
                             f"in [0, {c}) for logits with {c} columns")
        return target.astype(np.int64, copy=False)

    def __call__(self, logits: np.ndarray, target: np.ndarray) -> float:
        return self.forward(logits, target)

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        log_probs, target = self._cached("_cache")
        n = log_probs.shape[0]
        grad = np.exp(log_probs)
        grad[np.arange(n), target] -= 1
        grad *= grad_out / n
        return grad


class MSELoss(Module):
    """Mean squared error, as ``torch.nn.MSELoss`` (``reduction="mean"``).

    ``loss = mean((input - target) ** 2)`` over every element. ``backward()``
    takes no argument (the loss is the end of the chain) and returns
    ``2 * (input - target) / input.size``.

    Shapes
    ------
    input and target of the same shape, any -> float. (PyTorch broadcasts
    different shapes with a warning; here they are an error, since (N, 1)
    against (N,) would silently compare every pair.)

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> loss_fn = nn.MSELoss()
    >>> loss_fn(np.array([1.0, 2.0, 4.0]), np.array([1.0, 0.0, 1.0]))   # (0 + 4 + 9) / 3
    4.333333333333333
    >>> loss_fn.backward()
    array([0.        , 1.33333333, 2.        ])
    """

    def __init__(self):
        self._diff = None

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        input = float_array(input, "input")
        target = float_array(target, "target")
        if input.shape != target.shape:
            raise ValueError(f"target must have the shape of input {input.shape}, got {target.shape}")
        self._diff = input - target
        return float(np.mean(self._diff * self._diff))

    def __call__(self, input: np.ndarray, target: np.ndarray) -> float:
        return self.forward(input, target)

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        diff = self._cached("_diff")
        return diff * (2 * grad_out / diff.size)
