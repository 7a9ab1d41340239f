"""Convolution layers."""

from __future__ import annotations

from typing import Optional

import numpy as np

from .. import _kernels
from .._validate import padding4, positive_int, positive_pair
from .init import default_uniform
from .module import Module, Parameter

__all__ = ["Conv2d"]


class Conv2d(Module):
    """2-D convolution layer (cross-correlation), as ``torch.nn.Conv2d``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (kh, kw)
    stride : int or (h, w), default 1
    padding : int, (h, w), "valid" or "same", default 0
    bias : bool, default True
    rng : numpy.random.Generator, optional
        Source of the initial weights (a fresh unseeded one if omitted).
    dtype : numpy dtype, default float32

    Shapes
    ------
    input (N, in_channels, H, W) -> output (N, out_channels, Ho, Wo);
    ``weight`` (out_channels, in_channels, kh, kw), ``bias`` (out_channels,).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, bias: bool = True, *, rng: Optional[np.random.Generator] = None,
                 dtype=np.float32):
        in_channels = positive_int(in_channels, "in_channels")
        out_channels = positive_int(out_channels, "out_channels")
        kh, kw = positive_pair(kernel_size, "kernel_size")
        # checked here, not at the first forward pass, so the mistake points at this line
        padding4(padding, (kh, kw), positive_pair(stride, "stride"), allow_same=True)
        rng = np.random.default_rng() if rng is None else rng
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = (kh, kw), stride, padding
        bound = 1.0 / np.sqrt(in_channels * kh * kw)
        self.weight = Parameter(default_uniform(rng, bound, (out_channels, in_channels, kh, kw), dtype))
        self.bias = Parameter(default_uniform(rng, bound, (out_channels,), dtype)) if bias else None
        self._cache = None
        # scratch buffers reused batch after batch (im2col columns and
        # temporaries), so a training loop does not allocate them every step
        self._workspace = _kernels.Workspace()

    def forward(self, x: np.ndarray) -> np.ndarray:
        bias = None if self.bias is None else self.bias.data
        out, self._cache = _kernels.conv2d_forward(x, self.weight.data, bias, self.stride, self.padding,
                                                   self._workspace)
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_x, grad_w, grad_b = _kernels.conv2d_backward(grad_out, self._cached("_cache"),
                                                         self._workspace)
        self.weight.grad += grad_w
        if self.bias is not None:
            self.bias.grad += grad_b
        return grad_x

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}, bias={self.bias is not None}")
