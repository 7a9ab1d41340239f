"""Layout helpers: channels-last <-> channels-first, adding a batch axis, describing strides.

Image files, matplotlib and most image libraries store a colour picture
*channels-last*: an array of shape (H, W, C), height x width x channels.
cnnlib (like PyTorch) computes on *channels-first* batches, (N, C, H, W).
The functions here move between the two without copying any pixels: they
return NumPy views that read the same memory through different strides.

Every function checks the number of axes it is given, because a wrongly laid
out array usually has a perfectly valid shape and would otherwise fail much
later, far from the mistake. None of them guesses a layout from the sizes (a
(3, 3, 3) array is ambiguous): the caller says which layout they hold by the
function they call.

Example
-------
>>> import numpy as np
>>> from cnnlib.course.tensors import to_channels_first, as_batch
>>> img = np.zeros((600, 512, 3), dtype=np.float32)      # H, W, C
>>> x = to_channels_first(img)                           # C, H, W: a view
>>> x.shape, np.shares_memory(x, img)
((3, 600, 512), True)
>>> as_batch(x).shape                                    # N, C, H, W
(1, 3, 600, 512)

Used by the chapters 01-tensors.
"""

from __future__ import annotations

import numpy as np

__all__ = ["to_channels_first", "to_channels_last", "as_batch", "describe_layout"]

# axis permutations, indexed by ndim
_TO_FIRST = {3: (2, 0, 1), 4: (0, 3, 1, 2)}     # HWC -> CHW, NHWC -> NCHW
_TO_LAST = {3: (1, 2, 0), 4: (0, 2, 3, 1)}      # CHW -> HWC, NCHW -> NHWC


def _as_array(x, name: str) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"{name} must be a numeric array, got a ragged or object sequence")
    return arr


def to_channels_first(x) -> np.ndarray:
    """Move the channel axis from last to first, as a view (no copy).

    Parameters
    ----------
    x : array_like, shape (H, W, C) or (N, H, W, C)
        One channels-last image, or a batch of them.

    Returns
    -------
    ndarray, shape (C, H, W) or (N, C, H, W)
        A view of ``x`` when ``x`` is an ndarray: ``np.shares_memory(out, x)``
        is True, and writing into one changes the other. The result is not
        C-contiguous (unless C == 1); call ``np.ascontiguousarray`` on it if a
        contiguous copy is needed.

    Raises
    ------
    ValueError
        If ``x`` is not 3-D or 4-D.
    """
    x = _as_array(x, "x")
    if x.ndim not in _TO_FIRST:
        raise ValueError(
            f"x must be one image (H, W, C) or a batch (N, H, W, C), got shape "
            f"{x.shape} ({x.ndim}-D); a 2-D grayscale image has no channel axis to move"
        )
    return x.transpose(_TO_FIRST[x.ndim])


def to_channels_last(x) -> np.ndarray:
    """Move the channel axis from first to last, as a view (no copy).

    The inverse of :func:`to_channels_first`: ``to_channels_last(to_channels_first(img))``
    has the shape, the values and the strides of ``img``.

    Parameters
    ----------
    x : array_like, shape (C, H, W) or (N, C, H, W)
        One channels-first image, or a batch of them.

    Returns
    -------
    ndarray, shape (H, W, C) or (N, H, W, C)
        A view of ``x`` (see :func:`to_channels_first`). This is the layout
        ``matplotlib.pyplot.imshow`` expects for a colour image.

    Raises
    ------
    ValueError
        If ``x`` is not 3-D or 4-D.
    """
    x = _as_array(x, "x")
    if x.ndim not in _TO_LAST:
        raise ValueError(
            f"x must be one image (C, H, W) or a batch (N, C, H, W), got shape "
            f"{x.shape} ({x.ndim}-D)"
        )
    return x.transpose(_TO_LAST[x.ndim])


def as_batch(x) -> np.ndarray:
    """Return ``x`` as an (N, C, H, W) batch, adding leading axes of size 1 (a view).

    Parameters
    ----------
    x : array_like, shape (H, W), (C, H, W) or (N, C, H, W)
        A grayscale image, one channels-first image, or a batch. A 2-D input
        is taken as one single-channel image.

    Returns
    -------
    ndarray, shape (1, 1, H, W), (1, C, H, W) or (N, C, H, W)
        A view of ``x``; a 4-D input is returned as it is. Adding an axis of
        size 1 changes no byte in memory, only the shape and strides.

    Raises
    ------
    ValueError
        If ``x`` has fewer than 2 or more than 4 axes.

    Notes
    -----
    A channels-last image (H, W, C) is also 3-D, and ``as_batch`` cannot tell
    it from (C, H, W): convert it with :func:`to_channels_first` first.
    """
    x = _as_array(x, "x")
    if not 2 <= x.ndim <= 4:
        raise ValueError(
            f"x must be an image (H, W), (C, H, W) or a batch (N, C, H, W), got shape "
            f"{x.shape} ({x.ndim}-D)"
        )
    if x.ndim == 4:
        return x
    # indexing with None always gives a view, even of a non-contiguous array
    return x[(np.newaxis,) * (4 - x.ndim)]


def describe_layout(x, name: str = "x") -> str:
    """Two lines that say how an array sits in memory.

    Parameters
    ----------
    x : ndarray
        Any array.
    name : str
        How to call it in the line.

    Returns
    -------
    str
        Two lines: shape, dtype and strides in bytes; then whether the array
        is C-contiguous, and whether it owns its memory or is a view of
        another array's (``x.base``). For example::

            img: shape (600, 512, 3) float32, strides (6144, 12, 4)
                 C-contiguous, owns its data

        Contains no memory address, so it is the same on every run.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(x).__name__}")
    contiguity = "C-contiguous" if x.flags.c_contiguous else "not contiguous"
    if not x.flags.c_contiguous and x.flags.f_contiguous:
        contiguity = "F-contiguous (not C)"
    owner = "owns its data" if x.base is None else "a view of another array"
    indent = " " * (len(name) + 2)
    return (f"{name}: shape {x.shape} {x.dtype}, strides {x.strides}\n"
            f"{indent}{contiguity}, {owner}")
