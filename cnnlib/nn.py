"""Layers with explicit forward and backward passes, named as in ``torch.nn``.

Each layer's ``forward`` (also reached by calling the layer) caches what its
``backward`` needs; ``backward(grad_out)`` returns the gradient with respect to
the layer's input and *adds* the gradients of its parameters to their
``.grad`` (so, as in PyTorch, call ``optimizer.zero_grad()`` before each
step).

Weights use PyTorch's layouts and default initialisation: ``Conv2d`` weight
``(out_channels, in_channels, kh, kw)`` and ``Linear`` weight
``(out_features, in_features)``, both drawn from U(-1/sqrt(fan_in),
1/sqrt(fan_in)) (Kaiming-uniform with a = sqrt(5)), biases likewise.
"""

from __future__ import annotations

from typing import Iterator, Optional

import numpy as np

from . import functional as F
from ._checks import as_float_array, check_grad_out, check_ndim, pair

__all__ = [
    "Parameter",
    "Module",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "ReLU",
    "Tanh",
    "Flatten",
    "Linear",
    "Sequential",
    "CrossEntropyLoss",
]


class Parameter:
    """A trainable array: ``.data`` holds the values, ``.grad`` their gradient.

    Parameters
    ----------
    data : ndarray
        Initial values (kept as given, not copied).
    """

    def __init__(self, data: np.ndarray):
        self.data = data
        self.grad = np.zeros_like(data)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    def zero_grad(self) -> None:
        self.grad[...] = 0

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: ``__call__`` runs ``forward``; ``backward`` runs it in reverse."""

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(name, Parameter)`` pairs, e.g. ``("0.weight", ...)``."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield name, value

    def parameters(self) -> list[Parameter]:
        """All trainable parameters, in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of all parameter values, keyed as in PyTorch (``"0.weight"``)."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Set parameter values from :meth:`state_dict` output (shapes must match)."""
        own = dict(self.named_parameters())
        if set(own) != set(state):
            raise ValueError(
                f"state_dict keys {sorted(state)} do not match the model's {sorted(own)}"
            )
        for name, p in own.items():
            value = np.asarray(state[name])
            if value.shape != p.data.shape:
                raise ValueError(
                    f"state_dict[{name!r}] has shape {value.shape}, expected {p.data.shape}"
                )
            p.data[...] = value

    def _cached(self, attr: str):
        value = getattr(self, attr, None)
        if value is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() called before forward(): "
                f"run the layer on an input first"
            )
        return value

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def _uniform(rng: np.random.Generator, bound: float, shape, dtype) -> np.ndarray:
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


class Conv2d(Module):
    """2-D convolution layer (cross-correlation), as ``torch.nn.Conv2d``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (kh, kw)
    stride : int or (h, w), default 1
    padding : int, (h, w), "valid" or "same", default 0
    bias : bool, default True
    rng : numpy.random.Generator, optional
        Source of the initial weights (a fresh unseeded one if omitted).
    dtype : numpy dtype, default float32

    Shapes
    ------
    input (N, in_channels, H, W) -> output (N, out_channels, Ho, Wo);
    ``weight`` (out_channels, in_channels, kh, kw), ``bias`` (out_channels,).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, bias: bool = True, *, rng: Optional[np.random.Generator] = None,
                 dtype=np.float32):
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        kh, kw = pair(kernel_size, "kernel_size")
        if kh < 1 or kw < 1:
            raise ValueError(f"kernel_size must be >= 1, got {kernel_size!r}")
        rng = np.random.default_rng() if rng is None else rng
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = (kh, kw), stride, padding
        bound = 1.0 / np.sqrt(in_channels * kh * kw)
        self.weight = Parameter(_uniform(rng, bound, (out_channels, in_channels, kh, kw), dtype))
        self.bias = Parameter(_uniform(rng, bound, (out_channels,), dtype)) if bias else None
        self._cache = None
        # scratch buffers reused batch after batch (im2col columns and
        # temporaries), so a training loop does not allocate them every step
        self._workspace = F._Workspace()

    def forward(self, x: np.ndarray) -> np.ndarray:
        bias = None if self.bias is None else self.bias.data
        out, self._cache = F._conv2d_forward(x, self.weight.data, bias, self.stride, self.padding,
                                             self._workspace)
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_x, grad_w, grad_b = F._conv2d_backward_cached(grad_out, self._cached("_cache"),
                                                           self._workspace)
        self.weight.grad += grad_w
        if self.bias is not None:
            self.bias.grad += grad_b
        return grad_x

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}, bias={self.bias is not None}")


class MaxPool2d(Module):
    """Max pooling layer, as ``torch.nn.MaxPool2d``.

    Parameters
    ----------
    kernel_size : int or (kh, kw)
    stride : int or (h, w), optional (default: ``kernel_size``)
    padding : int or (h, w), default 0

    Shapes
    ------
    input (N, C, H, W) -> output (N, C, Ho, Wo)
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = F.max_pool2d_forward(x, self.kernel_size, self.stride, self.padding)
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return F.max_pool2d_backward_cached(grad_out, self._cached("_cache"))

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Average pooling layer, as ``torch.nn.AvgPool2d`` (padding counts as zeros).

    Shapes
    ------
    input (N, C, H, W) -> output (N, C, Ho, Wo)
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return F.avg_pool2d_backward(grad_out, self._cached("_x"), self.kernel_size,
                                     self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class ReLU(Module):
    """max(x, 0) elementwise. Its range is [0, inf): it does not squash values."""

    def __init__(self):
        self._mask = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "x")
        self._mask = x > 0
        return np.where(self._mask, x, 0).astype(x.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        mask = self._cached("_mask")
        # a wrong shape would broadcast silently, so check it
        grad_out = check_grad_out(grad_out, mask.shape, np.asarray(grad_out).dtype)
        return np.where(mask, grad_out, 0).astype(grad_out.dtype, copy=False)


class Tanh(Module):
    """tanh(x) elementwise: squashes into (-1, 1)."""

    def __init__(self):
        self._y = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = np.tanh(as_float_array(x, "x"))
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._cached("_y")
        grad_out = check_grad_out(grad_out, y.shape, np.asarray(grad_out).dtype)
        return grad_out * (1 - y * y)


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
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        rng = np.random.default_rng() if rng is None else rng
        self.in_features, self.out_features = int(in_features), int(out_features)
        bound = 1.0 / np.sqrt(in_features)
        self.weight = Parameter(_uniform(rng, bound, (out_features, in_features), dtype))
        self.bias = Parameter(_uniform(rng, bound, (out_features,), dtype)) if bias else None
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "x")
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


class Sequential(Module):
    """Layers run in order; ``backward`` runs them in reverse.

    Parameters
    ----------
    *layers : Module
    """

    def __init__(self, *layers: Module):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"layer {i} must be a cnnlib.nn.Module, got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        for i, layer in enumerate(self.layers):
            for name, p in layer.named_parameters():
                yield f"{i}.{name}", p

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        lines = [f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"


class CrossEntropyLoss(Module):
    """Softmax followed by the mean cross-entropy, as ``torch.nn.CrossEntropyLoss``.

    ``loss = -mean_n log softmax(logits[n])[target[n]]``, computed with a
    log-sum-exp that subtracts each row's maximum, so large logits do not
    overflow. ``backward()`` takes no argument (the loss is the end of the
    chain) and returns ``(softmax(logits) - one_hot(target)) / N``.

    Shapes
    ------
    logits (N, C) float, target (N,) integer class indices in [0, C) -> float
    """

    def __init__(self):
        self._cache = None

    def forward(self, logits: np.ndarray, target: np.ndarray) -> float:
        logits = as_float_array(logits, "logits")
        check_ndim(logits, 2, "logits", "(N, num_classes)")
        target = self._check_target(target, logits.shape)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        n = logits.shape[0]
        self._cache = (log_probs, target)
        return float(-log_probs[np.arange(n), target].mean())

    @staticmethod
    def _check_target(target, logits_shape) -> np.ndarray:
        target = np.asarray(target)
        n, c = logits_shape
        if target.shape != (n,):
            raise ValueError(f"target must have shape ({n},), one class index per row of logits, "
                             f"got shape {target.shape}")
        if target.dtype.kind == "f":
            if np.isnan(target).any():
                raise ValueError(f"target contains NaN at index {int(np.flatnonzero(np.isnan(target))[0])}; "
                                 f"expected integer class indices in [0, {c})")
            if (target != np.round(target)).any():
                raise ValueError(f"target must hold whole class indices, got {target[target != np.round(target)][0]}")
        elif target.dtype.kind not in "iu":
            raise TypeError(f"target must be an integer array of class indices, got dtype {target.dtype}")
        # range check before any cast: casting inf or 1e20 to int64 gives garbage
        bad = (target < 0) | (target >= c)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"target[{i}] = {target[i]} is out of range: expected class indices "
                             f"in [0, {c}) for logits with {c} columns")
        return target.astype(np.int64, copy=False)

    def __call__(self, logits: np.ndarray, target: np.ndarray) -> float:
        return self.forward(logits, target)

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        log_probs, target = self._cached("_cache")
        n = log_probs.shape[0]
        grad = np.exp(log_probs)
        grad[np.arange(n), target] -= 1
        grad *= grad_out / n
        return grad
