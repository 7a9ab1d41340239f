"""Elementwise nonlinearities."""

from __future__ import annotations

import numpy as np

from .._validate import check_grad_out, float_array, nonneg_float
from .module import Module

__all__ = ["ReLU", "Tanh", "Sigmoid", "LeakyReLU"]


class ReLU(Module):
    """max(x, 0) elementwise. Its range is [0, inf): it does not squash values.

    The backward pass lets the gradient through where the output is positive
    (where the input was) and blocks it elsewhere; the output itself is the
    mask, so nothing else is kept. NaN inputs stay NaN, as in PyTorch.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> relu = nn.ReLU()
    >>> relu(np.array([[-1.0, 0.5, 2.0]]))
    array([[0. , 0.5, 2. ]])
    >>> relu.backward(np.array([[10.0, 10.0, 10.0]]))
    array([[ 0., 10., 10.]])
    """

    def __init__(self):
        self._out = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_array(x, "x")
        # one pass, no temporaries: np.where(x > 0, x, 0) costs ~10x as much
        self._out = np.maximum(x, x.dtype.type(0))
        return self._out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        out = self._cached("_out")
        # a wrong shape would broadcast silently, so check it
        grad_out = check_grad_out(grad_out, out.shape, np.asarray(grad_out).dtype)
        passes = out > 0
        with np.errstate(invalid="ignore"):
            grad_in = grad_out * passes  # ~10x faster than np.where
        # but 0 * inf is NaN: blocked entries must be exactly 0 (one sum tells)
        if not np.isfinite(grad_in.sum()):
            grad_in[~passes] = 0
        return grad_in

class Tanh(Module):
    """tanh(x) elementwise: squashes into (-1, 1)."""

    def __init__(self):
        self._y = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = np.tanh(float_array(x, "x"))
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._cached("_y")
        grad_out = check_grad_out(grad_out, y.shape, np.asarray(grad_out).dtype)
        return grad_out * (1 - y * y)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise: squashes into (0, 1).

    Computed as ``exp(-|x|)``-based halves, so no exp ever overflows and very
    negative inputs keep their tiny positive values. The gradient is
    ``y * (1 - y)``, at most 1/4: stacks of sigmoids shrink gradients.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> nn.Sigmoid()(np.array([-1000.0, 0.0, 2.0]))
    array([0.        , 0.5       , 0.88079708])
    """

    def __init__(self):
        self._y = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_array(x, "x")
        e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
        self._y = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._cached("_y")
        grad_out = check_grad_out(grad_out, y.shape, np.asarray(grad_out).dtype)
        return grad_out * (y * (1 - y))


class LeakyReLU(Module):
    """x for x > 0, ``negative_slope * x`` otherwise, as ``torch.nn.LeakyReLU``.

    Unlike ReLU, negative inputs keep a small gradient, so a unit whose
    inputs are all negative can still learn.

    Parameters
    ----------
    negative_slope : float >= 0, default 0.01

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> nn.LeakyReLU(0.1)(np.array([-2.0, 0.0, 3.0]))
    array([-0.2,  0. ,  3. ])
    """

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = nonneg_float(negative_slope, "negative_slope")
        self._mask = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_array(x, "x")
        self._mask = x > 0
        return np.where(self._mask, x, x * self.negative_slope).astype(x.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        mask = self._cached("_mask")
        grad_out = check_grad_out(grad_out, mask.shape, np.asarray(grad_out).dtype)
        # at exactly 0 the slope is negative_slope, as in PyTorch
        return np.where(mask, grad_out, grad_out * self.negative_slope).astype(grad_out.dtype, copy=False)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"
