"""The tuned internals of the fast ops: im2col layouts, workspaces, caches.

:mod:`cnnlib.functional` shows the public ops; this module holds how they
are made fast, and the layers of :mod:`cnnlib.nn` call it directly so they
can keep a forward pass's columns for the backward pass and reuse scratch
arrays between batches (:class:`Workspace`). Nothing here validates twice:
the entry points (``conv2d_forward``, ``max_pool2d_forward``,
``avg_pool2d_forward``...) check their arguments with
:mod:`cnnlib._validate`, the helpers below them trust their callers.

* **convolution** copies every input patch into a column of a matrix
  (*im2col*, a few strided slice copies), and then batched matrix products
  such as ``weight (F, C*kh*kw) @ cols (N, C*kh*kw, Ho*Wo)`` do all the
  multiply-adds and land directly in NCHW order; how the columns are laid out
  (per image, per chunk of images, or with the batch as the last axis) is
  chosen from the shapes, see "convolution" below;
* the **backward pass** reuses those columns: the weight gradient is another
  matrix product, and the input gradient is a matrix product followed by
  *col2im* (each tap's slice added back where it came from);
* **pooling** takes the elementwise max (or sum) of the ``kh*kw`` strided views
  of the input, one per position in the window;
* **1-D, grouped and transposed convolutions** reuse the same pieces: a 1-D
  convolution is a 2-D one of height 1, a grouped one a batched matmul over
  the groups' blocks of columns, a transposed one a convolution's backward
  pass run forwards;
* **batch normalisation** works through the batch in cache-sized chunks, see
  "batch normalisation" below.

Measurements behind the choices made here: ``benchmarks/README.md``.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ._validate import (
    check_conv1d_args,
    check_conv_args,
    check_conv_transpose_args,
    check_grad_out,
    check_ndim,
    check_pool_args,
    float_array,
    positive_int,
    positive_pair,
)

# --------------------------------------------------------------------------
# shared helpers


class Workspace:
    """Scratch arrays that one layer keeps from one call to the next.

    A layer sees the same shapes batch after batch. Allocating a fresh
    column matrix each time (115 MB for a 64-channel 56x56 layer) makes the
    kernel map and zero new pages on first touch, a real share of the
    layer's time. Only internal temporaries and the column cache (which the
    next forward pass replaces anyway) live here, never an array that is
    handed back to the caller.
    """

    def __init__(self):
        self._buffers: dict = {}

    def get(self, name: str, shape, dtype) -> np.ndarray:
        size = math.prod(shape)
        buf = self._buffers.get(name)
        if buf is None or buf.dtype != dtype or buf.size < size:
            buf = self._buffers[name] = np.empty(size, dtype=dtype)
        return buf[:size].reshape(shape)


def _empty(ws: Workspace | None, name: str, shape, dtype) -> np.ndarray:
    return np.empty(shape, dtype=dtype) if ws is None else ws.get(name, shape, dtype)


def _pad(x: np.ndarray, pad, value: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
    top, bottom, left, right = pad
    if not any(pad):
        return x
    n, c, h, w = x.shape
    shape = (n, c, h + top + bottom, w + left + right)
    xp = np.empty(shape, dtype=x.dtype) if out is None else out
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


def _view(a: np.ndarray, shape) -> np.ndarray:
    """``a`` reshaped without a copy (setting ``.shape`` raises where reshape would copy)."""
    v = a.view()
    v.shape = shape
    return v


def _im2col(xp: np.ndarray, cols6: np.ndarray, stride, rows: np.ndarray | None = None) -> np.ndarray:
    """Copy the patches of ``xp`` (N, C, Hp, Wp) into ``cols6`` (N, C, kh, kw, Ho, Wo).

    ``cols6`` may be any view (the layouts below transpose it). NumPy pays
    for every contiguous run it copies, and a kernel tap's view of an image
    is made of runs of only Wo numbers, so the copy takes two passes: first
    the image shifted by v = 0 .. kw-1 columns into ``rows`` (N, C, kw, Hp, Wo),
    then for every kernel row u the Ho rows starting at row u, each a block of
    Ho*Wo contiguous numbers. Copying tap by tap directly makes kh times as
    many short runs (measured 1.7x slower for a 5x5 kernel on 28x28 images).
    """
    n, c, kh, kw, ho, wo = cols6.shape
    (sh, sw), hp = stride, xp.shape[2]
    if rows is None:
        rows = np.empty((n, c, kw, hp, wo), dtype=xp.dtype)
    for v in range(kw):
        rows[:, :, v] = xp[:, :, :, v:v + sw * (wo - 1) + 1:sw]
    for u in range(kh):
        cols6[:, :, u] = rows[:, :, :, u:u + sh * (ho - 1) + 1:sh]
    return cols6


def _col2im(cols6: np.ndarray, grad_xp: np.ndarray, stride,
            rows: np.ndarray | None = None) -> np.ndarray:
    """Adjoint of :func:`_im2col`: add every entry of ``cols6`` back to its pixel of ``grad_xp``.

    The same two passes in reverse: the kernel rows are summed into
    ``rows`` with contiguous block adds, then the kw shifted copies are added
    to ``grad_xp``.
    """
    n, c, kh, kw, ho, wo = cols6.shape
    (sh, sw), hp = stride, grad_xp.shape[2]
    if rows is None:
        rows = np.empty((n, c, kw, hp, wo), dtype=grad_xp.dtype)
    rows.fill(0)
    for u in range(kh):
        rows[:, :, :, u:u + sh * (ho - 1) + 1:sh] += cols6[:, :, u]
    for v in range(kw):
        grad_xp[:, :, :, v:v + sw * (wo - 1) + 1:sw] += rows[:, :, v]
    return grad_xp


# Batch-last ("CHWN") copies: a block of samples at a time. A plain transposed
# copy reads one number per cache line; 16 samples side by side reuse each
# line 16 times (2-3x faster for the shapes of the benchmarks).
_TRANSPOSE_BLOCK = 16


def _to_batch_last(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Copy ``a`` of shape (N, ...) into ``out`` of shape (..., N)."""
    axes = tuple(range(1, a.ndim)) + (0,)
    for lo in range(0, a.shape[0], _TRANSPOSE_BLOCK):
        out[..., lo:lo + _TRANSPOSE_BLOCK] = a[lo:lo + _TRANSPOSE_BLOCK].transpose(axes)
    return out


def _from_batch_last(a: np.ndarray) -> np.ndarray:
    """A new contiguous (N, ...) copy of ``a`` of shape (..., N)."""
    n = a.shape[-1]
    out = np.empty((n,) + a.shape[:-1], dtype=a.dtype)
    axes = (a.ndim - 1,) + tuple(range(a.ndim - 1))
    for lo in range(0, n, _TRANSPOSE_BLOCK):
        out[lo:lo + _TRANSPOSE_BLOCK] = a[..., lo:lo + _TRANSPOSE_BLOCK].transpose(axes)
    return out


# --------------------------------------------------------------------------
# convolution
#
# The im2col columns are laid out in one of three ways, picked by
# _column_layout() from the shapes (timings behind each choice are in
# benchmarks/README.md):
#
# * "per_sample" (small and medium layers): cols (N, K, Ho*Wo) with
#   K = C*kh*kw. The GEMMs are one (F, K) @ (K, Ho*Wo) product per image,
#   batched by np.matmul, and the output comes out in NCHW order. For these
#   shapes OpenBLAS runs such products up to twice as fast as one wide
#   (F, K) @ (K, N*Ho*Wo) product. Chunks of about _CHUNK_BYTES of columns:
#   the GEMM, and in the backward pass col2im, reads a chunk back from cache.
# * "channel_major" (big layers): the batch is cut into chunks of about
#   _BIG_CHUNK_BYTES of columns, and each chunk is one (K, n*Ho*Wo) matrix
#   multiplied in one GEMM. A per-image product is then big enough to be
#   split across threads, and every split ends with a join; merging images
#   cuts the joins, which pays off when the threads share the cores with
#   other work (measured: half the median time on a busy machine, the same
#   on an idle one).
# * "batch_last" (many small images): cols (K, Ho*Wo, N). im2col copies one
#   kernel tap at a time, and in NCHW each copy is a loop over rows of only
#   Wo numbers; for a narrow output (8x8 in a LeNet-like second layer)
#   NumPy's per-row overhead costs more than the copying. With the batch as
#   the last axis the rows are Wo*N numbers long (about 5x faster copies).
#   The GEMMs are then one (F, K) @ (K, N) product per output pixel.
#
# In every layout the columns carry one extra row of ones after the K patch
# rows: with the bias appended to the weight matrix as one more column, the
# forward GEMM adds the bias for free, and in the backward pass the same row
# makes the weight-gradient GEMM return the bias gradient (the sum of
# grad_out) as its last row. Both replace a separate pass over the output.

_CHUNK_BYTES = 2 << 20  # per_sample: columns per chunk (about the size of the L2 caches)
_BIG_CHUNK_BYTES = 32 << 20  # channel_major: fewer, bigger GEMMs
_CHANNEL_MAJOR_MIN_MACS = 1 << 24  # multiply-adds of one image's product
_BATCH_LAST_MAX_WO = 12
_BATCH_LAST_MIN_N = 32


def _column_layout(n: int, f: int, k: int, p: int, out_w: int) -> str:
    if n >= _BATCH_LAST_MIN_N and out_w <= _BATCH_LAST_MAX_WO:
        return "batch_last"
    if f * k * p >= _CHANNEL_MAJOR_MIN_MACS:
        return "channel_major"
    return "per_sample"


def _chunk_size(n: int, bytes_per_sample: int, budget: int) -> int:
    return max(1, min(n, budget // max(1, bytes_per_sample)))


def _chunks(n: int, step: int) -> list:
    return [(lo, min(lo + step, n)) for lo in range(0, n, step)]


@dataclass
class ConvCache:
    """What :func:`conv2d_backward` needs from the forward pass."""

    cols: np.ndarray
    weight: np.ndarray
    x_shape: tuple
    padded_shape: tuple
    stride: tuple
    pad: tuple
    out_hw: tuple
    layout: str = "per_sample"  # how ``cols`` is laid out, see _column_layout()
    chunk: int = 1  # images per chunk of ``cols``


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, ws: Workspace | None = None,
                   keep: bool = True):
    """Convolution and the cache its backward pass needs.

    ``ws`` keeps scratch arrays from one call to the next (a layer owns
    one); ``keep=False`` (no backward pass to come) reuses one chunk's worth
    of columns instead of keeping all of them and returns no cache.
    """
    x, weight, bias, s, pad, out_hw = check_conv_args(x, weight, bias, stride, padding)
    n, f = x.shape[0], weight.shape[0]
    layout = _column_layout(n, f, weight[0].size, out_hw[0] * out_hw[1], out_hw[1])
    w2 = _weight_matrix(weight, bias)
    if layout == "batch_last":  # small images: one chunk anyway
        out, cache = _forward_batch_last(x, weight, w2, s, pad, out_hw, ws)
    else:
        forward = _forward_per_sample if layout == "per_sample" else _forward_channel_major
        out, cache = forward(x, weight, w2, s, pad, out_hw, ws, keep)
    return out.reshape(n, f, *out_hw), cache


def _weight_matrix(weight, bias):
    """(F, K) weights, or (F, K+1) with the bias as last column (see the ones row)."""
    w2 = weight.reshape(weight.shape[0], -1)
    return w2 if bias is None else np.concatenate([w2, bias[:, None]], axis=1)


def _padded(x, pad, ws):
    """Zero-padded input, in the workspace if there is one."""
    n, c, h, w = x.shape
    padded_shape = (n, c, h + pad[0] + pad[1], w + pad[2] + pad[3])
    buffer = ws.get("padded", padded_shape, x.dtype) if ws is not None and any(pad) else None
    return _pad(x, pad, out=buffer)


def _forward_per_sample(x, weight, w2, s, pad, out_hw, ws, keep):
    n, f = x.shape[0], weight.shape[0]
    k, p = weight[0].size, out_hw[0] * out_hw[1]
    xp = _padded(x, pad, ws)
    step = _chunk_size(n, k * p * x.itemsize, _CHUNK_BYTES)
    cols = _empty(ws, "cols", (n if keep else min(step, n), k + 1, p), x.dtype)
    cols[:, k] = 1
    out = np.empty((n, f, p), dtype=x.dtype)
    rows = _empty(ws, "rows", (step, x.shape[1], weight.shape[3], xp.shape[2], out_hw[1]), x.dtype)
    for lo, hi in _chunks(n, step):
        chunk = cols[lo:hi] if keep else cols[:hi - lo]
        _im2col(xp[lo:hi], _view(chunk[:, :k], (hi - lo,) + weight.shape[1:] + out_hw), s,
                rows[:hi - lo])
        # (F, K) @ (n, K, P) -> (n, F, P): one GEMM per sample, already NCHW;
        # with a bias, the ones row takes part
        np.matmul(w2, chunk if w2.shape[1] > k else chunk[:, :k], out=out[lo:hi])
    cache = ConvCache(cols, weight, x.shape, xp.shape, s, pad, out_hw, "per_sample", step) if keep else None
    return out, cache


def _forward_channel_major(x, weight, w2, s, pad, out_hw, ws, keep):
    n, c = x.shape[:2]
    f, _, kh, kw = weight.shape
    k, p = weight[0].size, out_hw[0] * out_hw[1]
    xp = _padded(x, pad, ws)
    step = _chunk_size(n, k * p * x.itemsize, _BIG_CHUNK_BYTES)
    # chunk [lo, hi) is a (K+1, m*P) block starting at lo*(K+1)*P
    cols = _empty(ws, "cols", ((n if keep else min(step, n)) * (k + 1) * p,), x.dtype)
    out = np.empty((n, f, p), dtype=x.dtype)
    out_t = _empty(ws, "out_t", (f, step * p), x.dtype)
    rows = _empty(ws, "rows", (step, c, kw, xp.shape[2], out_hw[1]), x.dtype)
    for lo, hi in _chunks(n, step):
        m = hi - lo
        start = lo * (k + 1) * p if keep else 0
        block = cols[start:start + m * (k + 1) * p].reshape(k + 1, m * p)
        block[k] = 1
        patches = block[:k].reshape(c, kh, kw, m, *out_hw)
        _im2col(xp[lo:hi], patches.transpose(3, 0, 1, 2, 4, 5), s, rows[:m])
        prod = np.matmul(w2, block if w2.shape[1] > k else block[:k], out=out_t[:, :m * p])
        # (F, m, P) -> (m, F, P): rows of P numbers move as a whole
        out[lo:hi] = prod.reshape(f, m, p).transpose(1, 0, 2)
    cache = ConvCache(cols, weight, x.shape, xp.shape, s, pad, out_hw, "channel_major", step) if keep else None
    return out, cache


def _forward_batch_last(x, weight, w2, s, pad, out_hw, ws):
    n, c, h, w = x.shape
    f, _, kh, kw = weight.shape
    (sh, sw), (ho, wo) = s, out_hw
    k, p = weight[0].size, ho * wo
    top, bottom, left, right = pad
    xt = _empty(ws, "padded", (c, h + top + bottom, w + left + right, n), x.dtype)
    if any(pad):
        xt.fill(0)
    _to_batch_last(x, xt[:, top:top + h, left:left + w])
    cols = _empty(ws, "cols", (k + 1, p, n), x.dtype)
    cols[k] = 1
    patches = cols[:k].reshape(c, kh, kw, ho, wo, n)
    for u in range(kh):
        for v in range(kw):
            patches[:, u, v] = xt[:, u:u + sh * (ho - 1) + 1:sh, v:v + sw * (wo - 1) + 1:sw]
    out_t = _empty(ws, "out_t", (f, p, n), x.dtype)
    # one (F, K) @ (K, N) GEMM per output pixel, written straight into (F, P, N)
    src = cols if w2.shape[1] > k else cols[:k]
    np.matmul(w2, src.transpose(1, 0, 2), out=out_t.transpose(1, 0, 2))
    out = _from_batch_last(out_t)
    return out, ConvCache(cols, weight, x.shape, xt.shape, s, pad, out_hw, "batch_last", n)


def conv2d_backward(grad_out, cache: ConvCache, ws: Workspace | None = None,
                    input_grad: bool = True):
    """Gradients (x, weight, bias) of a convolution from its forward cache.

    With ``input_grad=False`` the input gradient (a matrix product and the
    whole col2im pass, often half the backward pass) is skipped and returned
    as ``None``: a network's first layer never needs it during training.
    """
    n, f = cache.x_shape[0], cache.weight.shape[0]
    grad_out = check_grad_out(grad_out, (n, f) + tuple(cache.out_hw), cache.weight.dtype)
    # explicit size, not -1: an empty batch (n = 0) must still reshape
    g = grad_out.reshape(n, f, cache.out_hw[0] * cache.out_hw[1])
    backward = {"per_sample": _backward_per_sample, "channel_major": _backward_channel_major,
                "batch_last": _backward_batch_last}[cache.layout]
    grad_x, grad_wt = backward(g, cache, ws, input_grad)
    # every layout computes [dW | db]^T = cols @ g^T, shape (K+1, F):
    # multiplying the big column matrix untransposed by the small transposed g
    # runs up to 3x faster in OpenBLAS than g @ cols^T, where the big operand
    # is the transposed one (layer b of the benchmarks); the last row, from
    # the ones row, is the bias gradient
    grad_w = np.ascontiguousarray(grad_wt[:-1].T).reshape(cache.weight.shape)
    return grad_x, grad_w, np.ascontiguousarray(grad_wt[-1])


def _grad_padded(cache: ConvCache, dtype, ws):
    """Zeroed gradient of the padded input; fresh when it is returned as it is."""
    if not any(cache.pad):
        return np.zeros(cache.padded_shape, dtype=dtype)
    grad_xp = _empty(ws, "grad_padded", cache.padded_shape, dtype)
    grad_xp.fill(0)
    return grad_xp


def _backward_per_sample(g, cache: ConvCache, ws, input_grad=True):
    n, f, p = g.shape
    cols, step = cache.cols, cache.chunk
    k = cols.shape[1] - 1
    w2t = cache.weight.reshape(f, k).T
    grad_wt = np.zeros((k + 1, f), dtype=g.dtype)
    c, kh, kw = cache.weight.shape[1:]
    if input_grad:
        grad_xp = _grad_padded(cache, g.dtype, ws)
        grad_cols = _empty(ws, "grad_cols", (min(step, n), k, p), g.dtype)
        rows = _empty(ws, "grad_rows", (min(step, n), c, kw, grad_xp.shape[2], cache.out_hw[1]),
                      g.dtype)
    for lo, hi in _chunks(n, step):
        m = hi - lo
        grad_wt += np.matmul(cols[lo:hi], g[lo:hi].transpose(0, 2, 1)).sum(axis=0)
        if not input_grad:
            continue
        gc = np.matmul(w2t, g[lo:hi], out=grad_cols[:m])
        _col2im(_view(gc, (m, c, kh, kw) + tuple(cache.out_hw)), grad_xp[lo:hi], cache.stride,
                rows[:m])
    return (_crop(grad_xp, cache.pad, cache.x_shape[2:]) if input_grad else None), grad_wt


def _backward_channel_major(g, cache: ConvCache, ws, input_grad=True):
    n, f, p = g.shape
    c, kh, kw = cache.weight.shape[1:]
    k, step = c * kh * kw, cache.chunk
    w2t = cache.weight.reshape(f, k).T
    grad_wt = np.zeros((k + 1, f), dtype=g.dtype)
    g_t = _empty(ws, "grad_out_t", (f, step * p), g.dtype)
    if input_grad:
        grad_xp = _grad_padded(cache, g.dtype, ws)
        grad_cols = _empty(ws, "grad_cols", (k, step * p), g.dtype)
        rows = _empty(ws, "grad_rows", (step, c, kw, grad_xp.shape[2], cache.out_hw[1]), g.dtype)
    for lo, hi in _chunks(n, step):
        m = hi - lo
        gt = g_t[:, :m * p]
        _view(gt, (f, m, p))[...] = g[lo:hi].transpose(1, 0, 2)
        grad_wt += cache.cols[lo * (k + 1) * p:hi * (k + 1) * p].reshape(k + 1, m * p) @ gt.T
        if not input_grad:
            continue
        gc = np.matmul(w2t, gt, out=grad_cols[:, :m * p])
        gc6 = _view(gc, (c, kh, kw, m) + tuple(cache.out_hw)).transpose(3, 0, 1, 2, 4, 5)
        _col2im(gc6, grad_xp[lo:hi], cache.stride, rows[:m])
    return (_crop(grad_xp, cache.pad, cache.x_shape[2:]) if input_grad else None), grad_wt


def _backward_batch_last(g, cache: ConvCache, ws, input_grad=True):
    n, f, p = g.shape
    c, h, w = cache.x_shape[1:]
    kh, kw = cache.weight.shape[2:]
    (sh, sw), (ho, wo) = cache.stride, cache.out_hw
    top, _, left, _ = cache.pad
    cols = cache.cols  # (K+1, P, N)
    k = cols.shape[0] - 1
    g_t = _to_batch_last(g, _empty(ws, "grad_out_t", (f, p, n), g.dtype))
    grad_wt = cols.reshape(k + 1, p * n) @ g_t.reshape(f, p * n).T
    if not input_grad:
        return None, grad_wt
    # one kernel row at a time: (kw*C, F) @ (F, P*N) gives the column
    # gradients of kw taps, small enough to still be in cache when they are
    # added where those taps read their input
    w_rows = cache.weight.transpose(2, 3, 1, 0).reshape(kh, kw * c, f)
    g2 = g_t.reshape(f, p * n)
    row_grad = _empty(ws, "grad_cols", (kw, c, ho, wo, n), g.dtype)
    grad_xt = _empty(ws, "grad_padded", cache.padded_shape, g.dtype)
    grad_xt.fill(0)
    for u in range(kh):
        np.matmul(w_rows[u], g2, out=row_grad.reshape(kw * c, p * n))
        for v in range(kw):
            grad_xt[:, u:u + sh * (ho - 1) + 1:sh, v:v + sw * (wo - 1) + 1:sw] += row_grad[v]
    return _from_batch_last(grad_xt[:, top:top + h, left:left + w]), grad_wt



# pooling

@dataclass
class PoolCache:
    """What :func:`max_pool2d_backward` needs from the forward pass."""

    padded: np.ndarray
    out: np.ndarray
    x_shape: tuple
    kernel: tuple
    stride: tuple
    pad: tuple


def max_pool2d_forward(x, kernel_size, stride=None, padding=0):
    """Max pooling and the cache its backward pass needs."""
    x, k, s, pad, out_hw = check_pool_args(x, kernel_size, stride, padding)
    xp = _pad(x, pad, -np.inf)
    out = _max_pool(xp, k, s, out_hw)
    return out, PoolCache(xp, out, x.shape, k, s, pad)


def _max_pool(xp, k, s, out_hw) -> np.ndarray:
    taps = [_tap(xp, u, v, s, out_hw) for u in range(k[0]) for v in range(k[1])]
    if len(taps) == 1:
        return taps[0].copy()
    out = np.maximum(taps[0], taps[1])
    for tap in taps[2:]:
        np.maximum(out, tap, out=out)
    return out


def _windows_disjoint(k, s) -> bool:
    """True when no input pixel lies in two windows (stride >= kernel)."""
    return s[0] >= k[0] and s[1] >= k[1]


def _windows_tile(padded_hw, k, s, out_hw) -> bool:
    """True when the windows cover every (padded) input pixel exactly once."""
    return tuple(s) == tuple(k) and padded_hw == (out_hw[0] * k[0], out_hw[1] * k[1])


def max_pool2d_backward(grad_out, cache: PoolCache) -> np.ndarray:
    """Gradient of a max pooling with respect to its input, from its forward cache."""
    xp, out, k, s = cache.padded, cache.out, cache.kernel, cache.stride
    grad_out = check_grad_out(grad_out, out.shape, out.dtype)
    out_hw = out.shape[2:]
    # With disjoint windows every tap's share can be *written*, grad * is_max,
    # instead of added into a zeroed array: ~2.5x faster. The product equals
    # "grad where is_max, else 0" only for finite gradients (0 * inf is NaN),
    # so anything else takes the general path. (One sum tells: it is finite
    # whenever every term is, barring overflow, which only costs speed.)
    write = _windows_disjoint(k, s) and bool(np.isfinite(grad_out.sum()))
    if write and _windows_tile(xp.shape[2:], k, s, out_hw):
        grad_xp = np.empty(xp.shape, dtype=grad_out.dtype)  # every entry is written below
    else:
        grad_xp = np.zeros(xp.shape, dtype=grad_out.dtype)
    # NaN != NaN: a window holding a NaN has max NaN, and its first NaN wins
    # (as np.argmax in the reference); a NaN sum means the output may hold one
    has_nan = bool(np.isnan(out.sum()))
    winner = np.empty(out.shape, dtype=bool)
    unclaimed = None  # windows whose max is not yet found
    n_taps = k[0] * k[1]
    for t in range(n_taps):
        u, v = divmod(t, k[1])
        tap = _tap(xp, u, v, s, out_hw)
        if unclaimed is not None and t == n_taps - 1:
            # every window holds its maximum somewhere: the last tap wins
            # exactly the windows that no earlier tap claimed
            winner = unclaimed
        else:
            np.equal(tap, out, out=winner)
            if has_nan:
                winner |= np.isnan(tap)
            if unclaimed is None:
                unclaimed = ~winner
            else:
                winner &= unclaimed
                unclaimed ^= winner  # winner is a subset of unclaimed
        grad_tap = _tap(grad_xp, u, v, s, out_hw)
        if write:
            np.multiply(grad_out, winner, out=grad_tap)
        else:
            grad_tap += np.where(winner, grad_out, 0)
    return _crop(grad_xp, cache.pad, cache.x_shape[2:])


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Average pooling (zero padding counts in the mean)."""
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
    """Gradient of average pooling: each window shares its gradient equally."""
    x, k, s, pad, out_hw = check_pool_args(x, kernel_size, stride, padding)
    grad_out = check_grad_out(grad_out, x.shape[:2] + out_hw, x.dtype)
    share = grad_out / (k[0] * k[1])
    hp, wp = x.shape[2] + pad[0] + pad[1], x.shape[3] + pad[2] + pad[3]
    # disjoint windows: each pixel gets at most one share, so write, not add
    disjoint = _windows_disjoint(k, s)
    if disjoint and _windows_tile((hp, wp), k, s, out_hw):
        grad_xp = np.empty(x.shape[:2] + (hp, wp), dtype=x.dtype)
    else:
        grad_xp = np.zeros(x.shape[:2] + (hp, wp), dtype=x.dtype)
    for u in range(k[0]):
        for v in range(k[1]):
            if disjoint:
                _tap(grad_xp, u, v, s, out_hw)[...] = share
            else:
                _tap(grad_xp, u, v, s, out_hw)[...] += share
    return _crop(grad_xp, pad, x.shape[2:])


# --------------------------------------------------------------------------
# 1-D convolution: a 2-D convolution over images of height 1
#
# x (N, C, L) is viewed as (N, C, 1, L) and weight (F, C, k) as (F, C, 1, k),
# without copies, and the tuned 2-D paths above do the work.


def conv1d_forward(x, weight, bias=None, stride=1, padding=0, ws: Workspace | None = None,
                   keep: bool = True):
    """1-D convolution (N, C, L) -> (N, F, Lo) and the cache its backward pass needs."""
    x, weight, bias, s, (left, right), _ = check_conv1d_args(x, weight, bias, stride, padding)
    # only "same" with an even kernel pads unevenly, and "same" says it in 2-D too
    padding2 = (0, left) if left == right else "same"
    out, cache = conv2d_forward(x[:, :, None], weight[:, :, None], bias, (1, s), padding2, ws, keep)
    return out[:, :, 0], cache


def conv1d_backward(grad_out, cache: ConvCache, ws: Workspace | None = None,
                    input_grad: bool = True):
    """Gradients (x, weight, bias) of a 1-D convolution from its forward cache."""
    n, f = cache.x_shape[0], cache.weight.shape[0]
    grad_out = check_grad_out(grad_out, (n, f, cache.out_hw[1]), cache.weight.dtype)
    grad_x, grad_w, grad_b = conv2d_backward(grad_out[:, :, None], cache, ws, input_grad)
    return (grad_x[:, :, 0] if input_grad else None), grad_w[:, :, 0], grad_b


# --------------------------------------------------------------------------
# grouped and transposed convolutions
#
# Both use plain per-sample columns, cols (N, C*kh*kw, Ho*Wo), built by the
# same _im2col as above and added back by the same _col2im. Rows of cols are
# ordered (channel, u, v), so the rows of group g's channels are one
# contiguous block: viewed as (N, groups, K/groups, P), one batched matmul
# multiplies every group's block by that group's filters.


def _columns(x, kernel, stride, pad, out_hw, ws):
    """Per-sample columns (N, C*kh*kw, Ho*Wo) of the padded ``x``."""
    n, c = x.shape[:2]
    xp = _padded(x, pad, ws)
    cols = np.empty((n, c * kernel[0] * kernel[1], out_hw[0] * out_hw[1]), dtype=x.dtype)
    _im2col(xp, _view(cols, (n, c) + tuple(kernel) + tuple(out_hw)), stride)
    return cols


def _image(cols, image_shape, kernel, stride, pad, out_hw):
    """Adjoint of :func:`_columns`: add the columns back into an (N, C, H, W) image."""
    n, c, h, w = image_shape
    grad_xp = np.zeros((n, c, h + pad[0] + pad[1], w + pad[2] + pad[3]), dtype=cols.dtype)
    _col2im(_view(cols, (n, c) + tuple(kernel) + tuple(out_hw)), grad_xp, stride)
    return _crop(grad_xp, pad, (h, w))


@dataclass
class GroupedConvCache:
    """What :func:`grouped_conv2d_backward` needs from the forward pass."""

    cols: np.ndarray  # (N, groups, K/groups, P)
    weight: np.ndarray
    x_shape: tuple
    stride: tuple
    pad: tuple
    out_hw: tuple


def grouped_conv2d_forward(x, weight, bias=None, stride=1, padding=0, groups: int = 1,
                           ws: Workspace | None = None):
    """Convolution with ``groups`` independent groups of channels, and its cache.

    Group ``g`` sees input channels ``[g*C/groups, (g+1)*C/groups)`` and makes
    output channels ``[g*F/groups, (g+1)*F/groups)``; ``weight`` is
    (F, C/groups, kh, kw).
    """
    x, weight, bias, s, pad, out_hw = check_conv_args(x, weight, bias, stride, padding, groups)
    n, f, kernel = x.shape[0], weight.shape[0], weight.shape[2:]
    cols = _columns(x, kernel, s, pad, out_hw, ws)
    cols = cols.reshape(n, groups, -1, cols.shape[-1])
    # (groups, F/groups, K/groups) @ (N, groups, K/groups, P) -> (N, groups, F/groups, P)
    out = np.matmul(weight.reshape(groups, f // groups, -1), cols).reshape(n, f, *out_hw)
    if bias is not None:
        out += bias[:, None, None]
    return out, GroupedConvCache(cols, weight, x.shape, s, pad, out_hw)


def grouped_conv2d_backward(grad_out, cache: GroupedConvCache):
    """Gradients (x, weight, bias) of a grouped convolution from its forward cache."""
    n, groups, kg, p = cache.cols.shape
    f = cache.weight.shape[0]
    grad_out = check_grad_out(grad_out, (n, f) + tuple(cache.out_hw), cache.weight.dtype)
    g = grad_out.reshape(n, groups, f // groups, p)
    w = cache.weight.reshape(groups, f // groups, kg)
    grad_w = np.matmul(g, cache.cols.transpose(0, 1, 3, 2)).sum(axis=0)
    grad_cols = np.matmul(w.transpose(0, 2, 1), g)  # (N, groups, K/groups, P)
    grad_x = _image(grad_cols, cache.x_shape, cache.weight.shape[2:], cache.stride, cache.pad,
                    cache.out_hw)
    return grad_x, grad_w.reshape(cache.weight.shape), grad_out.sum(axis=(0, 2, 3))


@dataclass
class ConvTransposeCache:
    """What :func:`conv_transpose2d_backward` needs from the forward pass."""

    x: np.ndarray
    weight: np.ndarray
    stride: tuple
    pad: tuple
    out_hw: tuple


def conv_transpose2d_forward(x, weight, bias=None, stride=1, padding=0):
    """Transposed convolution: the input gradient of a convolution, used as a layer.

    ``weight`` (C_in, C_out, kh, kw) is the weight of the convolution
    C_out -> C_in being transposed; each input pixel scatters ``x * weight``
    into a kh x kw window of the output, windows ``stride`` apart.
    """
    x, weight, bias, s, pad, out_hw = check_conv_transpose_args(x, weight, bias, stride, padding)
    n, c_in, h, w = x.shape
    c_out, kernel = weight.shape[1], weight.shape[2:]
    # cols (N, C_out*kh*kw, H*W): every input pixel's contribution to its window
    cols = np.matmul(weight.reshape(c_in, -1).T, x.reshape(n, c_in, h * w))
    out = _image(cols, (n, c_out) + out_hw, kernel, s, pad, (h, w))
    if bias is not None:
        out += bias[:, None, None]
    return out, ConvTransposeCache(x, weight, s, pad, out_hw)


def conv_transpose2d_backward(grad_out, cache: ConvTransposeCache):
    """Gradients (x, weight, bias) of a transposed convolution from its forward cache.

    The input gradient is the ordinary convolution of ``grad_out`` with the
    same weight (each input pixel gathers from the window it scattered to).
    """
    x, weight = cache.x, cache.weight
    n, c_in, h, w = x.shape
    grad_out = check_grad_out(grad_out, (n, weight.shape[1]) + tuple(cache.out_hw), x.dtype)
    cols = _columns(grad_out, weight.shape[2:], cache.stride, cache.pad, (h, w), None)
    w2 = weight.reshape(c_in, -1)
    grad_x = np.matmul(w2, cols).reshape(x.shape)
    grad_w = np.matmul(x.reshape(n, c_in, h * w), cols.transpose(0, 2, 1)).sum(axis=0)
    return grad_x, grad_w.reshape(weight.shape), grad_out.sum(axis=(0, 2, 3))


# --------------------------------------------------------------------------
# adaptive pooling: the output size is given, the windows follow from it


def adaptive_bins(size: int, out_size: int) -> list[tuple[int, int]]:
    """PyTorch's windows: bin i covers [floor(i*size/out), ceil((i+1)*size/out)).

    Every input position is in some bin; neighbouring bins overlap by one
    position when ``out_size`` does not divide ``size``.
    """
    return [(i * size // out_size, -(-(i + 1) * size // out_size)) for i in range(out_size)]


def _bin_means(size: int, out_size: int, dtype) -> np.ndarray:
    """(out_size, size) matrix whose rows average each adaptive bin."""
    m = np.zeros((out_size, size), dtype=dtype)
    for i, (start, end) in enumerate(adaptive_bins(size, out_size)):
        m[i, start:end] = 1 / (end - start)
    return m


def _separable(x, mh, mw):
    """y[n, c, i, j] = sum_hw mh[i, h] x[n, c, h, w] mw[j, w]: two GEMMs, one per axis."""
    n, c, h, w = x.shape
    t = (x.reshape(-1, w) @ mw.T).reshape(n, c, h, mw.shape[0])
    # contract H: move it last so the product is one GEMM again
    t = np.ascontiguousarray(t.transpose(0, 1, 3, 2)).reshape(-1, h) @ mh.T
    return np.ascontiguousarray(t.reshape(n, c, mw.shape[0], mh.shape[0]).transpose(0, 1, 3, 2))


def adaptive_avg_pool2d_forward(x, output_size):
    """Adaptive average pooling (N, C, H, W) -> (N, C, oh, ow), and its cache.

    The mean over a rectangle is the mean over its rows of the mean over its
    columns, so the pooling is ``Mh @ x @ Mw.T`` with the bin-averaging
    matrices of :func:`_bin_means`; the backward pass is ``Mh.T @ g @ Mw``.
    """
    x = float_array(x, "x")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    oh, ow = positive_pair(output_size, "output_size")
    mh, mw = _bin_means(x.shape[2], oh, x.dtype), _bin_means(x.shape[3], ow, x.dtype)
    return _separable(x, mh, mw), (x.shape, mh, mw)


def adaptive_avg_pool2d_backward(grad_out, cache):
    x_shape, mh, mw = cache
    grad_out = check_grad_out(grad_out, x_shape[:2] + (mh.shape[0], mw.shape[0]), mh.dtype)
    return _separable(grad_out, mh.T, mw.T)


def adaptive_max_pool1d_forward(x, output_size):
    """Adaptive max pooling (N, C, L) -> (N, C, out), and the winners' positions.

    The first maximum of each bin wins (np.argmax), as in max pooling.
    """
    x = float_array(x, "x")
    check_ndim(x, 3, "x", "(N, C, L)")
    out_size = positive_int(output_size, "output_size")
    length = x.shape[2]
    if length % out_size == 0:  # equal, disjoint bins: one argmax over a reshaped view
        k = length // out_size
        idx = x.reshape(x.shape[:2] + (out_size, k)).argmax(axis=3) + np.arange(0, length, k)
    else:
        idx = np.stack([x[:, :, start:end].argmax(axis=2) + start
                        for start, end in adaptive_bins(length, out_size)], axis=2)
    return np.take_along_axis(x, idx, axis=2), (x.shape, idx)


def adaptive_max_pool1d_backward(grad_out, cache):
    x_shape, idx = cache
    grad_out = check_grad_out(grad_out, idx.shape, np.asarray(grad_out).dtype)
    grad_x = np.zeros(x_shape, dtype=grad_out.dtype)
    # overlapping bins can share a winner: np.add.at adds repeated positions
    rows = np.arange(x_shape[0] * x_shape[1])[:, None] * x_shape[2]
    np.add.at(grad_x.reshape(-1), (rows + idx.reshape(len(rows), -1)).ravel(), grad_out.ravel())
    return grad_x


# --------------------------------------------------------------------------
# batch normalisation
#
# Batch norm is a few passes over a large array with one number per channel,
# so its cost is memory traffic and NumPy's per-call overhead, not
# arithmetic. The layer views its input as x2 (N, C*L), one row per sample
# (L = H*W, or 1 for (N, C) inputs), and:
#
# * per-channel numbers are repeated into a row of length C*L
#   (_channel_row), so each elementwise op runs over whole rows.
#   Broadcasting a (C, 1) column instead makes NumPy restart its inner loop
#   for every (n, c) row of L numbers; for 28x28 maps that made a pass
#   about 1.5x slower;
# * the batch is processed in chunks of about _BN_CHUNK_BYTES, which stay in
#   cache between the few ops that use them: every pass reads each big array
#   from memory once, and the temporaries (x - mean, products) never leave
#   the cache;
# * float32 partial sums run over at most a chunk's rows (column sums) or
#   one (n, c) row of L numbers (dot products), and are added per channel
#   in float64, so their error does not grow with the batch size. The sums
#   stay in NumPy's own single-threaded loops: a two-thread BLAS GEMV on a
#   small chunk was fast alone, but on a busy machine each call waited for
#   the second core and the statistics pass took twice as long;
# * the chunks are shared by two threads (_bn_map): NumPy releases the GIL
#   inside its loops, so both cores work, as in PyTorch's kernels. The gain
#   is modest, 13-20% with the second core mostly free and 5-15% with it
#   busy: the passes are bound by memory bandwidth more than by the cores.
#
# benchmarks/batchnorm.py times the layer against PyTorch.

_BN_CHUNK_BYTES = 1 << 20
# the input gradient's pass touches four chunks at once (x, g, a scratch
# chunk, the output): smaller chunks keep all four in cache (measured 3.5 ms
# with 1 MB chunks, 2.5 ms with 256 kB, on (64, 64, 28, 28) float32)
_BN_SMALL_CHUNK_BYTES = 256 << 10
_BN_MAX_CHUNK_ROWS = 256
_BN_THREADS = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
_bn_pool: ThreadPoolExecutor | None = None


def _forget_bn_pool() -> None:
    # a forked child inherits the pool object but not its thread: start afresh
    global _bn_pool
    _bn_pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_bn_pool)


def _channel_row(values, length: int, dtype) -> np.ndarray:
    """Per-channel ``values`` (C,) repeated ``length`` times each: a (C*length,) row."""
    values = np.asarray(values, dtype=dtype)
    return values if length == 1 else np.repeat(values, length)


def _channel_sums(a: np.ndarray, channels: int) -> np.ndarray:
    """Per-channel float64 sums of a chunk ``a`` (rows, C*L)."""
    col = np.add.reduce(a, axis=0)  # one float32 sum per column, over the chunk's rows
    # then per channel: a pairwise float32 sum of L numbers (error ~ log2(L) ulps)
    return col.reshape(channels, -1).sum(axis=1).astype(np.float64)


def _channel_dot(a: np.ndarray, b: np.ndarray, channels: int) -> np.ndarray:
    """Per-channel float64 sums of ``a * b`` for chunks (rows, C*L)."""
    rows, length = a.shape[0], a.shape[1] // channels
    if length < 16:  # short rows, e.g. (N, C) inputs: sum the products column by column
        return _channel_sums(a * b, channels)
    # one dot product of L numbers per (row, channel), a batched (1, L) @ (L, 1)
    # matmul: faster than writing the products out and summing them (measured 20%)
    dots = np.matmul(a.reshape(rows, channels, 1, length), b.reshape(rows, channels, length, 1))
    return dots.reshape(rows, channels).sum(axis=0, dtype=np.float64)


def _bn_map(x2: np.ndarray, ws: Workspace | None, work, chunk_bytes: int = _BN_CHUNK_BYTES) -> list:
    """``[work(lo, hi, tmp) for each chunk [lo, hi) of x2's rows]``, on two threads.

    NumPy releases the GIL inside its loops, so while one thread works
    through the first half of the chunks, a second one works through the
    other half on the other core (PyTorch's kernels use both cores too).
    Each thread has its own cache-sized scratch array ``tmp``.
    """
    n, row = x2.shape
    step = max(1, min(chunk_bytes // max(1, row * x2.itemsize), _BN_MAX_CHUNK_ROWS))
    chunks = _chunks(n, step)
    tmps = [_empty(ws, f"bn_tmp{i}", (min(n, step), row), x2.dtype) for i in range(_BN_THREADS)]
    if _BN_THREADS == 1 or len(chunks) < 2:
        return [work(lo, hi, tmps[0]) for lo, hi in chunks]
    global _bn_pool
    if _bn_pool is None:
        _bn_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cnnlib-batchnorm")
    half = (len(chunks) + 1) // 2
    second = _bn_pool.submit(lambda: [work(lo, hi, tmps[1]) for lo, hi in chunks[half:]])
    try:
        first = [work(lo, hi, tmps[0]) for lo, hi in chunks[:half]]
    finally:
        rest = second.result()  # also when the first half failed: never leave it running
    return first + rest


def batch_norm_stats(x2: np.ndarray, channels: int, ws: Workspace | None = None):
    """Per-channel mean and biased variance (float64) of x2 (N, C*L), in one pass.

    Each chunk's mean and centred sum of squares M2 = sum (x - mean)**2 are
    computed while the chunk is in cache, then combined exactly (Chan,
    Golub and LeVeque's pairwise update): over all chunks,
    ``M2 = sum_k M2_k + n_k (mean_k - mean)**2``. Centring each value before
    squaring keeps the digits that E[x**2] - E[x]**2 would lose when the mean
    is large compared to the spread.
    """
    length = x2.shape[1] // channels

    def chunk_stats(lo, hi, tmp):
        count = (hi - lo) * length
        mean = _channel_sums(x2[lo:hi], channels) / count
        t = np.subtract(x2[lo:hi], _channel_row(mean, length, x2.dtype), out=tmp[:hi - lo])
        return count, mean, _channel_dot(t, t, channels)

    counts, means, m2 = zip(*_bn_map(x2, ws, chunk_stats))
    counts, means = np.array(counts, dtype=np.float64)[:, None], np.array(means)
    mean = (counts * means).sum(axis=0) / counts.sum()
    var = (np.sum(m2, axis=0) + (counts * (means - mean) ** 2).sum(axis=0)) / counts.sum()
    return mean, var


def batch_norm_affine(x2: np.ndarray, channels: int, scale, shift=None,
                      ws: Workspace | None = None) -> np.ndarray:
    """A new array ``x2 * scale + shift`` with per-channel (C,) ``scale`` and ``shift``."""
    length = x2.shape[1] // channels
    scale_row = _channel_row(scale, length, x2.dtype)
    shift_row = None if shift is None else _channel_row(shift, length, x2.dtype)
    out = np.empty(x2.shape, dtype=x2.dtype)

    def chunk_affine(lo, hi, _):
        o = np.multiply(x2[lo:hi], scale_row, out=out[lo:hi])
        if shift_row is not None:
            o += shift_row  # still in cache

    _bn_map(x2, ws, chunk_affine)
    return out


def batch_norm_grad_sums(g2: np.ndarray, x2: np.ndarray, mean, channels: int,
                         ws: Workspace | None = None):
    """Per-channel float64 ``sum(g)`` and ``sum(g * (x - mean))``, in one pass over g and x."""
    mean_row = _channel_row(mean, x2.shape[1] // channels, x2.dtype)

    def chunk_sums(lo, hi, tmp):
        sum_g = _channel_sums(g2[lo:hi], channels)
        t = np.subtract(x2[lo:hi], mean_row, out=tmp[:hi - lo])
        return sum_g, _channel_dot(g2[lo:hi], t, channels)  # that chunk of g is in cache now

    sum_g, sum_gx = np.zeros(channels), np.zeros(channels)
    for chunk_g, chunk_gx in _bn_map(x2, ws, chunk_sums):
        sum_g += chunk_g
        sum_gx += chunk_gx
    return sum_g, sum_gx


def batch_norm_input_grad(g2: np.ndarray, x2: np.ndarray, a, b, c, channels: int,
                          ws: Workspace | None = None) -> np.ndarray:
    """A new array ``a * g + b * x + c``, with per-channel (C,) ``a``, ``b``, ``c``."""
    length = x2.shape[1] // channels
    a_row, b_row, c_row = (_channel_row(v, length, x2.dtype) for v in (a, b, c))
    out = np.empty(g2.shape, dtype=g2.dtype)

    def chunk_grad(lo, hi, tmp):
        t = np.multiply(x2[lo:hi], b_row, out=tmp[:hi - lo])
        t += c_row
        o = np.multiply(g2[lo:hi], a_row, out=out[lo:hi])
        o += t  # both in cache

    _bn_map(x2, ws, chunk_grad, _BN_SMALL_CHUNK_BYTES)
    return out
