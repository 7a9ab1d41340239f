"""Convolution layers: 1-D, 2-D (optionally grouped) and transposed 2-D."""

from __future__ import annotations

from typing import Optional

import numpy as np

from .. import _kernels
from .._validate import nonneg_pair, padding4, padding_1d, positive_int, positive_pair
from .init import default_bound, default_uniform
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]


def _weight_and_bias(rng, shape, n_bias: int, bias: bool, dtype):
    """PyTorch's default initialisation: U(-b, b) with b = 1/sqrt(fan_in), bias likewise."""
    rng = np.random.default_rng() if rng is None else rng
    bound = default_bound(shape)
    weight = Parameter(default_uniform(rng, bound, shape, dtype))
    return weight, (Parameter(default_uniform(rng, bound, (n_bias,), dtype)) if bias else None)


class Conv2d(Module):
    """2-D convolution layer (cross-correlation), as ``torch.nn.Conv2d``.

    With ``groups`` > 1 the channels are split into ``groups`` independent
    convolutions: output channel ``f`` sees only the ``in_channels / groups``
    input channels of its group. ``groups == in_channels`` is a *depthwise*
    convolution (one filter per input channel, as in MobileNet).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (kh, kw)
    stride : int or (h, w), default 1
    padding : int, (h, w), "valid" or "same", default 0
    bias : bool, default True
    groups : int, default 1
        Must divide both ``in_channels`` and ``out_channels``.
    rng : numpy.random.Generator, optional
        Source of the initial weights (a fresh unseeded one if omitted).
    dtype : numpy dtype, default float32

    Shapes
    ------
    input (N, in_channels, H, W) -> output (N, out_channels, Ho, Wo);
    ``weight`` (out_channels, in_channels / groups, kh, kw), ``bias`` (out_channels,).
    Weights start U(-b, b), b = 1/sqrt(in_channels / groups * kh * kw).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8, rng=np.random.default_rng(0))
    >>> depthwise.weight.shape
    (8, 1, 3, 3)
    >>> depthwise(np.ones((2, 8, 5, 5), dtype=np.float32)).shape
    (2, 8, 5, 5)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, bias: bool = True, groups: int = 1, *,
                 rng: Optional[np.random.Generator] = None, dtype=np.float32):
        in_channels = positive_int(in_channels, "in_channels")
        out_channels = positive_int(out_channels, "out_channels")
        groups = positive_int(groups, "groups")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must divide both in_channels ({in_channels}) "
                             f"and out_channels ({out_channels})")
        kh, kw = positive_pair(kernel_size, "kernel_size")
        # checked here, not at the first forward pass, so the mistake points at this line
        padding4(padding, (kh, kw), positive_pair(stride, "stride"), allow_same=True)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding = (kh, kw), stride, padding
        self.weight, self.bias = _weight_and_bias(
            rng, (out_channels, in_channels // groups, kh, kw), out_channels, bias, dtype)
        self._cache = None
        # scratch buffers reused batch after batch (im2col columns and
        # temporaries), so a training loop does not allocate them every step
        self._workspace = _kernels.Workspace()

    def forward(self, x: np.ndarray) -> np.ndarray:
        bias = None if self.bias is None else self.bias.data
        if self.groups == 1:
            out, self._cache = _kernels.conv2d_forward(x, self.weight.data, bias, self.stride,
                                                       self.padding, self._workspace)
        else:
            out, self._cache = _kernels.grouped_conv2d_forward(
                x, self.weight.data, bias, self.stride, self.padding, self.groups, self._workspace)
        return out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Add the parameters' gradients to ``.grad``; return the input's.

        ``input_grad=False`` skips the input gradient and returns ``None``:
        training never needs it for the first layer (whose input is the
        data), and it is often half the cost. PyTorch skips it likewise for
        inputs that do not require a gradient.
        """
        cache = self._cached("_cache")
        if self.groups == 1:
            grad_x, grad_w, grad_b = _kernels.conv2d_backward(grad_out, cache, self._workspace,
                                                              input_grad)
        else:
            grad_x, grad_w, grad_b = _kernels.grouped_conv2d_backward(grad_out, cache)
            grad_x = grad_x if input_grad else None
        self.weight.grad += grad_w
        if self.bias is not None:
            self.bias.grad += grad_b
        return grad_x

    def extra_repr(self) -> str:
        groups = f", groups={self.groups}" if self.groups != 1 else ""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}{groups}, bias={self.bias is not None}")


class Conv1d(Module):
    """1-D convolution layer (cross-correlation), as ``torch.nn.Conv1d``.

    For sequences: audio, sensor readings, text embeddings. It runs as a
    2-D convolution over images of height 1 (the same tuned code as
    :class:`Conv2d`), see :func:`cnnlib.conv1d`.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int
    stride : int, default 1
    padding : int, "valid" or "same", default 0
    bias : bool, default True
    rng : numpy.random.Generator, optional
    dtype : numpy dtype, default float32

    Shapes
    ------
    input (N, in_channels, L) -> output (N, out_channels, Lo),
    ``Lo = (L + 2 * padding - kernel_size) // stride + 1``;
    ``weight`` (out_channels, in_channels, kernel_size), ``bias`` (out_channels,).
    Weights start U(-b, b), b = 1/sqrt(in_channels * kernel_size).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> conv = nn.Conv1d(2, 4, 5, stride=2, rng=np.random.default_rng(0))
    >>> conv(np.ones((3, 2, 20), dtype=np.float32)).shape
    (3, 4, 8)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding=0, bias: bool = True, *, rng: Optional[np.random.Generator] = None,
                 dtype=np.float32):
        in_channels = positive_int(in_channels, "in_channels")
        out_channels = positive_int(out_channels, "out_channels")
        kernel_size = positive_int(kernel_size, "kernel_size")
        padding_1d(padding, kernel_size, positive_int(stride, "stride"))
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.weight, self.bias = _weight_and_bias(
            rng, (out_channels, in_channels, kernel_size), out_channels, bias, dtype)
        self._cache = None
        self._workspace = _kernels.Workspace()

    def forward(self, x: np.ndarray) -> np.ndarray:
        bias = None if self.bias is None else self.bias.data
        out, self._cache = _kernels.conv1d_forward(x, self.weight.data, bias, self.stride,
                                                   self.padding, self._workspace)
        return out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """As :meth:`Conv2d.backward`: ``input_grad=False`` skips the input gradient."""
        grad_x, grad_w, grad_b = _kernels.conv1d_backward(grad_out, self._cached("_cache"),
                                                          self._workspace, input_grad)
        self.weight.grad += grad_w
        if self.bias is not None:
            self.bias.grad += grad_b
        return grad_x

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}, bias={self.bias is not None}")


class ConvTranspose2d(Module):
    """Transposed 2-D convolution, as ``torch.nn.ConvTranspose2d`` (an *upsampling* layer).

    A convolution with stride s maps each kh x kw window of its input to one
    output pixel. The transposed convolution goes the other way: every input
    pixel ``x[n, c, i, j]`` adds ``x[n, c, i, j] * weight[c]`` (a (out_channels,
    kh, kw) stamp) into the output window whose top-left corner is
    ``(i * s - padding, j * s - padding)``; overlapping stamps add up.

    In matrix terms, if a convolution (weight of shape (C_in, C_out, kh, kw),
    C_out -> C_in channels) is ``y = A x``, this layer computes ``A.T x``:
    its forward pass is that convolution's input gradient (backward pass), and
    its backward pass is the convolution's forward pass (plus the weight
    gradient). ``padding`` removes rows and columns from the border of the
    output, so that with the same ``kernel_size``, ``stride`` and ``padding``
    it restores the shape a convolution took (when ``stride`` divides evenly).
    It is not the inverse of a convolution, only the transpose of its
    matrix.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (kh, kw)
    stride : int or (h, w), default 1
    padding : int or (h, w), default 0
    bias : bool, default True
    rng : numpy.random.Generator, optional
    dtype : numpy dtype, default float32

    Shapes
    ------
    input (N, in_channels, H, W) -> output (N, out_channels, Ho, Wo) with
    ``Ho = (H - 1) * stride - 2 * padding + kh`` (likewise Wo);
    ``weight`` (in_channels, out_channels, kh, kw) (PyTorch's layout: that of
    the convolution being transposed), ``bias`` (out_channels,).
    Weights start U(-b, b), b = 1/sqrt(out_channels * kh * kw) (PyTorch's
    fan rule applied to this layout).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> up = nn.ConvTranspose2d(4, 2, kernel_size=2, stride=2, rng=np.random.default_rng(0))
    >>> up(np.ones((1, 4, 7, 7), dtype=np.float32)).shape   # (7 - 1) * 2 + 2 = 14
    (1, 2, 14, 14)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, *, rng: Optional[np.random.Generator] = None, dtype=np.float32):
        in_channels = positive_int(in_channels, "in_channels")
        out_channels = positive_int(out_channels, "out_channels")
        kh, kw = positive_pair(kernel_size, "kernel_size")
        positive_pair(stride, "stride")
        nonneg_pair(padding, "padding")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = (kh, kw), stride, padding
        self.weight, self.bias = _weight_and_bias(
            rng, (in_channels, out_channels, kh, kw), out_channels, bias, dtype)
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        bias = None if self.bias is None else self.bias.data
        out, self._cache = _kernels.conv_transpose2d_forward(x, self.weight.data, bias,
                                                             self.stride, self.padding)
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_x, grad_w, grad_b = _kernels.conv_transpose2d_backward(grad_out, self._cached("_cache"))
        self.weight.grad += grad_w
        if self.bias is not None:
            self.bias.grad += grad_b
        return grad_x

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}, bias={self.bias is not None}")
