"""Exact bookkeeping for a convolution layer: shapes, cost and receptive fields.

Nothing here runs a convolution; every number is counted from the layer's
hyper-parameters, with the same rules (and the same argument checks) as
:func:`cnnlib.conv2d`, so the two always agree.

Cost of one layer with input ``(N, C, H, W)``, ``F`` filters of size
``kh x kw``, output ``(N, F, Ho, Wo)``:

* **multiply-accumulates** (MACs): every output value is one dot product of
  length ``C * kh * kw``, so ``N * F * Ho * Wo * C * kh * kw``. Products with
  padded zeros count, because the computation performs them. FLOPs are
  usually quoted as ``2 * MACs`` (one multiply plus one add).
* **parameters**: ``F * C * kh * kw`` weights plus ``F`` biases; they do not
  depend on the input size, the stride or the padding.
* **activation memory**: the bytes of the output array,
  ``N * F * Ho * Wo * itemsize``.

Receptive fields (one spatial axis, the other works the same way): after a
stack of layers with kernel ``k_l``, stride ``s_l`` and leading padding
``p_l``, output index ``i`` depends on input indices
``start + i * jump ... start + i * jump + size - 1`` where, from
``size = 1, jump = 1, start = 0`` for the input itself,

.. math::

    size_l = size_{l-1} + (k_l - 1)\\, jump_{l-1}, \\quad
    jump_l = jump_{l-1}\\, s_l, \\quad
    start_l = start_{l-1} - p_l\\, jump_{l-1}.

Used by the chapters 04-stride-padding, 05-pooling, 06-full-network.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import nn
from .._validate import nonneg_int, output_hw, padding4, positive_int, positive_pair
from ..functional import conv_output_size

__all__ = [
    "ConvLayerCost",
    "LayerGeometry",
    "ReceptiveField",
    "activation_bytes",
    "conv_layer_cost",
    "conv_macs",
    "conv_output_shape",
    "conv_params",
    "receptive_fields",
    "window_coverage",
]

Padding = int | tuple[int, int] | str


# --------------------------------------------------------------------------
# argument checks


def _check_shape(shape, name: str, length: int, layout: str) -> tuple[int, ...]:
    if not isinstance(shape, (tuple, list)) or len(shape) != length:
        raise ValueError(f"{name} must be a {length}-tuple {layout}, got {shape!r}")
    for v in shape:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must hold ints {layout}, got {shape!r}")
        if v < 1:
            raise ValueError(f"{name} must hold positive sizes {layout}, got {shape!r}")
    return tuple(int(v) for v in shape)


# --------------------------------------------------------------------------
# cost of one convolution layer


def conv_output_shape(input_shape: Sequence[int], out_channels: int, kernel_size,
                      stride=1, padding: Padding = 0) -> tuple[int, int, int, int]:
    """Shape of :func:`cnnlib.conv2d`'s output, without computing it.

    Parameters
    ----------
    input_shape : (N, C, H, W) tuple of ints
    out_channels : int
        Number of filters ``F``.
    kernel_size : int or (kh, kw)
    stride : int or (sh, sw), >= 1
    padding : int, (ph, pw), "valid" or "same"
        As in :func:`cnnlib.conv2d` ("same" needs stride 1; an even kernel
        gets the extra row/column of zeros at the bottom/right).

    Returns
    -------
    (N, F, Ho, Wo) : tuple of ints
        ``Ho = floor((H + pad_top + pad_bottom - kh) / sh) + 1``, likewise ``Wo``.

    Raises
    ------
    TypeError, ValueError
        Non-int sizes, sizes < 1, negative padding, or a kernel larger than
        the padded input.

    Examples
    --------
    >>> conv_output_shape((1, 3, 30, 30), 96, 3, stride=3)
    (1, 96, 10, 10)
    """
    n, _, h, w = _check_shape(input_shape, "input_shape", 4, "(N, C, H, W)")
    f = positive_int(out_channels, "out_channels")
    kernel = positive_pair(kernel_size, "kernel_size")
    s = positive_pair(stride, "stride")
    pad = padding4(padding, kernel, s, allow_same=True)
    return (n, f) + output_hw((h, w), kernel, s, pad, x_name="input")


def conv_macs(input_shape: Sequence[int], out_channels: int, kernel_size,
              stride=1, padding: Padding = 0) -> int:
    """Multiply-accumulate operations of one convolution's forward pass.

    Every output value is a dot product of a ``C x kh x kw`` patch with a
    filter, so the count is ``N * F * Ho * Wo * C * kh * kw``. Products with
    padded zeros are included (the computation performs them); the bias adds
    (``N * F * Ho * Wo``) are not.

    Parameters
    ----------
    input_shape : (N, C, H, W)
    out_channels, kernel_size, stride, padding
        As in :func:`conv_output_shape`.

    Returns
    -------
    int

    Examples
    --------
    >>> conv_macs((1, 3, 30, 30), 96, 3, stride=3)  # 96 * 10 * 10 * 27
    259200
    """
    n, f, ho, wo = conv_output_shape(input_shape, out_channels, kernel_size, stride, padding)
    kh, kw = positive_pair(kernel_size, "kernel_size")
    return n * f * ho * wo * input_shape[1] * kh * kw


def conv_params(in_channels: int, out_channels: int, kernel_size, bias: bool = True) -> int:
    """Trainable parameters of a convolution layer: ``F * C * kh * kw (+ F)``.

    Independent of the input's height and width, of the stride and of the
    padding: the same filters are reused at every position.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (kh, kw)
    bias : bool, default True

    Returns
    -------
    int

    Examples
    --------
    >>> conv_params(3, 96, 3)  # 96 filters of 3*3*3 weights + 96 biases
    2688
    """
    c = positive_int(in_channels, "in_channels")
    f = positive_int(out_channels, "out_channels")
    kh, kw = positive_pair(kernel_size, "kernel_size")
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    return f * c * kh * kw + (f if bias else 0)


def activation_bytes(shape: Sequence[int], dtype=np.float32) -> int:
    """Bytes needed to store an array of ``shape`` and ``dtype``.

    Parameters
    ----------
    shape : tuple of ints
        E.g. a layer's output shape (N, F, Ho, Wo).
    dtype : numpy dtype, default float32 (4 bytes per value)

    Returns
    -------
    int

    Examples
    --------
    >>> activation_bytes((1, 96, 10, 10))  # 9,600 float32 values
    38400
    """
    if not isinstance(shape, (tuple, list)) or len(shape) == 0:
        raise ValueError(f"shape must be a non-empty tuple of ints, got {shape!r}")
    dims = _check_shape(shape, "shape", len(shape), "(one size per axis)")
    return int(np.prod(dims, dtype=np.int64)) * np.dtype(dtype).itemsize


@dataclass(frozen=True)
class ConvLayerCost:
    """Everything :func:`conv_layer_cost` counts about one convolution layer.

    Attributes
    ----------
    input_shape, output_shape : tuple of ints, (N, C, H, W) and (N, F, Ho, Wo)
    macs : int
        Multiply-accumulates of the forward pass.
    params : int
        Trainable weights and biases.
    input_bytes, output_bytes, param_bytes : int
        Memory of the input, the output (activations) and the parameters.
    """

    input_shape: tuple
    output_shape: tuple
    macs: int
    params: int
    input_bytes: int
    output_bytes: int
    param_bytes: int

    @property
    def flops(self) -> int:
        """``2 * macs``: each multiply-accumulate is a multiply and an add."""
        return 2 * self.macs


def conv_layer_cost(input_shape: Sequence[int], out_channels: int, kernel_size, stride=1,
                    padding: Padding = 0, bias: bool = True, dtype=np.float32) -> ConvLayerCost:
    """Shape, multiply-accumulates, parameters and memory of one convolution layer.

    Parameters
    ----------
    input_shape : (N, C, H, W)
    out_channels : int
    kernel_size : int or (kh, kw)
    stride : int or (sh, sw)
    padding : int, (ph, pw), "valid" or "same"
    bias : bool, default True
    dtype : numpy dtype, default float32
        Of the activations and parameters.

    Returns
    -------
    ConvLayerCost

    Examples
    --------
    >>> cost = conv_layer_cost((1, 3, 30, 30), 96, 3, stride=3)
    >>> cost.output_shape, cost.macs, cost.params, cost.output_bytes
    ((1, 96, 10, 10), 259200, 2688, 38400)
    """
    out_shape = conv_output_shape(input_shape, out_channels, kernel_size, stride, padding)
    params = conv_params(input_shape[1], out_channels, kernel_size, bias)
    return ConvLayerCost(
        input_shape=tuple(int(v) for v in input_shape),
        output_shape=out_shape,
        macs=conv_macs(input_shape, out_channels, kernel_size, stride, padding),
        params=params,
        input_bytes=activation_bytes(input_shape, dtype),
        output_bytes=activation_bytes(out_shape, dtype),
        param_bytes=params * np.dtype(dtype).itemsize,
    )


def window_coverage(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """How many window positions cover each input pixel along one axis.

    A zero marks a pixel the layer never looks at: the leftover pixels past
    the last full window (when ``size + 2 * padding - kernel_size`` is not a
    multiple of ``stride``), and the gaps between windows when
    ``stride > kernel_size``.

    Parameters
    ----------
    size : int
        Input length along the axis, >= 1.
    kernel_size, stride : int, >= 1
    padding : int, >= 0
        Zeros on each side (they are not part of the returned array).

    Returns
    -------
    ndarray of int64, shape (size,)

    Examples
    --------
    >>> window_coverage(8, 3, stride=2)  # windows 0-2, 2-4, 4-6: pixel 7 unseen
    array([1, 1, 2, 1, 2, 1, 1, 0])
    """
    size = positive_int(size, "size")
    k = positive_int(kernel_size, "kernel_size")
    s = positive_int(stride, "stride")
    padding = nonneg_int(padding, "padding")
    n_out = conv_output_size(size, k, s, padding)
    counts = np.zeros(size + 2 * padding, dtype=np.int64)
    for i in range(n_out):
        counts[i * s:i * s + k] += 1
    return counts[padding:padding + size]


# --------------------------------------------------------------------------
# receptive fields


@dataclass(frozen=True)
class LayerGeometry:
    """The three numbers of a layer that move windows around: kernel, stride, padding.

    One spatial axis; ``padding`` is the number of zeros *before* the first
    input pixel (the top or left padding).
    """

    kernel_size: int
    stride: int = 1
    padding: int = 0

    def __post_init__(self):
        positive_int(self.kernel_size, "kernel_size")
        positive_int(self.stride, "stride")
        nonneg_int(self.padding, "padding")


@dataclass(frozen=True)
class ReceptiveField:
    """Where one layer's outputs look in the input image, along one axis.

    Attributes
    ----------
    size : int
        Span, in input pixels, of the region one output value depends on
        (holes inside it are possible when a stride exceeds its kernel).
    jump : int
        Distance, in input pixels, between the regions of neighbouring
        outputs: the product of all strides so far.
    start : int
        Input index of the first pixel of output 0's region; negative when the
        region reaches into the padding.

    Notes
    -----
    The span is an upper bound on what an output can see: parts of it outside
    the image are padding, and near the far edge (bottom/right) part of it
    can stand for an earlier layer's padding and so contribute nothing, even
    where it overlaps real pixels that the earlier layer left over.
    """

    size: int
    jump: int
    start: int

    def span(self, index: int) -> tuple[int, int]:
        """First and last input index (inclusive) that output ``index`` depends on.

        Not clipped to the image: indices < 0 or >= the input size are padding.
        """
        first = self.start + index * self.jump
        return first, first + self.size - 1

    def center(self, index: int) -> float:
        """Input coordinate of the centre of output ``index``'s region."""
        first, last = self.span(index)
        return (first + last) / 2


def _geometry(layer, axis: int) -> LayerGeometry:
    """Turn a layer spec or a cnnlib.nn layer into one axis's LayerGeometry."""
    if isinstance(layer, LayerGeometry):
        return layer
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, (bool, np.bool_)):
        return LayerGeometry(int(layer))
    if isinstance(layer, (tuple, list)) and 1 <= len(layer) <= 3:
        return LayerGeometry(*layer)
    kernel = getattr(layer, "kernel_size", None)
    if kernel is None:
        # elementwise layers (ReLU, Tanh, ...) see one pixel and keep the grid
        if isinstance(layer, (nn.ReLU, nn.Tanh)):
            return LayerGeometry(1)
        raise TypeError(
            f"each layer must be a LayerGeometry, a (kernel_size, stride, padding) tuple, "
            f"or a cnnlib.nn Conv2d/MaxPool2d/AvgPool2d/ReLU/Tanh, got {layer!r}"
        )
    k = positive_pair(kernel, "kernel_size")
    stride = getattr(layer, "stride", 1)
    s = k if stride is None else positive_pair(stride, "stride")  # pools: stride None = kernel
    pad = padding4(getattr(layer, "padding", 0), k, s, allow_same=True)
    return LayerGeometry(k[axis], s[axis], pad[2 * axis])


def receptive_fields(layers: Iterable, axis: int = 0) -> list[ReceptiveField]:
    """Receptive field of every layer in a stack, along one spatial axis.

    Parameters
    ----------
    layers : iterable
        Each one a :class:`LayerGeometry`, a ``(kernel_size, stride, padding)``
        tuple (stride and padding optional), or a ``cnnlib.nn`` layer
        (``Conv2d``, ``MaxPool2d``, ``AvgPool2d``; ``ReLU``/``Tanh`` count as
        1x1 windows).
    axis : 0 or 1
        Height (0) or width (1), for layers with non-square kernels.

    Returns
    -------
    list of ReceptiveField
        One per layer: element ``l`` describes the output of layer ``l``
        (0-based) in input-pixel coordinates.

    Examples
    --------
    >>> [rf.size for rf in receptive_fields([(3,), (3,), (3,)])]  # three 3x3 convs
    [3, 5, 7]
    >>> receptive_fields([(3, 1, 1), (2, 2, 0)])[-1]
    ReceptiveField(size=4, jump=2, start=-1)
    """
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (height) or 1 (width), got {axis!r}")
    size, jump, start = 1, 1, 0
    fields = []
    for layer in layers:
        g = _geometry(layer, axis)
        size += (g.kernel_size - 1) * jump
        start -= g.padding * jump
        jump *= g.stride
        fields.append(ReceptiveField(size, jump, start))
    return fields
