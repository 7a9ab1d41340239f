"""Readable reference implementations: plain loops that mirror the maths.

These are the versions the book shows. They are slow (Python loops over every
output pixel) and exist to be read and to check the fast versions in
:mod:`cnnlib.functional` against. Both share signatures, argument checks and
error messages.

For an input ``x`` of shape ``(N, C, H, W)`` and a weight ``w`` of shape
``(F, C, kh, kw)``, a 2-D convolution layer computes (as cross-correlation:
the kernel is not flipped, as in every deep-learning library)

.. math::

    y[n, f, i, j] = b[f] + \\sum_{c, u, v} x_p[n, c, i s_h + u, j s_w + v]\\, w[f, c, u, v]

where ``x_p`` is ``x`` zero-padded.
"""

from __future__ import annotations

import numpy as np

from ._validate import (
    check_conv1d_args,
    check_conv_args,
    check_grad_out,
    check_pool_args,
)

__all__ = [
    "conv1d",
    "conv1d_backward",
    "conv2d",
    "conv2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
]


def _pad(x: np.ndarray, pad, value: float = 0.0) -> np.ndarray:
    top, bottom, left, right = pad
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def conv2d(x, weight, bias=None, stride=1, padding=0, groups=1) -> np.ndarray:
    """2-D convolution (cross-correlation) by explicit loops.

    With ``groups`` > 1, filter ``f`` belongs to group ``f // (F / groups)``
    and sees only that group's ``C / groups`` input channels.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    weight : ndarray, shape (F, C / groups, kh, kw)
    bias : ndarray, shape (F,), optional
    stride, padding : int or (h, w) pair; padding may be "valid" or "same"
    groups : int, default 1

    Returns
    -------
    ndarray, shape (N, F, Ho, Wo), dtype of ``x``
    """
    x, weight, bias, (sh, sw), pad, (ho, wo) = check_conv_args(x, weight, bias, stride, padding, groups)
    xp = _pad(x, pad)
    n_batch, f_out = x.shape[0], weight.shape[0]
    c_group, kh, kw = weight.shape[1:]
    out = np.zeros((n_batch, f_out, ho, wo), dtype=x.dtype)
    for n in range(n_batch):
        for f in range(f_out):
            c0 = f // (f_out // groups) * c_group  # first input channel of f's group
            for i in range(ho):
                for j in range(wo):
                    patch = xp[n, c0:c0 + c_group, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    out[n, f, i, j] = np.sum(patch * weight[f])
            if bias is not None:
                out[n, f] += bias[f]
    return out


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, groups=1):
    """Gradients of :func:`conv2d` with respect to x, weight and bias.

    Each output pixel ``y[n, f, i, j]`` was the dot product of one input patch
    with ``weight[f]``, so its gradient flows back to exactly that patch (scaled
    by the weight) and to the weight (scaled by the patch).

    Returns
    -------
    grad_x : ndarray, shape (N, C, H, W)
    grad_weight : ndarray, shape (F, C / groups, kh, kw)
    grad_bias : ndarray, shape (F,)
    """
    x, weight, _, (sh, sw), pad, (ho, wo) = check_conv_args(x, weight, None, stride, padding, groups)
    grad_out = check_grad_out(grad_out, (x.shape[0], weight.shape[0], ho, wo), x.dtype)
    xp = _pad(x, pad)
    grad_xp = np.zeros_like(xp)
    grad_w = np.zeros_like(weight)
    c_group, kh, kw = weight.shape[1:]
    for n in range(x.shape[0]):
        for f in range(weight.shape[0]):
            c0 = f // (weight.shape[0] // groups) * c_group  # first input channel of f's group
            group = slice(c0, c0 + c_group)
            for i in range(ho):
                for j in range(wo):
                    g = grad_out[n, f, i, j]
                    rows = slice(i * sh, i * sh + kh)
                    cols = slice(j * sw, j * sw + kw)
                    grad_xp[n, group, rows, cols] += g * weight[f]
                    grad_w[f] += g * xp[n, group, rows, cols]
    top, bottom, left, right = pad
    grad_x = grad_xp[:, :, top:top + x.shape[2], left:left + x.shape[3]]
    grad_b = grad_out.sum(axis=(0, 2, 3))
    return np.ascontiguousarray(grad_x), grad_w, grad_b


def conv1d(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """1-D convolution (cross-correlation) by explicit loops.

    ``y[n, f, i] = bias[f] + sum_{c, u} x_p[n, c, i * stride + u] * weight[f, c, u]``.

    Parameters
    ----------
    x : ndarray, shape (N, C, L)
    weight : ndarray, shape (F, C, k)
    bias : ndarray, shape (F,), optional
    stride : int
    padding : int, "valid" or "same"

    Returns
    -------
    ndarray, shape (N, F, Lo), dtype of ``x``
    """
    x, weight, bias, s, (left, right), lo = check_conv1d_args(x, weight, bias, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (left, right)))
    k = weight.shape[2]
    out = np.zeros((x.shape[0], weight.shape[0], lo), dtype=x.dtype)
    for n in range(x.shape[0]):
        for f in range(weight.shape[0]):
            for i in range(lo):
                out[n, f, i] = np.sum(xp[n, :, i * s:i * s + k] * weight[f])
            if bias is not None:
                out[n, f] += bias[f]
    return out


def conv1d_backward(grad_out, x, weight, stride=1, padding=0):
    """Gradients of :func:`conv1d` with respect to x, weight and bias.

    Returns
    -------
    grad_x : ndarray, shape (N, C, L)
    grad_weight : ndarray, shape (F, C, k)
    grad_bias : ndarray, shape (F,)
    """
    x, weight, _, s, (left, right), lo = check_conv1d_args(x, weight, None, stride, padding)
    grad_out = check_grad_out(grad_out, (x.shape[0], weight.shape[0], lo), x.dtype)
    xp = np.pad(x, ((0, 0), (0, 0), (left, right)))
    grad_xp = np.zeros_like(xp)
    grad_w = np.zeros_like(weight)
    k = weight.shape[2]
    for n in range(x.shape[0]):
        for f in range(weight.shape[0]):
            for i in range(lo):
                window = slice(i * s, i * s + k)
                grad_xp[n, :, window] += grad_out[n, f, i] * weight[f]
                grad_w[f] += grad_out[n, f, i] * xp[n, :, window]
    grad_x = grad_xp[:, :, left:left + x.shape[2]]
    return np.ascontiguousarray(grad_x), grad_w, grad_out.sum(axis=(0, 2))


def max_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Max pooling by explicit loops: the largest value of every window.

    Padding is with -inf, so a padded position never wins.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size : int or (h, w) pair
    stride : int or (h, w) pair, optional (default: ``kernel_size``)
    padding : int or (h, w) pair, at most half the kernel size

    Returns
    -------
    ndarray, shape (N, C, Ho, Wo)
    """
    x, (kh, kw), (sh, sw), pad, (ho, wo) = check_pool_args(x, kernel_size, stride, padding)
    xp = _pad(x, pad, value=-np.inf)
    out = np.empty(x.shape[:2] + (ho, wo), dtype=x.dtype)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(ho):
                for j in range(wo):
                    out[n, c, i, j] = xp[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw].max()
    return out


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of :func:`max_pool2d` with respect to ``x``.

    Each window's gradient goes entirely to the position of its maximum; on a
    tie, to the first maximum in row-major order (as PyTorch does). Where
    windows overlap, a pixel collects the gradients of every window it wins.

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    x, (kh, kw), (sh, sw), pad, (ho, wo) = check_pool_args(x, kernel_size, stride, padding)
    grad_out = check_grad_out(grad_out, x.shape[:2] + (ho, wo), x.dtype)
    xp = _pad(x, pad, value=-np.inf)
    grad_xp = np.zeros_like(xp)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(ho):
                for j in range(wo):
                    window = xp[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    u, v = np.unravel_index(np.argmax(window), window.shape)
                    grad_xp[n, c, i * sh + u, j * sw + v] += grad_out[n, c, i, j]
    top, _, left, _ = pad
    return np.ascontiguousarray(grad_xp[:, :, top:top + x.shape[2], left:left + x.shape[3]])


def avg_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Average pooling by explicit loops: the mean of every window.

    Zero padding counts in the mean (PyTorch's default,
    ``count_include_pad=True``): every window divides by ``kh * kw``.

    Returns
    -------
    ndarray, shape (N, C, Ho, Wo)
    """
    x, (kh, kw), (sh, sw), pad, (ho, wo) = check_pool_args(x, kernel_size, stride, padding)
    xp = _pad(x, pad)
    out = np.empty(x.shape[:2] + (ho, wo), dtype=x.dtype)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(ho):
                for j in range(wo):
                    out[n, c, i, j] = xp[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw].sum() / (kh * kw)
    return out


def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of :func:`avg_pool2d`: each window shares its gradient equally.

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    x, (kh, kw), (sh, sw), pad, (ho, wo) = check_pool_args(x, kernel_size, stride, padding)
    grad_out = check_grad_out(grad_out, x.shape[:2] + (ho, wo), x.dtype)
    grad_xp = np.zeros_like(_pad(x, pad))
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(ho):
                for j in range(wo):
                    grad_xp[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw] += grad_out[n, c, i, j] / (kh * kw)
    top, _, left, _ = pad
    return np.ascontiguousarray(grad_xp[:, :, top:top + x.shape[2], left:left + x.shape[3]])
