"""The public ops: convolution and pooling, fast, NCHW, PyTorch's keywords.

Same signatures, checks and results as :mod:`cnnlib.reference` (the tests
prove it), but no Python loop runs over pixels: convolution copies the input
patches into columns (*im2col*) and does every multiply-add in a few matrix
products; pooling combines the ``kh*kw`` strided views of the input. How
that is tuned (column layouts chosen by shape, scratch buffers reused between
batches, caches kept for the backward pass) lives in the private module
``cnnlib._kernels``, which the layers of :mod:`cnnlib.nn` call directly.

Examples
--------
>>> import numpy as np, cnnlib
>>> x = np.ones((2, 3, 8, 8), dtype=np.float32)
>>> w = np.ones((4, 3, 3, 3), dtype=np.float32)
>>> cnnlib.conv2d(x, w, padding=1).shape
(2, 4, 8, 8)
>>> float(cnnlib.conv2d(x, w)[0, 0, 0, 0])   # 3 channels x 3 x 3 ones
27.0
"""

from __future__ import annotations

import numpy as np

from . import _kernels
from ._validate import nonneg_int, positive_int

__all__ = [
    "conv_output_size",
    "conv1d",
    "conv1d_backward",
    "conv2d",
    "conv2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
]


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Length of a convolution's or pooling's output along one axis.

    ``floor((size + 2 * padding - kernel_size) / stride) + 1``: the number of
    window positions that fit. Input pixels past the last full window are not
    used.

    Parameters
    ----------
    size : int
        Input length (height or width), >= 1.
    kernel_size : int
        Window length, >= 1 and at most ``size + 2 * padding``.
    stride : int
        Step between windows, >= 1.
    padding : int
        Zeros added on each side, >= 0.

    Examples
    --------
    >>> conv_output_size(30, 3, stride=3)
    10
    >>> conv_output_size(28, 5)
    24
    """
    size, kernel_size = positive_int(size, "size"), positive_int(kernel_size, "kernel_size")
    stride, padding = positive_int(stride, "stride"), nonneg_int(padding, "padding")
    if kernel_size > size + 2 * padding:
        raise ValueError(
            f"kernel_size {kernel_size} is larger than the padded input "
            f"{size + 2 * padding} (size {size} + 2 * padding {padding})"
        )
    return (size + 2 * padding - kernel_size) // stride + 1


def conv2d(x, weight, bias=None, stride=1, padding=0, groups=1) -> np.ndarray:
    """2-D convolution (cross-correlation, no kernel flip), as in PyTorch.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Floating-point input batch.
    weight : ndarray, shape (F, C / groups, kh, kw)
        One ``(C / groups, kh, kw)`` filter per output channel; cast to ``x.dtype``.
    bias : ndarray, shape (F,), optional
    stride : int or (h, w) pair, >= 1
    padding : int, (h, w) pair, "valid" or "same"
        Zeros added around the input. "same" (stride 1 only) keeps H and W;
        an even kernel gets the extra row/column at the bottom/right.
    groups : int, default 1
        Split the channels into ``groups`` independent convolutions: output
        channels ``[g*F/groups, (g+1)*F/groups)`` see only input channels
        ``[g*C/groups, (g+1)*C/groups)``. Must divide C and F;
        ``groups == C`` is a depthwise convolution.

    Returns
    -------
    ndarray, shape (N, F, Ho, Wo), dtype of ``x``
        ``Ho = conv_output_size(H, kh, stride, padding)`` and likewise ``Wo``.

    Raises
    ------
    TypeError
        Non-float arrays, or a stride/padding/groups that is not an int (or pair).
    ValueError
        Wrong ndim, channel mismatch, bias of the wrong length, stride < 1,
        negative padding, a kernel larger than the padded input,
        ``padding="same"`` with stride > 1, or groups not dividing the channels.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 4, 5, 5))
    >>> conv2d(x, np.ones((4, 1, 3, 3)), groups=4).shape   # depthwise: one 3x3 filter per channel
    (1, 4, 3, 3)
    """
    if positive_int(groups, "groups") == 1:
        return _kernels.conv2d_forward(x, weight, bias, stride, padding, keep=False)[0]
    return _kernels.grouped_conv2d_forward(x, weight, bias, stride, padding, groups)[0]


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, groups=1):
    """Gradients of :func:`conv2d` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_out : ndarray, shape (N, F, Ho, Wo)
        Gradient of the loss with respect to the convolution's output.
    x, weight, stride, padding, groups
        As given to :func:`conv2d`.

    Returns
    -------
    grad_x : ndarray, shape (N, C, H, W)
    grad_weight : ndarray, shape (F, C / groups, kh, kw)
    grad_bias : ndarray, shape (F,)
    """
    if positive_int(groups, "groups") == 1:
        _, cache = _kernels.conv2d_forward(x, weight, None, stride, padding)
        return _kernels.conv2d_backward(grad_out, cache)
    _, cache = _kernels.grouped_conv2d_forward(x, weight, None, stride, padding, groups)
    return _kernels.grouped_conv2d_backward(grad_out, cache)


def conv1d(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """1-D convolution (cross-correlation) over sequences, as ``torch.nn.functional.conv1d``.

    ``y[n, f, i] = bias[f] + sum_{c, u} x_p[n, c, i * stride + u] * weight[f, c, u]``
    with ``x_p`` the zero-padded input. It runs as :func:`conv2d` over
    images of height 1 (no copy: ``x[:, :, None]``).

    Parameters
    ----------
    x : ndarray, shape (N, C, L)
    weight : ndarray, shape (F, C, k)
    bias : ndarray, shape (F,), optional
    stride : int, >= 1
    padding : int, "valid" or "same"
        Zeros added at both ends. "same" (stride 1 only) keeps L; an even
        kernel gets the extra zero at the end.

    Returns
    -------
    ndarray, shape (N, F, Lo), dtype of ``x``
        ``Lo = conv_output_size(L, k, stride, padding)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`conv2d`, with the messages in terms of lengths.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[0., 1., 2., 3., 4.]]])
    >>> conv1d(x, np.array([[[1., 0., -1.]]]))   # x[i] - x[i + 2]
    array([[[-2., -2., -2.]]])
    >>> conv1d(x, np.ones((2, 1, 2)), stride=2, padding=1).shape
    (1, 2, 3)
    """
    return _kernels.conv1d_forward(x, weight, bias, stride, padding, keep=False)[0]


def conv1d_backward(grad_out, x, weight, stride=1, padding=0):
    """Gradients of :func:`conv1d` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_out : ndarray, shape (N, F, Lo)
    x, weight, stride, padding
        As given to :func:`conv1d`.

    Returns
    -------
    grad_x : ndarray, shape (N, C, L)
    grad_weight : ndarray, shape (F, C, k)
    grad_bias : ndarray, shape (F,)
    """
    _, cache = _kernels.conv1d_forward(x, weight, None, stride, padding)
    return _kernels.conv1d_backward(grad_out, cache)


# --------------------------------------------------------------------------
# pooling


def max_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Max pooling: the largest value in every window.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size : int or (h, w) pair
    stride : int or (h, w) pair, optional
        Defaults to ``kernel_size`` (non-overlapping windows).
    padding : int or (h, w) pair
        Implicit -inf padding, at most half the kernel size.

    Returns
    -------
    ndarray, shape (N, C, Ho, Wo), dtype of ``x``
    """
    return _kernels.max_pool2d_forward(x, kernel_size, stride, padding)[0]


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of :func:`max_pool2d` with respect to ``x``.

    Each window passes its whole gradient to its maximum (the first one in
    row-major order on a tie, as PyTorch does); every other input gets zero.

    Parameters
    ----------
    grad_out : ndarray, shape (N, C, Ho, Wo)
    x, kernel_size, stride, padding
        As given to :func:`max_pool2d`.

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    _, cache = _kernels.max_pool2d_forward(x, kernel_size, stride, padding)
    return _kernels.max_pool2d_backward(grad_out, cache)


def avg_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Average pooling: the mean of every window.

    Zero padding counts in the mean (PyTorch's default ``count_include_pad``).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size : int or (h, w) pair
    stride : int or (h, w) pair, optional (default: ``kernel_size``)
    padding : int or (h, w) pair, at most half the kernel size

    Returns
    -------
    ndarray, shape (N, C, Ho, Wo), dtype of ``x``
    """
    return _kernels.avg_pool2d_forward(x, kernel_size, stride, padding)


def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of :func:`avg_pool2d`: each window shares its gradient equally.

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    return _kernels.avg_pool2d_backward(grad_out, x, kernel_size, stride, padding)
