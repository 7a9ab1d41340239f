"""Fast convolution and pooling: strided views, im2col and one BLAS product.

Same signatures, checks and results as :mod:`cnnlib.reference` (the tests
prove it), but no Python loop runs over pixels:

* **convolution** copies every input patch into a column of a matrix
  (*im2col*, one strided slice copy per kernel tap), and then a single batched
  matrix product ``weight (F, C*kh*kw) @ cols (N, C*kh*kw, Ho*Wo)`` does all the
  multiply-adds and lands directly in NCHW order;
* the **backward pass** reuses those columns: the weight gradient is another
  matrix product, and the input gradient is a matrix product followed by
  *col2im* (each tap's slice added back where it came from);
* **pooling** takes the elementwise max (or sum) of the ``kh*kw`` strided views
  of the input, one per position in the window.

``*_forward`` / ``*_backward_cached`` pairs keep what the backward pass needs,
so a layer does not redo the im2col copy; the plain functions recompute it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import check_conv_args, check_grad_out, check_pool_args

__all__ = [
    "conv_output_size",
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
    for name, value in (("size", size), ("kernel_size", kernel_size),
                        ("stride", stride), ("padding", padding)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {value!r}")
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    if kernel_size < 1:
        raise ValueError(f"kernel_size must be >= 1, got {kernel_size}")
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    if kernel_size > size + 2 * padding:
        raise ValueError(
            f"kernel_size {kernel_size} is larger than the padded input "
            f"{size + 2 * padding} (size {size} + 2 * padding {padding})"
        )
    return int((size + 2 * padding - kernel_size) // stride + 1)


# --------------------------------------------------------------------------
# shared helpers


def _pad(x: np.ndarray, pad, value: float = 0.0) -> np.ndarray:
    top, bottom, left, right = pad
    if not any(pad):
        return x
    n, c, h, w = x.shape
    xp = np.empty((n, c, h + top + bottom, w + left + right), dtype=x.dtype)
    # fill only the border: writing the whole buffer twice costs real time
    xp[:, :, :top] = value
    xp[:, :, top + h:] = value
    xp[:, :, top:top + h, :left] = value
    xp[:, :, top:top + h, left + w:] = value
    xp[:, :, top:top + h, left:left + w] = x
    return xp


def _crop(xp: np.ndarray, pad, hw) -> np.ndarray:
    if not any(pad):
        return xp
    top, _, left, _ = pad
    return np.ascontiguousarray(xp[:, :, top:top + hw[0], left:left + hw[1]])


def _tap(xp: np.ndarray, u: int, v: int, stride, out_hw) -> np.ndarray:
    """View of the input pixels that kernel tap (u, v) sees, one per output pixel."""
    (sh, sw), (ho, wo) = stride, out_hw
    return xp[:, :, u:u + sh * (ho - 1) + 1:sh, v:v + sw * (wo - 1) + 1:sw]


def _im2col(xp: np.ndarray, kernel, stride, out_hw) -> np.ndarray:
    """Patches as columns: (N, C, Hp, Wp) -> (N, C*kh*kw, Ho*Wo)."""
    n, c = xp.shape[:2]
    kh, kw = kernel
    ho, wo = out_hw
    cols = np.empty((n, c, kh, kw, ho, wo), dtype=xp.dtype)
    # one slice copy per tap is faster than a single 6-D strided copy
    for u in range(kh):
        for v in range(kw):
            cols[:, :, u, v] = _tap(xp, u, v, stride, out_hw)
    return cols.reshape(n, c * kh * kw, ho * wo)


def _col2im(cols: np.ndarray, padded_shape, kernel, stride, out_hw) -> np.ndarray:
    """Adjoint of :func:`_im2col`: add every column entry back to its pixel."""
    n, c = padded_shape[:2]
    kh, kw = kernel
    ho, wo = out_hw
    cols = cols.reshape(n, c, kh, kw, ho, wo)
    xp = np.zeros(padded_shape, dtype=cols.dtype)
    for u in range(kh):
        for v in range(kw):
            _tap(xp, u, v, stride, out_hw)[...] += cols[:, :, u, v]
    return xp


# --------------------------------------------------------------------------
# convolution


@dataclass
class ConvCache:
    """What :func:`conv2d_backward_cached` needs from the forward pass."""

    cols: np.ndarray
    weight: np.ndarray
    x_shape: tuple
    padded_shape: tuple
    stride: tuple
    pad: tuple
    out_hw: tuple


def conv2d_forward(x, weight, bias=None, stride=1, padding=0):
    """:func:`conv2d` that also returns a cache for :func:`conv2d_backward_cached`."""
    x, weight, bias, s, pad, out_hw = check_conv_args(x, weight, bias, stride, padding)
    f = weight.shape[0]
    kernel = weight.shape[2:]
    xp = _pad(x, pad)
    cols = _im2col(xp, kernel, s, out_hw)
    # (F, K) @ (N, K, P) -> (N, F, P): one GEMM per sample, already NCHW order
    out = np.matmul(weight.reshape(f, -1), cols)
    if bias is not None:
        out += bias[:, None]
    out = out.reshape(x.shape[0], f, *out_hw)
    return out, ConvCache(cols, weight, x.shape, xp.shape, s, pad, out_hw)


def conv2d_backward_cached(grad_out, cache: ConvCache):
    """Gradients (x, weight, bias) of a convolution from its forward cache."""
    n, f = cache.x_shape[0], cache.weight.shape[0]
    grad_out = check_grad_out(grad_out, (n, f) + tuple(cache.out_hw), cache.weight.dtype)
    g = grad_out.reshape(n, f, -1)
    w2 = cache.weight.reshape(f, -1)
    # dW = sum_n g_n @ cols_n^T; summing N small products beats one big
    # product that would need a transposed copy of all the columns
    grad_w = np.matmul(g, cache.cols.transpose(0, 2, 1)).sum(axis=0)
    grad_cols = np.matmul(w2.T, g)
    grad_xp = _col2im(grad_cols, cache.padded_shape, cache.weight.shape[2:],
                      cache.stride, cache.out_hw)
    grad_x = _crop(grad_xp, cache.pad, cache.x_shape[2:])
    return grad_x, grad_w.reshape(cache.weight.shape), g.sum(axis=(0, 2))


def conv2d(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """2-D convolution (cross-correlation, no kernel flip), as in PyTorch.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Floating-point input batch.
    weight : ndarray, shape (F, C, kh, kw)
        One ``(C, kh, kw)`` filter per output channel; cast to ``x.dtype``.
    bias : ndarray, shape (F,), optional
    stride : int or (h, w) pair, >= 1
    padding : int, (h, w) pair, "valid" or "same"
        Zeros added around the input. "same" (stride 1 only) keeps H and W;
        an even kernel gets the extra row/column at the bottom/right.

    Returns
    -------
    ndarray, shape (N, F, Ho, Wo), dtype of ``x``
        ``Ho = conv_output_size(H, kh, stride, padding)`` and likewise ``Wo``.

    Raises
    ------
    TypeError
        Non-float arrays, or a stride/padding that is not an int or pair.
    ValueError
        Wrong ndim, channel mismatch, bias of the wrong length, stride < 1,
        negative padding, a kernel larger than the padded input, or
        ``padding="same"`` with stride > 1.
    """
    return conv2d_forward(x, weight, bias, stride, padding)[0]


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    """Gradients of :func:`conv2d` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_out : ndarray, shape (N, F, Ho, Wo)
        Gradient of the loss with respect to the convolution's output.
    x, weight, stride, padding
        As given to :func:`conv2d`.

    Returns
    -------
    grad_x : ndarray, shape (N, C, H, W)
    grad_weight : ndarray, shape (F, C, kh, kw)
    grad_bias : ndarray, shape (F,)
    """
    _, cache = conv2d_forward(x, weight, None, stride, padding)
    return conv2d_backward_cached(grad_out, cache)


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
    return max_pool2d_forward(x, kernel_size, stride, padding)[0]


@dataclass
class PoolCache:
    """What :func:`max_pool2d_backward_cached` needs from the forward pass."""

    padded: np.ndarray
    out: np.ndarray
    x_shape: tuple
    kernel: tuple
    stride: tuple
    pad: tuple


def max_pool2d_forward(x, kernel_size, stride=None, padding=0):
    """:func:`max_pool2d` that also returns a cache for :func:`max_pool2d_backward_cached`."""
    x, k, s, pad, out_hw = check_pool_args(x, kernel_size, stride, padding)
    xp = _pad(x, pad, -np.inf)
    out = _max_pool(xp, k, s, out_hw)
    return out, PoolCache(xp, out, x.shape, k, s, pad)


def _max_pool(xp, k, s, out_hw) -> np.ndarray:
    out = _tap(xp, 0, 0, s, out_hw).copy()
    for u in range(k[0]):
        for v in range(k[1]):
            if u or v:
                np.maximum(out, _tap(xp, u, v, s, out_hw), out=out)
    return out


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
    return max_pool2d_backward_cached(grad_out, max_pool2d_forward(x, kernel_size, stride, padding)[1])


def max_pool2d_backward_cached(grad_out, cache: PoolCache) -> np.ndarray:
    """Gradient of a max pooling with respect to its input, from its forward cache."""
    xp, out, k, s = cache.padded, cache.out, cache.kernel, cache.stride
    grad_out = check_grad_out(grad_out, out.shape, out.dtype)
    out_hw = out.shape[2:]
    grad_xp = np.zeros(xp.shape, dtype=grad_out.dtype)
    unclaimed = np.ones(out.shape, dtype=bool)  # windows whose max is not yet found
    for u in range(k[0]):
        for v in range(k[1]):
            winner = _tap(xp, u, v, s, out_hw) == out
            winner &= unclaimed
            unclaimed &= ~winner
            _tap(grad_xp, u, v, s, out_hw)[...] += np.where(winner, grad_out, 0)
    return _crop(grad_xp, cache.pad, cache.x_shape[2:])


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
    x, k, s, pad, out_hw = check_pool_args(x, kernel_size, stride, padding)
    xp = _pad(x, pad)
    out = _tap(xp, 0, 0, s, out_hw).copy()
    for u in range(k[0]):
        for v in range(k[1]):
            if u or v:
                out += _tap(xp, u, v, s, out_hw)
    out /= k[0] * k[1]
    return out


def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of :func:`avg_pool2d`: each window shares its gradient equally.

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    x, k, s, pad, out_hw = check_pool_args(x, kernel_size, stride, padding)
    grad_out = check_grad_out(grad_out, x.shape[:2] + out_hw, x.dtype)
    share = grad_out / (k[0] * k[1])
    hp, wp = x.shape[2] + pad[0] + pad[1], x.shape[3] + pad[2] + pad[3]
    grad_xp = np.zeros(x.shape[:2] + (hp, wp), dtype=x.dtype)
    for u in range(k[0]):
        for v in range(k[1]):
            _tap(grad_xp, u, v, s, out_hw)[...] += share
    return _crop(grad_xp, pad, x.shape[2:])

