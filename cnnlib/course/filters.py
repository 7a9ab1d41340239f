"""Classic hand-designed 3x3 filters, and a helper to turn them into conv2d weights.

A convolution layer learns its filters; these are the kind of filters the
first layer of an image network typically ends up resembling, written down by
hand so their behaviour can be studied before any training. Every kernel is a
read-only float64 array of shape (3, 3), used as cross-correlation (the way
:func:`cnnlib.conv2d` applies it, no flip): ``response = sum(patch * kernel)``.

Image coordinates: row 0 is the top of the image, so the diagonal from
top-left to bottom-right is ``\\`` and the 45-degree line rising to the right
is ``/``.

Two families, with different sums of weights:

* **detectors** (lines and edges) have weights summing to 0, so a patch of
  constant brightness scores exactly 0 and only structure is reported;
* **smoothers and sharpeners** (blurs, sharpen) have weights summing to 1,
  so a constant patch keeps its brightness.

Example
-------
>>> import numpy as np, cnnlib
>>> from cnnlib.course.filters import stack_filters, HORIZONTAL_LINE, VERTICAL_LINE
>>> w = stack_filters([HORIZONTAL_LINE, VERTICAL_LINE], in_channels=3)
>>> w.shape
(2, 3, 3, 3)
>>> x = np.zeros((1, 3, 5, 5), dtype=np.float32); x[:, :, 2, :] = 1.0  # a bright row
>>> cnnlib.conv2d(x, w)[0, :, 1, 1].round(4)  # the horizontal detector fires, the vertical not
array([6., 0.], dtype=float32)

Used by the chapters 03-filters, 04-stride-padding, 05-pooling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import numpy as np

from .._validate import positive_int

__all__ = [
    "HORIZONTAL_LINE",
    "VERTICAL_LINE",
    "DIAGONAL_LINE",
    "ANTI_DIAGONAL_LINE",
    "HORIZONTAL_EDGE",
    "VERTICAL_EDGE",
    "BOX_BLUR",
    "GAUSSIAN_BLUR",
    "SHARPEN",
    "FILTERS",
    "get_filter",
    "stack_filters",
    "channelwise",
]


def _frozen(rows, scale: float = 1.0) -> np.ndarray:
    kernel = np.array(rows, dtype=np.float64) * scale
    kernel.setflags(write=False)  # module constants: a caller's edit must not leak
    return kernel


HORIZONTAL_LINE = _frozen([[-1, -1, -1],
                           [2, 2, 2],
                           [-1, -1, -1]])
"""Bright horizontal line, one pixel thick, on a darker background.

Weights sum to 0. A centred line of brightness 1 scores 6; a flat patch, and
a vertical or diagonal line through the centre, score 0; a line one row off
centre scores -3. A dark line on a bright background scores negatively:
negate the kernel to look for one.
"""

VERTICAL_LINE = _frozen([[-1, 2, -1],
                         [-1, 2, -1],
                         [-1, 2, -1]])
"""Bright vertical line, one pixel thick: :data:`HORIZONTAL_LINE` transposed."""

DIAGONAL_LINE = _frozen([[2, -1, -1],
                         [-1, 2, -1],
                         [-1, -1, 2]])
"""Bright line along the main diagonal ``\\`` (top-left to bottom-right)."""

ANTI_DIAGONAL_LINE = _frozen([[-1, -1, 2],
                              [-1, 2, -1],
                              [2, -1, -1]])
"""Bright line along the anti-diagonal ``/``: the 45-degree line rising to the right."""

HORIZONTAL_EDGE = _frozen([[1, 2, 1],
                           [0, 0, 0],
                           [-1, -2, -1]])
"""Sobel operator for horizontal edges: positive where the top is brighter than the bottom.

Weights sum to 0. It is the vertical brightness difference (top row minus
bottom row) smoothed across the row with weights 1, 2, 1. Equal to minus
``scipy.ndimage.sobel(image, axis=0)`` on the image's interior.
"""

VERTICAL_EDGE = _frozen([[1, 0, -1],
                         [2, 0, -2],
                         [1, 0, -1]])
"""Sobel operator for vertical edges: positive where the left is brighter than the right.

:data:`HORIZONTAL_EDGE` transposed; minus ``scipy.ndimage.sobel(image, axis=1)``.
"""

BOX_BLUR = _frozen(np.ones((3, 3)), scale=1 / 9)
"""Mean of the 3x3 neighbourhood: every weight 1/9, sum 1."""

GAUSSIAN_BLUR = _frozen(np.outer([1, 2, 1], [1, 2, 1]), scale=1 / 16)
"""3x3 binomial approximation of a Gaussian blur: ``outer([1, 2, 1], [1, 2, 1]) / 16``.

Weights sum to 1; the centre counts most. Its variance is 1/2 pixel squared
along each axis (that of the distribution 1/4, 1/2, 1/4 on -1, 0, 1).
"""

SHARPEN = _frozen([[0, -1, 0],
                   [-1, 5, -1],
                   [0, -1, 0]])
"""Sharpen: the pixel plus 4x (pixel minus the mean of its four neighbours).

Weights sum to 1, so flat regions keep their value while differences from the
surroundings (edges, texture) are amplified. Outputs can leave [0, 1].
"""

FILTERS: dict[str, np.ndarray] = {
    "horizontal_line": HORIZONTAL_LINE,
    "vertical_line": VERTICAL_LINE,
    "diagonal_line": DIAGONAL_LINE,
    "anti_diagonal_line": ANTI_DIAGONAL_LINE,
    "horizontal_edge": HORIZONTAL_EDGE,
    "vertical_edge": VERTICAL_EDGE,
    "box_blur": BOX_BLUR,
    "gaussian_blur": GAUSSIAN_BLUR,
    "sharpen": SHARPEN,
}
"""Every named kernel of this module, by name (the names :func:`get_filter` accepts)."""


def get_filter(name: str) -> np.ndarray:
    """A writable float64 copy of the named kernel, shape (3, 3).

    Parameters
    ----------
    name : str
        One of the keys of :data:`FILTERS`, e.g. ``"vertical_edge"``.

    Raises
    ------
    KeyError
        For an unknown name; the message lists the known ones.
    """
    try:
        return FILTERS[name].copy()
    except (KeyError, TypeError):
        raise KeyError(f"unknown filter {name!r}; known filters: {', '.join(FILTERS)}") from None


KernelLike = Union[str, np.ndarray, Sequence[Sequence[float]]]


def stack_filters(kernels: Sequence[KernelLike], in_channels: int = 3, *,
                  average_channels: bool = True, dtype=np.float32) -> np.ndarray:
    """Build a conv2d weight from 2-D kernels, each copied across all input channels.

    A convolution filter always spans every input channel: on an RGB image a
    3x3 filter holds 3 x 3 x 3 = 27 weights. This helper gives each 2-D kernel
    the same slice in every channel, which makes the filter look at the
    channels' mean (with ``average_channels=True``) or their sum.

    Parameters
    ----------
    kernels : sequence of 2-D arrays or filter names
        F kernels of one common shape (kh, kw); need not be square. Strings
        are looked up with :func:`get_filter`.
    in_channels : int
        C, the number of channels of the input the weight will be applied to.
    average_channels : bool
        If True (default) each channel slice is ``kernel / in_channels``, so
        the filter's response to an image equals the kernel's response to the
        image's channel mean (a greyscale version); if False each slice is
        the kernel itself (the response to the channel sum).
    dtype
        Of the result; float32 by default, like the course's images.

    Returns
    -------
    ndarray, shape (F, in_channels, kh, kw)
        Ready for ``cnnlib.conv2d(x, weight)`` with ``x`` of shape
        (N, in_channels, H, W).

    Raises
    ------
    ValueError
        No kernels, a kernel that is not 2-D or is empty, kernels of
        different shapes, or ``in_channels < 1``.
    TypeError
        ``in_channels`` not an int, or a kernel that is not numeric.
    KeyError
        An unknown filter name.
    """
    in_channels = positive_int(in_channels, "in_channels")
    if isinstance(kernels, (str, np.ndarray)) and np.ndim(kernels) != 3:
        # a single kernel passed without the list around it: easy slip, clear message
        raise ValueError("kernels must be a sequence of 2-D kernels, e.g. [HORIZONTAL_LINE]; "
                         f"got a single {'name' if isinstance(kernels, str) else 'array'}")
    arrays = []
    for index, kernel in enumerate(kernels):
        k = get_filter(kernel) if isinstance(kernel, str) else np.asarray(kernel)
        if k.dtype.kind not in "biuf":
            raise TypeError(f"kernels[{index}] must be numeric, got dtype {k.dtype}")
        if k.ndim != 2 or k.size == 0:
            raise ValueError(f"kernels[{index}] must be a non-empty 2-D array (kh, kw), got shape {k.shape}")
        if arrays and k.shape != arrays[0].shape:
            raise ValueError(f"all kernels must have one shape: kernels[0] is {arrays[0].shape}, "
                             f"kernels[{index}] is {k.shape}")
        arrays.append(k.astype(np.float64))
    if not arrays:
        raise ValueError("kernels is empty: give at least one 2-D kernel")
    bank = np.stack(arrays)[:, None, :, :]  # (F, 1, kh, kw)
    if average_channels:
        bank = bank / in_channels
    return np.repeat(bank, in_channels, axis=1).astype(dtype)


def channelwise(kernel: KernelLike, in_channels: int = 3, *, dtype=np.float32) -> np.ndarray:
    """A conv2d weight that applies one 2-D kernel to each channel separately.

    Filter ``c`` has the kernel in its channel-``c`` slice and zeros in all
    the others, so output channel ``c`` is the kernel applied to input
    channel ``c`` alone: e.g. blurring the red, green and blue planes of a
    photo, keeping it a colour photo.

    Parameters
    ----------
    kernel : 2-D array or filter name
        Shape (kh, kw); a string is looked up with :func:`get_filter`.
    in_channels : int
        C: the input's channels, and the output's.
    dtype
        Of the result (float32 by default).

    Returns
    -------
    ndarray, shape (in_channels, in_channels, kh, kw)
        Zero except ``weight[c, c] = kernel``.
    """
    single = stack_filters([kernel], in_channels=1, dtype=np.float64)[0, 0]
    in_channels = positive_int(in_channels, "in_channels")
    weight = np.zeros((in_channels, in_channels) + single.shape, dtype=dtype)
    for c in range(in_channels):
        weight[c, c] = single
    return weight
