"""Fully connected layers and reshaping."""

from __future__ import annotations

from typing import Optional

import numpy as np

from .._validate import check_grad_out, check_ndim, float_array, positive_int
from .init import default_uniform
from .module import Module, Parameter

__all__ = ["Flatten", "Linear"]


class Flatten(Module):
    """Flatten all dimensions but the batch: (N, C, H, W) -> (N, C*H*W)."""

    def __init__(self):
        self._shape = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim < 2:
            raise ValueError(f"x must have a batch dimension and at least one more, got shape {x.shape}")
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        shape = self._cached("_shape")
        grad_out = check_grad_out(grad_out, (shape[0], int(np.prod(shape[1:]))),
                                  np.asarray(grad_out).dtype)
        return grad_out.reshape(shape)


class Linear(Module):
    """Fully connected layer ``y = x @ weight.T + bias``, as ``torch.nn.Linear``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True
    rng : numpy.random.Generator, optional
    dtype : numpy dtype, default float32

    Shapes
    ------
    input (N, in_features) -> output (N, out_features);
    ``weight`` (out_features, in_features), ``bias`` (out_features,).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 rng: Optional[np.random.Generator] = None, dtype=np.float32):
        in_features = positive_int(in_features, "in_features")
        out_features = positive_int(out_features, "out_features")
        rng = np.random.default_rng() if rng is None else rng
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / np.sqrt(in_features)
        self.weight = Parameter(default_uniform(rng, bound, (out_features, in_features), dtype))
        self.bias = Parameter(default_uniform(rng, bound, (out_features,), dtype)) if bias else None
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_array(x, "x")
        check_ndim(x, 2, "x", "(N, in_features)")
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"x has {x.shape[1]} features (shape {x.shape}) but this Linear layer "
                f"expects in_features={self.in_features}"
            )
        self._x = x
        out = x @ self.weight.data.T.astype(x.dtype, copy=False)
        if self.bias is not None:
            out += self.bias.data
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._cached("_x")
        grad_out = check_grad_out(grad_out, (x.shape[0], self.out_features),
                                  np.asarray(grad_out).dtype)
        self.weight.grad += grad_out.T @ x
        if self.bias is not None:
            self.bias.grad += grad_out.sum(axis=0)
        return grad_out @ self.weight.data.astype(grad_out.dtype, copy=False)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
