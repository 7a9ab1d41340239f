"""Gradient checking by centred finite differences.

The derivative of a scalar function ``L`` with respect to one entry ``x_i`` is
approximated by ``(L(x + eps e_i) - L(x - eps e_i)) / (2 eps)``, whose error
shrinks like ``eps**2``. Comparing that with a hand-written backward pass is
the standard way to catch a wrong gradient. Use float64: in float32 the
rounding error of the two loss values swamps the difference.

For a layer or function with an array output ``y``, the scalar checked is
``L = sum(y * r)`` for a fixed random ``r`` (so ``dL/dy = r``), which tests
every path through the backward pass at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from .nn import CrossEntropyLoss, Module

__all__ = ["numerical_gradient", "GradcheckResult", "check_function", "check_layer", "check_model"]


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Centred finite-difference gradient of ``f()`` with respect to array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored.

    Parameters
    ----------
    f : callable with no arguments returning a float
        Must read ``x`` (the very array object) each time it is called.
    x : ndarray, float64
    eps : float

    Returns
    -------
    ndarray, same shape as ``x``
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so it can be perturbed in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


@dataclass
class GradcheckResult:
    """Comparison of an analytic and a numerical gradient for one array.

    ``rel_error`` is ``||a - n|| / max(||a|| + ||n||, 1e-12)`` (Frobenius
    norms): about 1e-10 or smaller for a correct float64 backward pass.
    """

    name: str
    rel_error: float
    max_abs_error: float
    tol: float

    @property
    def passed(self) -> bool:
        return self.rel_error <= self.tol

    def __str__(self) -> str:
        verdict = "ok" if self.passed else "MISMATCH"
        return f"{self.name:<14} relative error {self.rel_error:.1e}  {verdict}"


def _compare(name: str, analytic, numeric, tol: float) -> GradcheckResult:
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"gradient of {name} has shape {analytic.shape}, expected {numeric.shape}")
    diff = np.linalg.norm(analytic - numeric)
    scale = max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-12)
    return GradcheckResult(name, float(diff / scale), float(np.abs(analytic - numeric).max(initial=0)), tol)


def _require_float64(name: str, a: np.ndarray) -> None:
    if np.asarray(a).dtype != np.float64:
        raise TypeError(
            f"{name} must be float64 for a gradient check (float32 rounding swamps "
            f"the finite differences), got {np.asarray(a).dtype}"
        )


def check_function(forward: Callable[..., np.ndarray], backward: Callable[..., Sequence[np.ndarray]],
                   *inputs: np.ndarray, names: Optional[Sequence[str]] = None, eps: float = 1e-6,
                   tol: float = 1e-7, rng: Optional[np.random.Generator] = None) -> list[GradcheckResult]:
    """Check ``backward`` against finite differences of ``forward``.

    Parameters
    ----------
    forward : callable ``forward(*inputs) -> ndarray``
    backward : callable ``backward(grad_out, *inputs) -> tuple of ndarrays``
        One gradient per input, in the same order.
    *inputs : float64 ndarrays
    names : names for the report, default ``input0, input1, ...``

    Returns
    -------
    list of GradcheckResult, one per input

    Examples
    --------
    >>> from cnnlib import conv2d, conv2d_backward
    >>> rng = np.random.default_rng(0)
    >>> x, w = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(4, 3, 3, 3))
    >>> results = check_function(lambda x, w: conv2d(x, w, stride=2),
    ...                          lambda g, x, w: conv2d_backward(g, x, w, stride=2)[:2], x, w)
    >>> all(r.passed for r in results)
    True
    """
    rng = np.random.default_rng(0) if rng is None else rng
    inputs = [np.ascontiguousarray(a) for a in inputs]
    names = list(names) if names is not None else [f"input{i}" for i in range(len(inputs))]
    for name, a in zip(names, inputs):
        _require_float64(name, a)
    r = rng.normal(size=np.shape(forward(*inputs)))
    analytic = backward(r, *inputs)
    if len(analytic) != len(inputs):
        raise ValueError(f"backward returned {len(analytic)} gradients for {len(inputs)} inputs")
    results = []
    for name, a, grad in zip(names, inputs, analytic):
        numeric = numerical_gradient(lambda: float(np.sum(forward(*inputs) * r)), a, eps)
        results.append(_compare(name, grad, numeric, tol))
    return results


def check_layer(layer: Module, x: np.ndarray, *, eps: float = 1e-6, tol: float = 1e-7,
                rng: Optional[np.random.Generator] = None) -> list[GradcheckResult]:
    """Check a layer's ``backward`` for its input and each of its parameters.

    The layer's parameters and ``x`` must be float64 (build the layer with
    ``dtype=np.float64``). Parameter ``.grad`` is reset to zero.

    Returns
    -------
    list of GradcheckResult: ``x`` first, then each parameter by name
    """
    rng = np.random.default_rng(0) if rng is None else rng
    x = np.ascontiguousarray(x)
    _require_float64("x", x)
    params = list(layer.named_parameters())
    for name, p in params:
        _require_float64(name, p.data)
    r = rng.normal(size=np.shape(layer(x)))
    layer.zero_grad()
    layer(x)
    grad_x = layer.backward(r)
    analytic = [("x", grad_x)] + [(name, p.grad.copy()) for name, p in params]
    arrays = [x] + [p.data for _, p in params]
    results = []
    for (name, grad), a in zip(analytic, arrays):
        numeric = numerical_gradient(lambda: float(np.sum(layer(x) * r)), a, eps)
        results.append(_compare(name, grad, numeric, tol))
    layer.zero_grad()
    return results


def check_model(model: Module, loss_fn: CrossEntropyLoss, x: np.ndarray, y: np.ndarray, *,
                eps: float = 1e-6, tol: float = 1e-7) -> list[GradcheckResult]:
    """Check the gradient of ``loss_fn(model(x), y)`` for every parameter and ``x``.

    Returns
    -------
    list of GradcheckResult: ``x`` first, then each parameter by name
    """
    x = np.ascontiguousarray(x)
    _require_float64("x", x)
    params = list(model.named_parameters())
    for name, p in params:
        _require_float64(name, p.data)
    model.zero_grad()
    loss_fn(model(x), y)
    grad_x = model.backward(loss_fn.backward())
    analytic = [("x", grad_x)] + [(name, p.grad.copy()) for name, p in params]
    arrays = [x] + [p.data for _, p in params]
    results = []
    for (name, grad), a in zip(analytic, arrays):
        numeric = numerical_gradient(lambda: loss_fn(model(x), y), a, eps)
        results.append(_compare(name, grad, numeric, tol))
    model.zero_grad()
    return results
