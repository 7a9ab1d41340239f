"""Pooling layers: fixed windows (max, average) and adaptive ones (a given output size)."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .._validate import (
    check_grad_out,
    check_ndim,
    float_array,
    nonneg_int,
    nonneg_pair,
    positive_int,
    positive_pair,
)
from ..functional import conv_output_size
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool2d", "AdaptiveMaxPool1d", "AdaptiveAvgPool2d"]


def _check_window(kernel_size, stride, padding) -> None:
    """Constructor checks, so a bad stride fails where the layer is built."""
    positive_pair(kernel_size, "kernel_size")
    if stride is not None:
        positive_pair(stride, "stride")
    nonneg_pair(padding, "padding")


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
        _check_window(kernel_size, stride, padding)
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
        _check_window(kernel_size, stride, padding)
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


class MaxPool1d(Module):
    """Max pooling over sequences, as ``torch.nn.MaxPool1d``.

    Runs as :class:`MaxPool2d` over images of height 1 (same tie rule: the
    first maximum of a window takes its gradient).

    Parameters
    ----------
    kernel_size : int
    stride : int, optional (default: ``kernel_size``)
    padding : int, default 0
        Implicit -inf padding on both ends, at most half the kernel size.

    Shapes
    ------
    input (N, C, L) -> output (N, C, Lo), ``Lo = (L + 2 * padding - kernel_size) // stride + 1``

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> nn.MaxPool1d(2)(np.array([[[1., 5., 2., 0., 3.]]]))   # the last value has no full window
    array([[[5., 2.]]])
    """

    def __init__(self, kernel_size: int, stride=None, padding: int = 0):
        self.kernel_size = positive_int(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else positive_int(stride, "stride")
        self.padding = nonneg_int(padding, "padding")
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_array(x, "x")
        check_ndim(x, 3, "x", "(N, C, L)")
        # a too-short input is reported in 1-D terms, before the 2-D kernel sees it
        conv_output_size(x.shape[2], self.kernel_size, self.stride, self.padding)
        out, self._cache = _kernels.max_pool2d_forward(
            x[:, :, None], (1, self.kernel_size), (1, self.stride), (0, self.padding))
        return out[:, :, 0]

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        cache = self._cached("_cache")
        n, c, _, lo = cache.out.shape
        grad_out = check_grad_out(grad_out, (n, c, lo), cache.out.dtype)
        return _kernels.max_pool2d_backward(grad_out[:, :, None], cache)[:, :, 0]

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveMaxPool1d(Module):
    """Max pooling to a fixed output length, as ``torch.nn.AdaptiveMaxPool1d``.

    The windows are chosen from the input length: output position ``i`` of
    ``out`` takes the maximum over ``[floor(i * L / out), ceil((i + 1) * L / out))``,
    so any length L gives the same output length (neighbouring windows
    share one position when ``out`` does not divide L). ``output_size=1``
    is the global max over the whole sequence ("max over time"), which lets a
    1-D CNN classify sequences of any length.

    Parameters
    ----------
    output_size : int

    Shapes
    ------
    input (N, C, L) -> output (N, C, output_size)

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> nn.AdaptiveMaxPool1d(1)(np.array([[[1., 5., 2.], [0., -1., 4.]]]))
    array([[[5.],
            [4.]]])
    """

    def __init__(self, output_size: int):
        self.output_size = positive_int(output_size, "output_size")
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = _kernels.adaptive_max_pool1d_forward(x, self.output_size)
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return _kernels.adaptive_max_pool1d_backward(grad_out, self._cached("_cache"))

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, as ``torch.nn.AdaptiveAvgPool2d``.

    Output row ``i`` of ``oh`` averages input rows ``[floor(i * H / oh),
    ceil((i + 1) * H / oh))``, and likewise for columns. ``output_size=1``
    is *global average pooling*: one number per channel, whatever the image
    size (the head of ResNet).

    Parameters
    ----------
    output_size : int or (oh, ow)

    Shapes
    ------
    input (N, C, H, W) -> output (N, C, oh, ow)

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    >>> nn.AdaptiveAvgPool2d(1)(x)
    array([[[[7.5]]]])
    >>> nn.AdaptiveAvgPool2d((2, 1))(x)[0, 0, :, 0]   # means of the top and bottom halves
    array([ 3.5, 11.5])
    """

    def __init__(self, output_size):
        positive_pair(output_size, "output_size")
        self.output_size = output_size
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = _kernels.adaptive_avg_pool2d_forward(x, self.output_size)
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return _kernels.adaptive_avg_pool2d_backward(grad_out, self._cached("_cache"))

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
