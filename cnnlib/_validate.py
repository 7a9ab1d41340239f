"""Argument validation: one vocabulary for every check in cnnlib.

Every public function and constructor checks its arguments with these
helpers, so the same mistake gets the same message everywhere and the fast,
reference and teaching versions of an op reject exactly the same inputs.
Each message names the argument, what was seen and what was expected: its
reader is usually a learner who passed the wrong thing.

The vocabulary:

==========================  ===================================================
``integer(v, name)``        an int (not a bool), any value
``positive_int(v, name)``   an int >= 1 (sizes, channel counts, strides)
``nonneg_int(v, name)``     an int >= 0 (padding, counts that may be zero)
``int_pair(v, name)``       an int or an (h, w) pair of ints
``positive_pair(v, name)``  the same, each >= 1 (kernel sizes, strides)
``nonneg_pair(v, name)``    the same, each >= 0 (padding)
``probability(v, name)``    a number in [0, 1] (or [0, 1) with ``open_right``)
``positive_float(v, name)`` a number > 0 (learning rates, eps)
``nonneg_float(v, name)``   a number >= 0 (momentum, weight decay)
``float_array(a, name)``    a floating-point ndarray
``check_ndim(...)``         an array of the given number of axes
``check_grad_out(...)``     a gradient of the forward output's shape
``check_bias(...)``         None, or one float per output channel
``padding4(...)``           int, pair, "valid" or "same" -> (top, bottom, left, right)
``check_conv_args(...)``    everything a 2-D convolution needs
``check_pool_args(...)``    everything a 2-D pooling needs
``padding_1d(...)``         int, "valid" or "same" -> (left, right)
``check_conv1d_args(...)``  everything a 1-D convolution needs
==========================  ===================================================

and ``check_conv_transpose_args(...)``, everything a transposed 2-D
convolution needs.
"""

from __future__ import annotations

from numbers import Real
from typing import Union

import numpy as np

IntPair = Union[int, tuple[int, int]]
Padding = Union[int, tuple[int, int], str]

# (top, bottom, left, right): "same" with an even kernel pads one more on the
# bottom/right, as PyTorch does, so padding is stored as four numbers.
Pad4 = tuple[int, int, int, int]


def _is_int(value) -> bool:
    # bool is an int subclass, but stride=True is always a mistake
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def integer(value, name: str) -> int:
    """``value`` as a Python int; ``TypeError`` for anything else (bools included)."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, got {value!r}")
    return int(value)


def positive_int(value, name: str) -> int:
    """``value`` as an int >= 1."""
    value = integer(value, name)
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


def nonneg_int(value, name: str) -> int:
    """``value`` as an int >= 0."""
    value = integer(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def int_pair(value, name: str) -> tuple[int, int]:
    """An int ``k`` as ``(k, k)``, or an ``(h, w)`` pair of ints as a tuple."""
    if _is_int(value):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        return int(value[0]), int(value[1])
    raise TypeError(f"{name} must be an int or an (h, w) pair of ints, got {value!r}")


def positive_pair(value, name: str) -> tuple[int, int]:
    """:func:`int_pair` with both entries >= 1."""
    h, w = int_pair(value, name)
    if h < 1 or w < 1:
        raise ValueError(f"{name} must be >= 1, got {value!r}")
    return h, w


def nonneg_pair(value, name: str) -> tuple[int, int]:
    """:func:`int_pair` with both entries >= 0."""
    h, w = int_pair(value, name)
    if h < 0 or w < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return h, w


def _real(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def positive_float(value, name: str) -> float:
    """``value`` as a finite float > 0."""
    value = _real(value, name)
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def nonneg_float(value, name: str) -> float:
    """``value`` as a finite float >= 0."""
    value = _real(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def probability(value, name: str, *, open_right: bool = False) -> float:
    """``value`` as a float in [0, 1], or [0, 1) when ``open_right``."""
    value = _real(value, name)
    if not (0 <= value < 1 if open_right else 0 <= value <= 1):
        raise ValueError(f"{name} must be in [0, {'1)' if open_right else '1]'}, got {value}")
    return value


def float_array(a, name: str) -> np.ndarray:
    """``a`` as a floating-point ndarray; ``TypeError`` otherwise."""
    arr = np.asarray(a)
    if arr.dtype.kind != "f":
        hint = ""
        if arr.dtype.kind in "biu":
            hint = f" (convert it first, e.g. {name}.astype(np.float32))"
        raise TypeError(
            f"{name} must be a floating-point array (float32 or float64), "
            f"got dtype {arr.dtype}{hint}"
        )
    return arr


def check_ndim(x: np.ndarray, ndim: int, name: str, layout: str) -> None:
    """``ValueError`` unless ``x`` has ``ndim`` axes (``layout`` names them)."""
    if x.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D with layout {layout}, got shape {x.shape} "
            f"({x.ndim}-D)"
        )


def check_grad_out(grad_out, expected: tuple[int, ...], dtype) -> np.ndarray:
    """``grad_out`` as a float array of the forward output's shape, cast to ``dtype``.

    A wrong shape would often broadcast silently into a wrong gradient, so
    every backward pass checks it.
    """
    grad_out = float_array(grad_out, "grad_out")
    if grad_out.shape != tuple(expected):
        raise ValueError(
            f"grad_out must have the forward output's shape {tuple(expected)}, "
            f"got {grad_out.shape}"
        )
    return grad_out.astype(dtype, copy=False)


def padding4(padding, kernel: tuple[int, int], stride: tuple[int, int],
             allow_same: bool) -> Pad4:
    """Turn ``padding`` (int, pair, "valid" or "same") into (top, bottom, left, right)."""
    if isinstance(padding, str):
        if not allow_same:
            raise TypeError(f"padding must be an int or an (h, w) pair of ints, got {padding!r}")
        if padding == "valid":
            return 0, 0, 0, 0
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"padding='same' needs stride 1 (the output could not keep the "
                    f"input size otherwise), got stride {stride}"
                )
            kh, kw = kernel
            # total padding k - 1; the odd one out goes bottom/right (PyTorch's rule)
            return (kh - 1) // 2, kh // 2, (kw - 1) // 2, kw // 2
        raise ValueError(f"padding must be an int, an (h, w) pair, 'valid' or 'same', got {padding!r}")
    ph, pw = nonneg_pair(padding, "padding")
    return ph, ph, pw, pw


def output_hw(in_hw: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
              pad: Pad4, x_name: str = "x") -> tuple[int, int]:
    """Output height and width; raises if the kernel does not fit the padded input."""
    # functional imports this module, so the rule is fetched at call time
    from .functional import conv_output_size

    hp, wp = in_hw[0] + pad[0] + pad[1], in_hw[1] + pad[2] + pad[3]
    if kernel[0] > hp or kernel[1] > wp:
        raise ValueError(
            f"kernel {kernel[0]}x{kernel[1]} is larger than the padded input "
            f"{hp}x{wp} ({x_name} is {in_hw[0]}x{in_hw[1]}, padding {pad[0]}+{pad[1]} "
            f"rows, {pad[2]}+{pad[3]} columns)"
        )
    return conv_output_size(hp, kernel[0], stride[0]), conv_output_size(wp, kernel[1], stride[1])


def check_bias(bias, out_channels: int, dtype):
    """``None``, or ``bias`` as a float array of shape (out_channels,) cast to ``dtype``."""
    if bias is None:
        return None
    bias = float_array(bias, "bias")
    if bias.shape != (out_channels,):
        raise ValueError(
            f"bias must have shape ({out_channels},), one value per output "
            f"channel, got shape {bias.shape}"
        )
    return bias.astype(dtype, copy=False)


def check_conv_args(x, weight, bias, stride, padding, groups: int = 1):
    """Validate conv2d arguments; return (x, weight, bias, stride, pad4, out_hw).

    ``weight`` and ``bias`` are cast to ``x.dtype`` so the output dtype follows
    the input. With ``groups`` > 1 the weight holds ``in_channels / groups``
    input channels per filter, as in PyTorch.
    """
    x = float_array(x, "x")
    weight = float_array(weight, "weight")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    check_ndim(weight, 4, "weight", "(out_channels, in_channels, kh, kw)")
    groups = positive_int(groups, "groups")
    if groups == 1:
        if weight.shape[1] != x.shape[1]:
            raise ValueError(
                f"channel mismatch: x has {x.shape[1]} channels (shape {x.shape}) but "
                f"weight expects in_channels={weight.shape[1]} (shape {weight.shape})"
            )
    else:
        if x.shape[1] % groups or weight.shape[0] % groups:
            raise ValueError(
                f"groups={groups} must divide both the input channels ({x.shape[1]}) and "
                f"the output channels ({weight.shape[0]})"
            )
        if weight.shape[1] != x.shape[1] // groups:
            raise ValueError(
                f"channel mismatch: with groups={groups}, x's {x.shape[1]} channels give "
                f"{x.shape[1] // groups} per group, but weight has {weight.shape[1]} "
                f"(shape {weight.shape})"
            )
    bias = check_bias(bias, weight.shape[0], x.dtype)
    weight = weight.astype(x.dtype, copy=False)
    s = positive_pair(stride, "stride")
    kernel = (weight.shape[2], weight.shape[3])
    if kernel[0] < 1 or kernel[1] < 1:
        raise ValueError(f"weight must have a kernel of at least 1x1, got shape {weight.shape}")
    pad = padding4(padding, kernel, s, allow_same=True)
    out_hw = output_hw(x.shape[2:], kernel, s, pad)
    return x, weight, bias, s, pad, out_hw


def check_pool_args(x, kernel_size, stride, padding):
    """Validate pooling arguments; return (x, kernel, stride, pad4, out_hw)."""
    x = float_array(x, "x")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    k = positive_pair(kernel_size, "kernel_size")
    s = k if stride is None else positive_pair(stride, "stride")
    pad = padding4(padding, k, s, allow_same=False)
    # PyTorch's rule: a window must always hold at least one real value.
    if 2 * pad[0] > k[0] or 2 * pad[2] > k[1]:
        raise ValueError(
            f"padding must be at most half the kernel size, got padding "
            f"{(pad[0], pad[2])} for kernel_size {k}"
        )
    out_hw = output_hw(x.shape[2:], k, s, pad)
    return x, k, s, pad, out_hw


def padding_1d(padding, kernel: int, stride: int) -> tuple[int, int]:
    """Turn 1-D ``padding`` (int, "valid" or "same") into (left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding == "same":
            if stride != 1:
                raise ValueError(f"padding='same' needs stride 1 (the output could not keep the "
                                 f"input length otherwise), got stride {stride}")
            # total k - 1; the odd one out goes right (PyTorch's rule)
            return (kernel - 1) // 2, kernel // 2
        raise ValueError(f"padding must be an int, 'valid' or 'same', got {padding!r}")
    p = nonneg_int(padding, "padding")
    return p, p


def check_conv1d_args(x, weight, bias, stride, padding):
    """Validate conv1d arguments; return (x, weight, bias, stride, (left, right), out_length).

    ``weight`` and ``bias`` are cast to ``x.dtype``, as in :func:`check_conv_args`.
    """
    x = float_array(x, "x")
    weight = float_array(weight, "weight")
    check_ndim(x, 3, "x", "(N, C, L)")
    check_ndim(weight, 3, "weight", "(out_channels, in_channels, k)")
    if weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"channel mismatch: x has {x.shape[1]} channels (shape {x.shape}) but "
            f"weight expects in_channels={weight.shape[1]} (shape {weight.shape})"
        )
    bias = check_bias(bias, weight.shape[0], x.dtype)
    weight = weight.astype(x.dtype, copy=False)
    s = positive_int(stride, "stride")
    k, length = weight.shape[2], x.shape[2]
    if k < 1:
        raise ValueError(f"weight must have a kernel of at least 1, got shape {weight.shape}")
    left, right = padding_1d(padding, k, s)
    if k > length + left + right:
        raise ValueError(
            f"kernel {k} is longer than the padded input {length + left + right} "
            f"(x has length {length}, padding {left}+{right})"
        )
    from .functional import conv_output_size  # the one place the rule lives

    return x, weight, bias, s, (left, right), conv_output_size(length + left + right, k, s)


def check_conv_transpose_args(x, weight, bias, stride, padding):
    """Validate conv_transpose2d arguments; return (x, weight, bias, stride, pad, out_hw).

    ``weight`` is (in_channels, out_channels, kh, kw) as in PyTorch, the
    layout of the convolution this one transposes; ``padding`` (an int or a
    pair) is removed from the border of the output, so the output is
    ``(H - 1) * stride - 2 * padding + kh`` high (and likewise wide).
    """
    x = float_array(x, "x")
    weight = float_array(weight, "weight")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    check_ndim(weight, 4, "weight", "(in_channels, out_channels, kh, kw)")
    if weight.shape[0] != x.shape[1]:
        raise ValueError(
            f"channel mismatch: x has {x.shape[1]} channels (shape {x.shape}) but "
            f"weight expects in_channels={weight.shape[0]} (weight is (in_channels, "
            f"out_channels, kh, kw) = {weight.shape})"
        )
    bias = check_bias(bias, weight.shape[1], x.dtype)
    weight = weight.astype(x.dtype, copy=False)
    s = positive_pair(stride, "stride")
    ph, pw = nonneg_pair(padding, "padding")
    kh, kw = weight.shape[2:]
    if kh < 1 or kw < 1:
        raise ValueError(f"weight must have a kernel of at least 1x1, got shape {weight.shape}")
    out_hw = ((x.shape[2] - 1) * s[0] - 2 * ph + kh, (x.shape[3] - 1) * s[1] - 2 * pw + kw)
    if out_hw[0] < 1 or out_hw[1] < 1:
        raise ValueError(
            f"padding {(ph, pw)} removes the whole output: (H - 1) * stride - 2 * padding + "
            f"kernel gives {out_hw[0]}x{out_hw[1]} for x of {x.shape[2]}x{x.shape[3]}"
        )
    return x, weight, bias, s, (ph, ph, pw, pw), out_hw
