"""Argument checking shared by the reference and the fast implementations.

Both implementations must reject exactly the same inputs with exactly the same
messages, so the checks live here once. Every message names the argument, what
was seen and what was expected, because the reader of the message is usually a
learner who passed the wrong thing.
"""

from __future__ import annotations

from typing import Union

import numpy as np

IntPair = Union[int, tuple[int, int]]
Padding = Union[int, tuple[int, int], str]

# (top, bottom, left, right): "same" with an even kernel pads one more on the
# bottom/right, as PyTorch does, so padding is stored as four numbers.
Pad4 = tuple[int, int, int, int]


def as_float_array(a, name: str) -> np.ndarray:
    """Return ``a`` as a floating-point ndarray or raise ``TypeError``."""
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


def pair(value, name: str) -> tuple[int, int]:
    """Normalise an int or an ``(h, w)`` pair of ints to a tuple."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int or an (h, w) pair of ints, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in value
    ):
        return int(value[0]), int(value[1])
    raise TypeError(f"{name} must be an int or an (h, w) pair of ints, got {value!r}")


def check_ndim(x: np.ndarray, ndim: int, name: str, layout: str) -> None:
    if x.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D with layout {layout}, got shape {x.shape} "
            f"({x.ndim}-D)"
        )


def stride_pair(stride, name: str = "stride") -> tuple[int, int]:
    sh, sw = pair(stride, name)
    if sh < 1 or sw < 1:
        raise ValueError(f"{name} must be >= 1, got {stride!r}")
    return sh, sw


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
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must be >= 0, got {padding!r}")
    return ph, ph, pw, pw


def output_hw(in_hw: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
              pad: Pad4, x_name: str = "x") -> tuple[int, int]:
    """Output height and width; raises if the kernel does not fit the padded input."""
    ph_total, pw_total = pad[0] + pad[1], pad[2] + pad[3]
    hp, wp = in_hw[0] + ph_total, in_hw[1] + pw_total
    if kernel[0] > hp or kernel[1] > wp:
        raise ValueError(
            f"kernel {kernel[0]}x{kernel[1]} is larger than the padded input "
            f"{hp}x{wp} ({x_name} is {in_hw[0]}x{in_hw[1]}, padding {pad[0]}+{pad[1]} "
            f"rows, {pad[2]}+{pad[3]} columns)"
        )
    return (hp - kernel[0]) // stride[0] + 1, (wp - kernel[1]) // stride[1] + 1


def check_conv_args(x, weight, bias, stride, padding):
    """Validate conv2d arguments; return (x, weight, bias, stride, pad4, out_hw).

    ``weight`` and ``bias`` are cast to ``x.dtype`` so the output dtype follows
    the input.
    """
    x = as_float_array(x, "x")
    weight = as_float_array(weight, "weight")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    check_ndim(weight, 4, "weight", "(out_channels, in_channels, kh, kw)")
    if weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"channel mismatch: x has {x.shape[1]} channels (shape {x.shape}) but "
            f"weight expects in_channels={weight.shape[1]} (shape {weight.shape})"
        )
    if bias is not None:
        bias = as_float_array(bias, "bias")
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"bias must have shape ({weight.shape[0]},), one value per output "
                f"channel, got shape {bias.shape}"
            )
        bias = bias.astype(x.dtype, copy=False)
    weight = weight.astype(x.dtype, copy=False)
    s = stride_pair(stride)
    kernel = (weight.shape[2], weight.shape[3])
    if kernel[0] < 1 or kernel[1] < 1:
        raise ValueError(f"weight must have a kernel of at least 1x1, got shape {weight.shape}")
    pad = padding4(padding, kernel, s, allow_same=True)
    out_hw = output_hw(x.shape[2:], kernel, s, pad)
    return x, weight, bias, s, pad, out_hw


def check_grad_out(grad_out, expected: tuple[int, ...], dtype) -> np.ndarray:
    grad_out = as_float_array(grad_out, "grad_out")
    if grad_out.shape != tuple(expected):
        raise ValueError(
            f"grad_out must have the forward output's shape {tuple(expected)}, "
            f"got {grad_out.shape}"
        )
    return grad_out.astype(dtype, copy=False)


def check_pool_args(x, kernel_size, stride, padding):
    """Validate pooling arguments; return (x, kernel, stride, pad4, out_hw)."""
    x = as_float_array(x, "x")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    k = pair(kernel_size, "kernel_size")
    if k[0] < 1 or k[1] < 1:
        raise ValueError(f"kernel_size must be >= 1, got {kernel_size!r}")
    s = k if stride is None else stride_pair(stride)
    pad = padding4(padding, k, s, allow_same=False)
    # PyTorch's rule: a window must always hold at least one real value.
    if 2 * pad[0] > k[0] or 2 * pad[2] > k[1]:
        raise ValueError(
            f"padding must be at most half the kernel size, got padding "
            f"{(pad[0], pad[2])} for kernel_size {k}"
        )
    out_hw = output_hw(x.shape[2:], k, s, pad)
    return x, k, s, pad, out_hw
