"""Instant feedback for the exercises of the chapter "A full network".

Expected values are worked out by hand (the comments show the arithmetic) or,
for gradients, by centred finite differences in float64, which do not depend
on any backward pass written in cnnlib.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..gradcheck import numerical_gradient
from . import Case, run_cases, same

__all__ = ["check_confusion_matrix", "check_lenet_params", "check_linear_backward", "check_variant"]


def check_lenet_params(fn: Callable) -> bool:
    """Check a learner's ``lenet_params(c1, c2, hidden)``.

    The number of trainable numbers in the chapter's network for 8x8 digits:
    Conv2d(1, c1, 3, padding=1), ReLU, MaxPool2d(2), Conv2d(c1, c2, 3,
    padding=1), ReLU, MaxPool2d(2), Flatten, Linear(4 * c2, hidden), ReLU,
    Linear(hidden, 10), every layer with a bias. That is
    ``c1 (9 + 1) + c2 (9 c1 + 1) + hidden (4 c2 + 1) + 10 (hidden + 1)``.
    """
    conv_hint = ("a Conv2d(c_in, c_out, 3) has c_out filters of c_in * 3 * 3 weights, "
                 "plus one bias per filter")
    flat_hint = ("two 2x2 poolings shrink the 8x8 maps to 2x2, so Flatten hands "
                 "4 * c2 numbers to the first Linear layer")
    return run_cases(fn, [
        # 16*10 + 32*(16*9 + 1) + 64*(128 + 1) + 10*65 = 160 + 4640 + 8256 + 650
        Case("c1=16, c2=32, hidden=64 (this chapter's network)", args=(16, 32, 64),
             expected=13706, hint=flat_hint),
        # 2*10 + 3*19 + 5*13 + 10*6 = 20 + 57 + 65 + 60
        Case("c1=2, c2=3, hidden=5 (the gradient-check copy)", args=(2, 3, 5), expected=202,
             hint=conv_hint),
        # 8*10 + 16*73 + 32*65 + 10*33 = 80 + 1168 + 2080 + 330
        Case("c1=8, c2=16, hidden=32", args=(8, 16, 32), expected=3658, hint=flat_hint),
        # 1*10 + 1*10 + 1*5 + 10*2
        Case("c1=1, c2=1, hidden=1", args=(1, 1, 1), expected=45,
             hint="count the biases too: every Conv2d filter and every Linear output has one"),
    ], name="lenet_params")


def _linear_case(rng: np.random.Generator, n: int, d_in: int, d_out: int):
    """Inputs and finite-difference gradients of L = sum(grad_out * (x @ W.T + b))."""
    x = rng.normal(size=(n, d_in))
    w = rng.normal(size=(d_out, d_in))
    b = rng.normal(size=d_out)
    g = rng.normal(size=(n, d_out))

    def loss() -> float:
        return float(np.sum(g * (x @ w.T + b)))

    expected = (numerical_gradient(loss, x), numerical_gradient(loss, w), numerical_gradient(loss, b))
    return (g.copy(), x.copy(), w.copy()), expected


def check_linear_backward(fn: Callable) -> bool:
    """Check a learner's ``linear_backward(grad_out, x, weight)``.

    For ``y = x @ weight.T + bias`` with ``x`` (N, in), ``weight`` (out, in)
    and ``grad_out = dL/dy`` (N, out), it must return
    ``(grad_x, grad_weight, grad_bias)`` of shapes (N, in), (out, in), (out,).
    The expected gradients are centred finite differences in float64.
    """
    rng = np.random.default_rng(6)
    parts = [("grad_x", ("grad_x = grad_out @ weight: each input feeds every output "
                         "through one weight, shape (N, in)")),
             ("grad_weight", ("grad_weight = grad_out.T @ x, shape (out, in): weight[o, i] "
                              "multiplies x[n, i] in output y[n, o], for every sample n")),
             ("grad_bias", ("grad_bias = grad_out.sum(axis=0): the bias is added to every "
                            "sample, so its gradient sums over the batch"))]
    cases = []
    for n, d_in, d_out in [(4, 3, 2), (1, 5, 3), (6, 2, 4)]:
        args, expected = _linear_case(rng, n, d_in, d_out)
        for k, (label, hint) in enumerate(parts):
            cases.append(Case(f"{label} for N={n}, in={d_in}, out={d_out}", args=args + (k,),
                              expected=expected[k], hint=hint,
                              compare=lambda got, exp: same(np.asarray(got, dtype=float), exp,
                                                            rtol=1e-5, atol=1e-6)))

    def component(grad_out, x, weight, k):
        result = fn(grad_out.copy(), x.copy(), weight.copy())
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise ValueError("linear_backward must return a tuple (grad_x, grad_weight, grad_bias)")
        return result[k]

    return run_cases(component, cases, name="linear_backward")


def check_variant(build: Callable) -> bool:
    """Check a learner's ``build_variant(rng)`` network for 8x8 digits.

    The network asked for: Conv2d with 12 filters of 5x5 and padding 2, ReLU,
    2x2 max pooling, Conv2d with 24 filters of 3x3 and no padding, ReLU,
    Flatten, Linear to 10 classes. The check runs it forward and backward on a
    batch of 5 random 8x8 images.
    """
    from ..nn import Conv2d, Linear

    x = np.random.default_rng(7).uniform(size=(5, 1, 8, 8)).astype(np.float32)
    state: dict = {}

    def probe(what: str):
        if "model" not in state:
            try:
                state["model"] = build(np.random.default_rng(0))
            except Exception as exc:  # noqa: BLE001 - every case reports the learner's error
                state["model"] = exc
        model = state["model"]
        if isinstance(model, Exception):
            raise model
        layers = list(getattr(model, "layers", []))
        convs = [layer for layer in layers if isinstance(layer, Conv2d)]
        linears = [layer for layer in layers if isinstance(layer, Linear)]
        if what == "first":
            return tuple(layers[0].weight.shape) if layers and isinstance(layers[0], Conv2d) else None
        if what == "second":
            return tuple(convs[1].weight.shape) if len(convs) > 1 else None
        if what == "in_features":
            return linears[-1].in_features if linears else None
        if what == "output":
            return tuple(model(x).shape)
        if what == "backward":
            model(x)
            return tuple(np.shape(model.backward(np.ones((5, 10), dtype=np.float32))))
        if what == "params":
            return int(sum(p.data.size for p in model.parameters()))
        raise ValueError(what)

    size_hint = ("follow the size: 8x8 -> conv 5x5 with padding 2 keeps 8x8 -> pool 2 gives 4x4 "
                 "-> conv 3x3 without padding gives 2x2; Flatten then has channels * 2 * 2 values")
    return run_cases(probe, [
        Case("the first layer is a Conv2d with weight shape (12, 1, 5, 5)", args=("first",),
             expected=(12, 1, 5, 5),
             hint="nn.Conv2d(1, 12, 5, padding=2, rng=rng): 1 input channel, 12 filters of 5x5"),
        Case("the second Conv2d has weight shape (24, 12, 3, 3)", args=("second",),
             expected=(24, 12, 3, 3),
             hint="its in_channels must equal the 12 maps coming out of the first block"),
        # 24 channels * 2 * 2
        Case("the Linear layer's in_features match the flattened size", args=("in_features",),
             expected=96, hint=size_hint),
        Case("model(x) for 5 digits has shape (5, 10)", args=("output",), expected=(5, 10),
             hint=size_hint),
        Case("model.backward returns a gradient shaped like the input", args=("backward",),
             expected=(5, 1, 8, 8), hint="build the model from cnnlib.nn layers in an nn.Sequential"),
        # 12*(25+1) + 24*(12*9+1) + 10*(96+1) = 312 + 2616 + 970
        Case("3,898 parameters in total", args=("params",), expected=3898,
             hint="check each layer's bias and that no extra layers were added"),
    ], name="build_variant")


def check_confusion_matrix(fn: Callable) -> bool:
    """Check a learner's ``confusion_matrix(y_true, y_pred, num_classes)``.

    It must return a (num_classes, num_classes) array whose entry ``[i, j]``
    counts the samples of true class ``i`` predicted as class ``j``.
    """
    orientation = "rows are the TRUE class, columns the PREDICTED class: cm[true, predicted] += 1"
    return run_cases(fn, [
        # (0,0) (1,2) (2,2) (2,1)
        Case("4 samples, 3 classes", args=([0, 1, 2, 2], [0, 2, 2, 1], 3),
             expected=np.array([[1, 0, 0], [0, 0, 1], [0, 1, 1]]), hint=orientation),
        # every prediction is 1 for true class 0
        Case("all of class 0 predicted as 1", args=([0, 0, 0], [1, 1, 1], 2),
             expected=np.array([[0, 3], [0, 0]]), hint=orientation),
        # classes 2 and 4 never occur: their rows and columns stay zero
        Case("all correct, classes 2 and 4 absent", args=([0, 1, 1, 3], [0, 1, 1, 3], 5),
             expected=np.diag([1, 2, 0, 1, 0]),
             hint="make the matrix num_classes x num_classes even if a class never occurs"),
        # row 0: (0,0) (0,1); row 1: (1,1) (1,1) (1,2); row 2: (2,2) (2,2) (2,0) (2,2)
        Case("9 samples, 3 classes", args=([0, 0, 1, 1, 1, 2, 2, 2, 2],
                                           [0, 1, 1, 1, 2, 2, 2, 0, 2], 3),
             expected=np.array([[1, 1, 0], [0, 2, 1], [1, 0, 3]]), hint=orientation),
        Case("works on NumPy arrays of int64", args=(np.array([1, 0]), np.array([1, 1]), 2),
             expected=np.array([[0, 1], [0, 1]]), hint=orientation),
    ], name="confusion_matrix")
