"""Elementwise nonlinearities."""

from __future__ import annotations

import numpy as np

from .._validate import check_grad_out, float_array
from .module import Module

__all__ = ["ReLU", "Tanh"]


class ReLU(Module):
    """max(x, 0) elementwise. Its range is [0, inf): it does not squash values."""

    def __init__(self):
        self._mask = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_array(x, "x")
        self._mask = x > 0
        return np.where(self._mask, x, 0).astype(x.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        mask = self._cached("_mask")
        # a wrong shape would broadcast silently, so check it
        grad_out = check_grad_out(grad_out, mask.shape, np.asarray(grad_out).dtype)
        return np.where(mask, grad_out, 0).astype(grad_out.dtype, copy=False)


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
