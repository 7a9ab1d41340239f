"""Baseline convolutions and poolings that cnnlib is measured against.

None of these is used by cnnlib itself; they exist so ``benchmarks/run.py``
can put numbers next to each other. Each takes and returns NCHW float arrays
like :mod:`cnnlib.functional`, and :func:`self_check` verifies them against
cnnlib's reference loops before anything is timed.

* :func:`strided_conv2d` / :func:`strided_conv2d_backward`: the classic course
  version of im2col (as popularised by Stanford's CS231n assignments). A
  6-D ``as_strided`` view of the padded input is copied, in one go, into a
  matrix of shape ``(C*kh*kw, N*Ho*Wo)``; one big GEMM multiplies the
  ``(F, C*kh*kw)`` weight matrix by it; the ``(F, N, Ho, Wo)`` result is
  transposed to NCHW. The backward pass multiplies by the same matrix again
  and scatters the column gradients back with col2im (one strided add per
  kernel tap).
* :func:`scipy_conv2d` / :func:`scipy_conv2d_backward`: a Python loop over
  samples and filters around :func:`scipy.signal.correlate` /
  :func:`scipy.signal.convolve`; each call works on a whole ``(C, H, W)``
  volume, which sums over the input channels (stride 1 only).
* :func:`reshape_max_pool2d` / :func:`reshape_max_pool2d_backward`: max
  pooling by reshaping non-overlapping windows into their own axes.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided
from scipy import signal

__all__ = [
    "reshape_max_pool2d",
    "reshape_max_pool2d_backward",
    "scipy_conv2d",
    "scipy_conv2d_backward",
    "self_check",
    "strided_conv2d",
    "strided_conv2d_backward",
    "strided_conv2d_backward_cached",
    "strided_conv2d_forward",
]


# --------------------------------------------------------------------------
# classic strided im2col + one GEMM


def _padded(x: np.ndarray, padding: int) -> np.ndarray:
    if padding == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def _out_size(size: int, k: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - k) // stride + 1


def strided_conv2d_forward(x, weight, bias=None, stride: int = 1, padding: int = 0):
    """Convolution with one big GEMM; returns ``(out, cache)``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    weight : ndarray, shape (F, C, kh, kw)
    bias : ndarray, shape (F,), optional
    stride, padding : int

    Returns
    -------
    out : ndarray, shape (N, F, Ho, Wo), C-contiguous
    cache : tuple
        ``(cols, x.shape, weight, stride, padding)`` for the backward pass;
        ``cols`` has shape (C*kh*kw, N*Ho*Wo).
    """
    n, c, h, w = x.shape
    f, _, kh, kw = weight.shape
    ho, wo = _out_size(h, kh, stride, padding), _out_size(w, kw, stride, padding)
    xp = np.ascontiguousarray(_padded(x, padding))
    sn, sc, sh, sw = xp.strides
    # Axes (c, u, v, n, i, j): patch-element axes first, output-pixel axes
    # last, so reshaping the view (a copy) gives rows = patch elements and
    # columns = output pixels of every image.
    windows = as_strided(xp, shape=(c, kh, kw, n, ho, wo),
                         strides=(sc, sh, sw, sn, stride * sh, stride * sw), writeable=False)
    cols = windows.reshape(c * kh * kw, n * ho * wo)
    out = weight.reshape(f, -1) @ cols
    if bias is not None:
        out += bias[:, None]
    # rows are filters, columns are (n, i, j): bring n to the front for NCHW
    out = np.ascontiguousarray(out.reshape(f, n, ho, wo).transpose(1, 0, 2, 3))
    return out, (cols, x.shape, weight, stride, padding)


def strided_conv2d(x, weight, bias=None, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Forward convolution of the strided-im2col baseline, shape (N, F, Ho, Wo)."""
    return strided_conv2d_forward(x, weight, bias, stride, padding)[0]


def strided_conv2d_backward_cached(grad_out, cache):
    """Gradients ``(grad_x, grad_weight, grad_bias)`` from the forward cache."""
    cols, (n, c, h, w), weight, stride, padding = cache
    f, _, kh, kw = weight.shape
    ho, wo = grad_out.shape[2:]
    # (N, F, Ho, Wo) -> (F, N*Ho*Wo), the column order of ``cols``
    g = grad_out.transpose(1, 0, 2, 3).reshape(f, -1)
    grad_b = g.sum(axis=1)
    grad_w = (g @ cols.T).reshape(weight.shape)
    grad_cols = (weight.reshape(f, -1).T @ g).reshape(c, kh, kw, n, ho, wo)
    # col2im: every (u, v) tap's gradients go back to the pixels it read
    grad_xp = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=grad_out.dtype)
    for u in range(kh):
        for v in range(kw):
            rows = slice(u, u + stride * (ho - 1) + 1, stride)
            colsl = slice(v, v + stride * (wo - 1) + 1, stride)
            grad_xp[:, :, rows, colsl] += grad_cols[:, u, v].transpose(1, 0, 2, 3)
    grad_x = grad_xp[:, :, padding:padding + h, padding:padding + w]
    return np.ascontiguousarray(grad_x), grad_w, grad_b


def strided_conv2d_backward(grad_out, x, weight, stride: int = 1, padding: int = 0):
    """Gradients of :func:`strided_conv2d` (recomputes the columns)."""
    _, cache = strided_conv2d_forward(x, weight, None, stride, padding)
    return strided_conv2d_backward_cached(grad_out, cache)


# --------------------------------------------------------------------------
# SciPy's N-D correlation, looped over samples and filters


def scipy_conv2d(x, weight, bias=None, padding: int = 0) -> np.ndarray:
    """Stride-1 convolution via :func:`scipy.signal.correlate`.

    ``correlate(xp[n], weight[f], "valid")`` slides a ``(C, kh, kw)`` filter
    over a ``(C, Hp, Wp)`` volume; along the channel axis the filter fits
    exactly once, so the result is ``(1, Ho, Wo)``, already summed over c.
    """
    xp = _padded(x, padding)
    n, f = x.shape[0], weight.shape[0]
    out = np.empty((n, f, xp.shape[2] - weight.shape[2] + 1, xp.shape[3] - weight.shape[3] + 1),
                   dtype=x.dtype)
    for i in range(n):
        for j in range(f):
            out[i, j] = signal.correlate(xp[i], weight[j], mode="valid")[0]
    if bias is not None:
        out += bias[:, None, None]
    return out


def scipy_conv2d_backward(grad_out, x, weight, padding: int = 0):
    """Gradients of :func:`scipy_conv2d` from the same SciPy calls.

    ``grad_weight[f]`` correlates each padded input volume with the output
    gradient map (summed over samples); ``grad_x`` is the *full* convolution
    of each output gradient map with its filter, which spreads every output
    gradient over the ``kh x kw`` pixels it came from, for all channels at
    once.
    """
    xp = _padded(x, padding)
    n, f = x.shape[0], weight.shape[0]
    grad_w = np.zeros_like(weight)
    grad_xp = np.zeros_like(xp)
    for i in range(n):
        for j in range(f):
            g = grad_out[i, j][None]                       # (1, Ho, Wo)
            grad_w[j] += signal.correlate(xp[i], g, mode="valid")
            grad_xp[i] += signal.convolve(g, weight[j], mode="full")
    h, w = x.shape[2:]
    grad_x = np.ascontiguousarray(grad_xp[:, :, padding:padding + h, padding:padding + w])
    return grad_x, grad_w, grad_out.sum(axis=(0, 2, 3))


# --------------------------------------------------------------------------
# max pooling by reshaping (non-overlapping windows only)


def reshape_max_pool2d(x, k: int = 2) -> np.ndarray:
    """Max pooling with stride = kernel = ``k``; H and W must be multiples of k."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // k, k, w // k, k).max(axis=(3, 5))


def reshape_max_pool2d_backward(grad_out, x, out, k: int = 2) -> np.ndarray:
    """Gradient of :func:`reshape_max_pool2d` (every tied maximum gets it)."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // k, k, w // k, k)
    is_max = windows == out[:, :, :, None, :, None]
    grad = is_max * grad_out[:, :, :, None, :, None]
    return grad.reshape(x.shape)


# --------------------------------------------------------------------------


def self_check(seed: int = 0) -> None:
    """Compare every baseline with :mod:`cnnlib.reference` on a small case."""
    from cnnlib import reference as R

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 3, 7, 6))
    w = rng.normal(size=(4, 3, 3, 3))
    b = rng.normal(size=4)
    for stride, padding in ((1, 0), (1, 1), (2, 1)):
        want = R.conv2d(x, w, b, stride, padding)
        g = rng.normal(size=want.shape)
        want_grads = R.conv2d_backward(g, x, w, stride, padding)
        got = strided_conv2d(x, w, b, stride, padding)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
        for a, e in zip(strided_conv2d_backward(g, x, w, stride, padding), want_grads):
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10)
        if stride == 1:
            np.testing.assert_allclose(scipy_conv2d(x, w, b, padding), want, rtol=1e-10, atol=1e-10)
            for a, e in zip(scipy_conv2d_backward(g, x, w, padding), want_grads):
                np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10)
    xq = rng.normal(size=(2, 3, 6, 8))
    out = reshape_max_pool2d(xq)
    np.testing.assert_array_equal(out, R.max_pool2d(xq, 2))
    gq = rng.normal(size=out.shape)
    np.testing.assert_allclose(reshape_max_pool2d_backward(gq, xq, out),
                               R.max_pool2d_backward(gq, xq, 2), rtol=0, atol=0)
