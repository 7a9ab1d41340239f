"""Bring a pooled map back to its input's size, and measure what was lost on the way.

Pooling (or any downsampling) keeps one number per window. To see what the
other numbers carried, blow the small map back up with
:func:`upsample_nearest` (every value copied over the block it came from) and
compare with the original using :func:`mse` or :func:`psnr`.
:func:`crop_to_multiple` trims an image first so that the round trip returns
exactly its shape.

Example
-------
>>> import numpy as np, cnnlib
>>> x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
>>> up = upsample_nearest(cnnlib.max_pool2d(x, 2), 2)
>>> up[0, 0]
array([[ 5.,  5.,  7.,  7.],
       [ 5.,  5.,  7.,  7.],
       [13., 13., 15., 15.],
       [13., 13., 15., 15.]])
>>> round(mse(x, up), 3)
10.5

Used by the chapters 05-pooling.
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_pair

__all__ = ["crop_to_multiple", "mse", "psnr", "upsample_nearest"]


def _at_least_2d(x, name: str = "x") -> np.ndarray:
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"{name} must have at least 2 axes (..., H, W), got shape {x.shape}")
    return x


def upsample_nearest(x, factor) -> np.ndarray:
    """Nearest-neighbour upsampling: every pixel becomes a ``fh x fw`` block of copies.

    The inverse of nothing: it restores the *shape* a ``factor x factor``
    pooling took away, not the values. For integer factors it equals
    ``torch.nn.functional.interpolate(x, scale_factor=factor, mode="nearest")``.

    Parameters
    ----------
    x : array_like, shape (..., H, W)
        E.g. a pooled batch (N, C, H, W) or a single map (H, W).
    factor : int or (fh, fw) pair of ints, >= 1

    Returns
    -------
    ndarray, shape (..., H * fh, W * fw), dtype of ``x``
        ``out[..., i, j] == x[..., i // fh, j // fw]``.
    """
    x = _at_least_2d(x)
    fh, fw = positive_pair(factor, "factor")
    return np.repeat(np.repeat(x, fh, axis=-2), fw, axis=-1)


def crop_to_multiple(x, factor) -> np.ndarray:
    """The top-left part of ``x`` whose height and width are multiples of ``factor``.

    Pooling with ``kernel_size == stride == factor`` ignores the last
    ``H % fh`` rows and ``W % fw`` columns; cropping them first makes
    ``upsample_nearest(pool(x), factor)`` the same shape as ``x``.

    Parameters
    ----------
    x : array_like, shape (..., H, W)
    factor : int or (fh, fw) pair of ints, >= 1, at most (H, W)

    Returns
    -------
    ndarray, shape (..., H - H % fh, W - W % fw)
        A view of ``x``.
    """
    x = _at_least_2d(x)
    fh, fw = positive_pair(factor, "factor")
    h, w = x.shape[-2:]
    if fh > h or fw > w:
        raise ValueError(f"factor {(fh, fw)} is larger than the map's (H, W) = {(h, w)}")
    return x[..., : h - h % fh, : w - w % fw]


def _same_shape(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"the two arrays must have one shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("the arrays are empty")
    return a, b


def mse(reference, approximation) -> float:
    """Mean squared error ``mean((reference - approximation) ** 2)``, computed in float64.

    Parameters
    ----------
    reference, approximation : array_like of one shape

    Returns
    -------
    float
    """
    a, b = _same_shape(reference, approximation)
    return float(np.mean((a - b) ** 2))


def psnr(reference, approximation, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio in decibels: ``10 * log10(peak**2 / mse)``.

    Higher is better; each halving of the root-mean-square error adds about
    6 dB. Identical arrays give ``inf``.

    Parameters
    ----------
    reference, approximation : array_like of one shape
    peak : float
        The largest value the signal can take: 1.0 for images in [0, 1], 255
        for 8-bit images; for a feature map, its maximum.

    Returns
    -------
    float
    """
    if not peak > 0:
        raise ValueError(f"peak must be > 0, got {peak!r}")
    error = mse(reference, approximation)
    if error == 0.0:
        return float("inf")
    return float(10.0 * np.log10(peak**2 / error))
