"""Weight initialisation, as ``torch.nn.init``, every draw from a given generator.

The layers' defaults follow PyTorch: ``Conv1d``, ``Conv2d``,
``ConvTranspose2d`` and ``Linear`` weights and biases are drawn from
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (Kaiming-uniform with a = sqrt(5)).

To initialise differently, overwrite a weight in place after building the
layer, e.g. ``nn.init.kaiming_normal_(conv.weight, rng=rng)`` (He
initialisation, for layers followed by ReLU).

Fans follow PyTorch's rule for a weight of shape ``(d0, d1, *kernel)``:
``fan_in = d1 * prod(kernel)`` and ``fan_out = d0 * prod(kernel)``. For a
``Conv2d`` weight (out, in/groups, kh, kw) that is the number of inputs of one
output; a ``ConvTranspose2d`` weight is stored (in, out, kh, kw), and PyTorch
applies the same rule to it anyway (so its "fan_in" counts output channels),
which is what is reproduced here.

Examples
--------
>>> import numpy as np
>>> from cnnlib import nn
>>> rng = np.random.default_rng(0)
>>> conv = nn.Conv2d(64, 128, 3, rng=rng)
>>> w = nn.init.kaiming_normal_(conv.weight, rng=rng)   # std sqrt(2 / (64*3*3))
>>> round(float(conv.weight.data.std() * np.sqrt(64 * 9 / 2)), 1)
1.0
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import nonneg_float, positive_float
from .module import Parameter

__all__ = ["calculate_gain", "kaiming_normal_", "xavier_uniform_"]


def default_uniform(rng: np.random.Generator, bound: float, shape, dtype) -> np.ndarray:
    """U(-bound, bound) samples of ``shape`` in ``dtype``: PyTorch's default for weights and biases."""
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def fan_in_and_fan_out(shape) -> tuple[int, int]:
    """PyTorch's (fan_in, fan_out) of a weight of ``shape`` (at least 2-D)."""
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 dimensions, got shape {tuple(shape)}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def default_bound(weight_shape) -> float:
    """1/sqrt(fan_in): the bound of PyTorch's default U(-b, b) for a weight and its bias."""
    return 1.0 / math.sqrt(fan_in_and_fan_out(weight_shape)[0])


_UNIT_GAIN = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
              "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The gain PyTorch recommends for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    1 for linear layers and sigmoid, 5/3 for tanh, sqrt(2) for ReLU,
    sqrt(2 / (1 + a**2)) for leaky ReLU with negative slope ``param`` = a
    (default 0.01), 3/4 for SELU.

    Examples
    --------
    >>> calculate_gain("relu") == 2 ** 0.5
    True
    >>> round(calculate_gain("leaky_relu", 0.2), 4)
    1.3868
    """
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else nonneg_float(param, "param")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}; expected one of "
                     f"{list(_UNIT_GAIN) + ['tanh', 'relu', 'leaky_relu', 'selu']}")


def _target(param, name: str = "param") -> np.ndarray:
    array = param.data if isinstance(param, Parameter) else param
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        raise TypeError(f"{name} must be a Parameter or a floating-point ndarray to fill in place, "
                        f"got {type(param).__name__}"
                        + (f" of dtype {array.dtype}" if isinstance(array, np.ndarray) else ""))
    return array


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    return rng


def kaiming_normal_(param, *, rng: np.random.Generator, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu"):
    """Fill ``param`` in place with N(0, std**2), std = gain / sqrt(fan) (He et al., 2015).

    As ``torch.nn.init.kaiming_normal_``: ``gain = calculate_gain(nonlinearity, a)``;
    the default leaky ReLU with ``a = 0`` is ReLU's sqrt(2). ``mode="fan_in"``
    keeps the variance of the activations through the forward pass,
    ``"fan_out"`` that of the gradients through the backward pass.

    Parameters
    ----------
    param : Parameter or ndarray, at least 2-D
    rng : numpy.random.Generator
    a : float, default 0
        Negative slope of the leaky ReLU that follows (used by ``"leaky_relu"``).
    mode : "fan_in" or "fan_out"
    nonlinearity : str, default "leaky_relu"

    Returns
    -------
    ``param``, filled.

    Shapes
    ------
    any (d0, d1, ...) weight; fans as in the module docstring.
    """
    target = _target(param)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(target.shape)
    std = calculate_gain(nonlinearity, nonneg_float(a, "a")) / math.sqrt(fan_in if mode == "fan_in" else fan_out)
    target[...] = _check_rng(rng).normal(0.0, std, size=target.shape)
    return param


def xavier_uniform_(param, *, rng: np.random.Generator, gain: float = 1.0):
    """Fill ``param`` in place with U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)).

    As ``torch.nn.init.xavier_uniform_`` (Glorot and Bengio, 2010): the
    variance, gain**2 * 2 / (fan_in + fan_out), balances the forward and
    backward passes.

    Parameters
    ----------
    param : Parameter or ndarray, at least 2-D
    rng : numpy.random.Generator
    gain : float, default 1

    Returns
    -------
    ``param``, filled.

    Examples
    --------
    >>> import numpy as np
    >>> w = xavier_uniform_(np.zeros((300, 200)), rng=np.random.default_rng(0))
    >>> bool(np.abs(w).max() <= np.sqrt(6 / 500))
    True
    """
    target = _target(param)
    fan_in, fan_out = fan_in_and_fan_out(target.shape)
    bound = positive_float(gain, "gain") * math.sqrt(6.0 / (fan_in + fan_out))
    target[...] = _check_rng(rng).uniform(-bound, bound, size=target.shape)
    return param
