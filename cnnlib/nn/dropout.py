"""Dropout: random zeroing during training, a regulariser."""

from __future__ import annotations

from typing import Optional

import numpy as np

from .._validate import check_grad_out, float_array, probability
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Inverted dropout, as ``torch.nn.Dropout``.

    In training mode each element is zeroed with probability ``p`` and the
    survivors are scaled by ``1 / (1 - p)``, so every element keeps its
    expected value and nothing has to change at test time. In evaluation
    mode (``model.eval()``) the layer is the identity.

    ``backward`` applies the same mask and scale as the last forward pass:
    a dropped element passes no gradient.

    Parameters
    ----------
    p : float in [0, 1), default 0.5
        Probability of zeroing an element.
    rng : numpy.random.Generator, optional
        Source of the masks (a fresh unseeded one if omitted).

    Shapes
    ------
    any -> the same

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> drop = nn.Dropout(0.5, rng=np.random.default_rng(0))
    >>> y = drop(np.ones(10000))
    >>> sorted(set(y.tolist())), round(float(y.mean()), 2)   # zeros and twos, mean about 1
    ([0.0, 2.0], 1.0)
    >>> drop.eval()(np.ones(3))
    array([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, *, rng: Optional[np.random.Generator] = None):
        # p = 1 would drop everything and divide by zero
        self.p = probability(p, "p", open_right=True)
        self.rng = np.random.default_rng() if rng is None else rng
        self._cache = None  # (input shape, mask / (1 - p) of a training pass or None)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_array(x, "x")
        if not self.training or self.p == 0:
            self._cache = (x.shape, None)
            return x
        uniform = self.rng.random(x.shape, dtype=np.float32 if x.dtype == np.float32 else np.float64)
        scale = (uniform >= self.p) * x.dtype.type(1 / (1 - self.p))
        self._cache = (x.shape, scale)
        return x * scale

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        shape, scale = self._cached("_cache")
        grad_out = check_grad_out(grad_out, shape, np.asarray(grad_out).dtype)
        return grad_out if scale is None else grad_out * scale

    def extra_repr(self) -> str:
        return f"p={self.p}"
