"""Pooling layers."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d"]


class MaxPool2d(Module):
    """Max pooling layer, as ``torch.nn.MaxPool2d``.

    Parameters
    ----------
    kernel_size : int or (kh, kw)
    stride : int or (h, w), optional (default: ``kernel_size``)
    padding : int or (h, w), default 0

    Shapes
    ------
    input (N, C, H, W) -> output (N, C, Ho, Wo)
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = _kernels.max_pool2d_forward(x, self.kernel_size, self.stride, self.padding)
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return _kernels.max_pool2d_backward(grad_out, self._cached("_cache"))

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Average pooling layer, as ``torch.nn.AvgPool2d`` (padding counts as zeros).

    Shapes
    ------
    input (N, C, H, W) -> output (N, C, Ho, Wo)
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return _kernels.avg_pool2d_forward(x, self.kernel_size, self.stride, self.padding)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return _kernels.avg_pool2d_backward(grad_out, self._cached("_x"), self.kernel_size,
                                     self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
