"""Bad input never passes silently.

Each bad call raises ``ValueError`` or ``TypeError`` (``RuntimeError`` for a
backward pass before any forward pass) with a message that names the argument
and shows what was seen and what was expected. The fast ops and the reference
loops raise the same exception with the same message.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from cnnlib import conv_output_size, nn, optim
from cnnlib import functional as F
from cnnlib import reference as R

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 3, 5, 5))       # a good input
W = RNG.normal(size=(4, 3, 3, 3))       # a good weight for it
B = RNG.normal(size=4)                  # a good bias
G_CONV = np.ones((2, 4, 3, 3))          # grad_out of conv2d(X, W)
G_POOL = np.ones((2, 3, 2, 2))          # grad_out of a 2x2 pool of X


# --------------------------------------------------------------------------
# convolution: (kwargs for conv2d, exception, regex the message must match)

CONV_CASES = {
    "x 3-D": (dict(x=X[0]), ValueError, r"x must be 4-D .*\(N, C, H, W\).*got shape \(3, 5, 5\) \(3-D\)"),
    "x 5-D": (dict(x=X[None]), ValueError, r"x must be 4-D .*got shape \(1, 2, 3, 5, 5\)"),
    "weight 3-D": (dict(weight=W[0]), ValueError,
                   r"weight must be 4-D .*\(out_channels, in_channels, kh, kw\).*got shape \(3, 3, 3\)"),
    "channel mismatch": (dict(weight=W[:, :2]), ValueError,
                         (r"channel mismatch: x has 3 channels \(shape \(2, 3, 5, 5\)\).*"
                          r"in_channels=2 \(shape \(4, 2, 3, 3\)\)")),
    "kernel larger than padded input": (
        dict(weight=RNG.normal(size=(4, 3, 8, 3)), padding=1), ValueError,
        r"kernel 8x3 is larger than the padded input 7x7 \(x is 5x5, padding 1\+1 rows"),
    "kernel larger, no padding": (dict(x=X[:, :, :2, :2]), ValueError,
                                  r"kernel 3x3 is larger than the padded input 2x2"),
    "stride 0": (dict(stride=0), ValueError, r"stride must be >= 1, got 0"),
    "stride negative": (dict(stride=-2), ValueError, r"stride must be >= 1, got -2"),
    "stride pair with 0": (dict(stride=(1, 0)), ValueError, r"stride must be >= 1, got \(1, 0\)"),
    "stride float": (dict(stride=1.5), TypeError, r"stride must be an int or an \(h, w\) pair of ints, got 1\.5"),
    "stride bool": (dict(stride=True), TypeError, r"stride must be an int .*got True"),
    "stride triple": (dict(stride=(1, 1, 1)), TypeError, r"stride must be .*got \(1, 1, 1\)"),
    "padding negative": (dict(padding=-1), ValueError, r"padding must be >= 0, got -1"),
    "padding pair negative": (dict(padding=(0, -2)), ValueError, r"padding must be >= 0, got \(0, -2\)"),
    "padding float": (dict(padding=0.5), TypeError, r"padding must be an int or an \(h, w\) pair.*got 0\.5"),
    "padding same with stride 2": (dict(padding="same", stride=2), ValueError,
                                   r"padding='same' needs stride 1.*got stride \(2, 2\)"),
    "padding same with stride (1, 2)": (dict(padding="same", stride=(1, 2)), ValueError,
                                        r"padding='same' needs stride 1.*got stride \(1, 2\)"),
    "padding bad string": (dict(padding="full"), ValueError,
                           r"padding must be an int, an \(h, w\) pair, 'valid' or 'same', got 'full'"),
    "bias too long": (dict(bias=np.zeros(5)), ValueError,
                      r"bias must have shape \(4,\), one value per output channel, got shape \(5,\)"),
    "bias 2-D": (dict(bias=np.zeros((4, 1))), ValueError, r"bias must have shape \(4,\).*got shape \(4, 1\)"),
    "x int": (dict(x=X.astype(np.int64)), TypeError,
              (r"x must be a floating-point array \(float32 or float64\), got dtype int64 "
               r"\(convert it first, e\.g\. x\.astype\(np\.float32\)\)")),
    "x uint8": (dict(x=X.astype(np.uint8)), TypeError, r"x must be a floating-point array.*got dtype uint8"),
    "x bool": (dict(x=X > 0), TypeError, r"x must be a floating-point array.*got dtype bool"),
    "x object": (dict(x=X.astype(object)), TypeError, r"x must be a floating-point array.*got dtype object"),
    "x complex": (dict(x=X.astype(complex)), TypeError, r"x must be a floating-point array.*got dtype complex128"),
    "x strings": (dict(x=np.full((2, 3, 5, 5), "a")), TypeError, r"x must be a floating-point array.*got dtype <U1"),
    "weight int": (dict(weight=W.astype(np.int32)), TypeError, r"weight must be a floating-point array.*got dtype int32"),
    "bias int": (dict(bias=np.zeros(4, dtype=int)), TypeError, r"bias must be a floating-point array.*got dtype int"),
    "x nested list of ints": (dict(x=np.zeros((2, 3, 5, 5), dtype=int).tolist()), TypeError,
                              r"x must be a floating-point array"),
}


def _conv_call(impl, kwargs):
    args = dict(x=X, weight=W, bias=B, stride=1, padding=0)
    args.update(kwargs)
    return impl.conv2d(args["x"], args["weight"], args["bias"], stride=args["stride"],
                       padding=args["padding"])


def _conv_backward_call(impl, kwargs):
    args = dict(x=X, weight=W, stride=1, padding=0, grad_out=G_CONV)
    args.update({k: v for k, v in kwargs.items() if k != "bias"})
    return impl.conv2d_backward(args["grad_out"], args["x"], args["weight"],
                                stride=args["stride"], padding=args["padding"])


@pytest.mark.parametrize("impl", [F, R], ids=["fast", "reference"])
@pytest.mark.parametrize("case", list(CONV_CASES), ids=list(CONV_CASES))
def test_conv2d_rejects_bad_input(impl, case):
    kwargs, exc, pattern = CONV_CASES[case]
    with pytest.raises(exc, match=pattern):
        _conv_call(impl, kwargs)


@pytest.mark.parametrize("impl", [F, R], ids=["fast", "reference"])
@pytest.mark.parametrize("case", [c for c in CONV_CASES if not c.startswith("bias")])
def test_conv2d_backward_rejects_bad_input(impl, case):
    kwargs, exc, pattern = CONV_CASES[case]
    with pytest.raises(exc, match=pattern):
        _conv_backward_call(impl, kwargs)


@pytest.mark.parametrize("impl", [F, R], ids=["fast", "reference"])
@pytest.mark.parametrize("grad_out, exc, pattern", [
    (np.ones((2, 4, 3, 4)), ValueError,
     r"grad_out must have the forward output's shape \(2, 4, 3, 3\), got \(2, 4, 3, 4\)"),
    (np.ones((4, 3, 3)), ValueError, r"grad_out must have .*\(2, 4, 3, 3\), got \(4, 3, 3\)"),
    (np.ones((2, 4, 3, 3), dtype=int), TypeError, r"grad_out must be a floating-point array.*int"),
])
def test_conv2d_backward_rejects_bad_grad_out(impl, grad_out, exc, pattern):
    with pytest.raises(exc, match=pattern):
        impl.conv2d_backward(grad_out, X, W)


# --------------------------------------------------------------------------
# pooling


POOL_CASES = {
    "x 3-D": (dict(x=X[0]), ValueError, r"x must be 4-D .*got shape \(3, 5, 5\) \(3-D\)"),
    "x int": (dict(x=X.astype(np.int16)), TypeError, r"x must be a floating-point array.*got dtype int16"),
    "x bool": (dict(x=X > 0), TypeError, r"x must be a floating-point array.*got dtype bool"),
    "x complex": (dict(x=X.astype(np.complex64)), TypeError, r"got dtype complex64"),
    "x object": (dict(x=X.astype(object)), TypeError, r"got dtype object"),
    "kernel 0": (dict(kernel_size=0), ValueError, r"kernel_size must be >= 1, got 0"),
    "kernel pair with 0": (dict(kernel_size=(2, 0)), ValueError, r"kernel_size must be >= 1, got \(2, 0\)"),
    "kernel float": (dict(kernel_size=2.0), TypeError, r"kernel_size must be an int or an \(h, w\) pair.*got 2\.0"),
    "kernel larger than input": (dict(kernel_size=6), ValueError,
                                 r"kernel 6x6 is larger than the padded input 5x5 \(x is 5x5"),
    "kernel larger than padded input": (dict(kernel_size=(8, 2), padding=1), ValueError,
                                        r"kernel 8x2 is larger than the padded input 7x7"),
    "stride 0": (dict(stride=0), ValueError, r"stride must be >= 1, got 0"),
    "stride pair negative": (dict(stride=(-1, 1)), ValueError, r"stride must be >= 1, got \(-1, 1\)"),
    "padding negative": (dict(padding=-1), ValueError, r"padding must be >= 0, got -1"),
    "padding more than half kernel": (dict(kernel_size=3, padding=2), ValueError,
                                      (r"padding must be at most half the kernel size, got padding "
                                       r"\(2, 2\) for kernel_size \(3, 3\)")),
    "padding pair more than half kernel": (dict(kernel_size=(4, 2), padding=(2, 2)), ValueError,
                                           (r"at most half the kernel size, got padding \(2, 2\) "
                                            r"for kernel_size \(4, 2\)")),
    "padding same": (dict(padding="same"), TypeError, r"padding must be an int or an \(h, w\) pair.*'same'"),
}


def _pool_args(kwargs):
    args = dict(x=X, kernel_size=2, stride=None, padding=0)
    args.update(kwargs)
    return args["x"], args["kernel_size"], args["stride"], args["padding"]


POOL_FUNCTIONS = ["max_pool2d", "avg_pool2d"]


@pytest.mark.parametrize("impl", [F, R], ids=["fast", "reference"])
@pytest.mark.parametrize("op", POOL_FUNCTIONS)
@pytest.mark.parametrize("case", list(POOL_CASES), ids=list(POOL_CASES))
def test_pooling_rejects_bad_input(impl, op, case):
    kwargs, exc, pattern = POOL_CASES[case]
    with pytest.raises(exc, match=pattern):
        getattr(impl, op)(*_pool_args(kwargs))
    with pytest.raises(exc, match=pattern):
        getattr(impl, op + "_backward")(G_POOL, *_pool_args(kwargs))


@pytest.mark.parametrize("impl", [F, R], ids=["fast", "reference"])
@pytest.mark.parametrize("op", POOL_FUNCTIONS)
def test_pooling_backward_rejects_bad_grad_out(impl, op):
    backward = getattr(impl, op + "_backward")
    with pytest.raises(ValueError, match=r"grad_out must have the forward output's shape "
                                         r"\(2, 3, 2, 2\), got \(2, 3, 3, 3\)"):
        backward(np.ones((2, 3, 3, 3)), X, 2)
    with pytest.raises(TypeError, match=r"grad_out must be a floating-point array.*bool"):
        backward(np.ones((2, 3, 2, 2), dtype=bool), X, 2)


# --------------------------------------------------------------------------
# fast and reference fail identically


def _failure(fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - we compare whatever was raised
        return type(error), str(error)
    pytest.fail("no exception raised")


SAME_FAILURE_CALLS = (
    [(f"conv2d {c}", lambda impl, c=c: _conv_call(impl, CONV_CASES[c][0])) for c in CONV_CASES]
    + [(f"conv2d_backward {c}", lambda impl, c=c: _conv_backward_call(impl, CONV_CASES[c][0]))
       for c in CONV_CASES if not c.startswith("bias")]
    + [("conv2d_backward grad_out", lambda impl: impl.conv2d_backward(np.ones((2, 4, 3, 4)), X, W))]
    + [(f"{op} {c}", lambda impl, op=op, c=c: getattr(impl, op)(*_pool_args(POOL_CASES[c][0])))
       for op in POOL_FUNCTIONS for c in POOL_CASES]
    + [(f"{op}_backward {c}",
        lambda impl, op=op, c=c: getattr(impl, op + "_backward")(G_POOL, *_pool_args(POOL_CASES[c][0])))
       for op in POOL_FUNCTIONS for c in POOL_CASES]
    + [(f"{op}_backward grad_out",
        lambda impl, op=op: getattr(impl, op + "_backward")(np.ones((2, 3, 3, 3)), X, 2))
       for op in POOL_FUNCTIONS]
)


@pytest.mark.parametrize("call", [c for _, c in SAME_FAILURE_CALLS],
                         ids=[name for name, _ in SAME_FAILURE_CALLS])
def test_fast_and_reference_raise_the_same_error(call):
    fast, slow = _failure(lambda: call(F)), _failure(lambda: call(R))
    assert fast == slow


# --------------------------------------------------------------------------
# conv_output_size


@pytest.mark.parametrize("kwargs, exc, pattern", [
    (dict(size=0, kernel_size=1), ValueError, r"size must be >= 1, got 0"),
    (dict(size=5, kernel_size=0), ValueError, r"kernel_size must be >= 1, got 0"),
    (dict(size=5, kernel_size=3, stride=0), ValueError, r"stride must be >= 1, got 0"),
    (dict(size=5, kernel_size=3, stride=-1), ValueError, r"stride must be >= 1, got -1"),
    (dict(size=5, kernel_size=3, padding=-1), ValueError, r"padding must be >= 0, got -1"),
    (dict(size=5, kernel_size=8, padding=1), ValueError,
     r"kernel_size 8 is larger than the padded input 7 \(size 5 \+ 2 \* padding 1\)"),
    (dict(size=5.0, kernel_size=3), TypeError, r"size must be an int, got 5\.0"),
    (dict(size=5, kernel_size=3, stride=1.5), TypeError, r"stride must be an int, got 1\.5"),
    (dict(size=5, kernel_size=True), TypeError, r"kernel_size must be an int, got True"),
    (dict(size=5, kernel_size=3, padding="same"), TypeError, r"padding must be an int, got 'same'"),
    (dict(size=5, kernel_size=None), TypeError, r"kernel_size must be an int, got None"),
])
def test_conv_output_size_rejects_bad_arguments(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        conv_output_size(**kwargs)


# --------------------------------------------------------------------------
# layers


def test_layer_constructors_reject_bad_sizes():
    with pytest.raises(ValueError, match=r"in_channels must be >= 1, got 0"):
        nn.Conv2d(0, 4, 3)
    with pytest.raises(TypeError, match=r"out_channels must be an int, got 2\.0"):
        nn.Conv2d(1, 2.0, 3)
    with pytest.raises(ValueError, match=r"kernel_size must be >= 1, got \(3, 0\)"):
        nn.Conv2d(1, 2, (3, 0))
    with pytest.raises(ValueError, match=r"in_features must be >= 1, got -1"):
        nn.Linear(-1, 3)
    with pytest.raises(ValueError, match=r"out_features must be >= 1, got 0"):
        nn.Linear(3, 0)
    with pytest.raises(TypeError, match=r"layer 1 must be a cnnlib\.nn\.Module, got ufunc"):
        nn.Sequential(nn.ReLU(), np.tanh)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"stride": 0}, ValueError, r"stride must be >= 1, got 0"),
    ({"stride": (1, -2)}, ValueError, r"stride must be >= 1, got \(1, -2\)"),
    ({"stride": 1.5}, TypeError, r"stride must be an int or an \(h, w\) pair"),
    ({"padding": -1}, ValueError, r"padding must be >= 0, got -1"),
    ({"padding": "full"}, ValueError, r"padding must be an int, an \(h, w\) pair, 'valid' or 'same'"),
    ({"padding": "same", "stride": 2}, ValueError, r"padding='same' needs stride 1"),
])
def test_conv_constructor_rejects_bad_stride_and_padding(kwargs, error, words):
    # caught where the layer is built, not at its first forward pass
    with pytest.raises(error, match=words):
        nn.Conv2d(1, 2, 3, **kwargs)


def test_conv_layer_rejects_bad_input_like_the_function():
    layer = nn.Conv2d(3, 4, 3, dtype=np.float64, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"channel mismatch: x has 2 channels"):
        layer(X[:, :2])
    with pytest.raises(TypeError, match=r"x must be a floating-point array.*int64"):
        layer(X.astype(np.int64))
    layer(X)
    with pytest.raises(ValueError, match=r"grad_out must have the forward output's shape \(2, 4, 3, 3\)"):
        layer.backward(np.ones((2, 4, 5, 5)))
    with pytest.raises(ValueError, match=r"padding='same' needs stride 1"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")(X)


def test_pool_layers_reject_bad_grad_out():
    for layer in (nn.MaxPool2d(2), nn.AvgPool2d(2)):
        layer(X)
        with pytest.raises(ValueError, match=r"grad_out must have the forward output's shape \(2, 3, 2, 2\)"):
            layer.backward(np.ones((2, 3, 5, 5)))


def test_linear_rejects_wrong_in_features_and_ndim():
    layer = nn.Linear(4, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"x has 5 features \(shape \(3, 5\)\) but this Linear layer "
                                         r"expects in_features=4"):
        layer(np.ones((3, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"x must be 2-D with layout \(N, in_features\), got shape "
                                         r"\(3, 1, 2, 2\)"):
        layer(np.ones((3, 1, 2, 2), dtype=np.float32))
    with pytest.raises(TypeError, match=r"x must be a floating-point array.*int"):
        layer(np.ones((3, 4), dtype=int))


@pytest.mark.parametrize("make, x, grad_out, expected", [
    (lambda: nn.ReLU(), np.ones((2, 3)), np.ones(3), r"\(2, 3\).*got \(3,\)"),
    (lambda: nn.ReLU(), np.ones((2, 3)), np.ones((1, 3)), r"\(2, 3\).*got \(1, 3\)"),
    (lambda: nn.Tanh(), np.ones((2, 3)), np.ones((2, 1)), r"\(2, 3\).*got \(2, 1\)"),
    (lambda: nn.Flatten(), np.ones((2, 3, 2, 2)), np.ones((4, 6)), r"\(2, 12\).*got \(4, 6\)"),
    (lambda: nn.Linear(3, 2, dtype=np.float64), np.ones((4, 3)), np.ones((4, 3)), r"\(4, 2\).*got \(4, 3\)"),
    (lambda: nn.Linear(3, 2, dtype=np.float64), np.ones((4, 3)), np.ones((2,)), r"\(4, 2\).*got \(2,\)"),
])
def test_elementwise_and_dense_layers_reject_grad_out_of_the_wrong_shape(make, x, grad_out, expected):
    # NumPy broadcasting would otherwise turn a wrong gradient into a plausible one
    layer = make()
    layer(x)
    with pytest.raises(ValueError, match=r"grad_out must have the forward output's shape " + expected):
        layer.backward(grad_out)


def test_flatten_needs_a_batch_dimension():
    with pytest.raises(ValueError, match=r"x must have a batch dimension and at least one more, got shape \(5,\)"):
        nn.Flatten()(np.ones(5))


@pytest.mark.parametrize("layer, name", [
    (nn.Conv2d(1, 1, 1), "Conv2d"), (nn.MaxPool2d(2), "MaxPool2d"), (nn.AvgPool2d(2), "AvgPool2d"),
    (nn.ReLU(), "ReLU"), (nn.Tanh(), "Tanh"), (nn.Flatten(), "Flatten"), (nn.Linear(2, 2), "Linear"),
    # a Sequential runs backward from its last layer, which reports itself
    (nn.Sequential(nn.ReLU(), nn.Flatten()), "Flatten"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_backward_before_forward_raises(layer, name):
    with pytest.raises(RuntimeError, match=rf"^{name}\.backward\(\) called before forward\(\)"):
        layer.backward(np.ones((1, 1, 2, 2)))


def test_loss_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match=r"CrossEntropyLoss\.backward\(\) called before forward\(\)"):
        nn.CrossEntropyLoss().backward()


# --------------------------------------------------------------------------
# cross-entropy targets

LOGITS = np.zeros((3, 4))


@pytest.mark.parametrize("target, exc, pattern", [
    (np.array([0.0, np.nan, 1.0]), ValueError,
     r"target contains NaN at index 1; expected integer class indices in \[0, 4\)"),
    (np.array([0, -1, 1]), ValueError,
     r"target\[1\] = -1 is out of range: expected class indices in \[0, 4\) for logits with 4 columns"),
    (np.array([0, 1, 4]), ValueError, r"target\[2\] = 4 is out of range: expected class indices in \[0, 4\)"),
    (np.array([0, 1, 99], dtype=np.uint8), ValueError, r"target\[2\] = 99 is out of range"),
    (np.array([0.0, 1.5, 2.0]), ValueError, r"target must hold whole class indices, got 1\.5"),
    (np.array([0.0, 1.0, 7.0]), ValueError, r"target\[2\] = 7(\.0)? is out of range"),
    # non-finite and huge floats must be reported as they are, not as a cast's garbage
    (np.array([0.0, np.inf, 1.0]), ValueError, r"target\[1\] = inf is out of range"),
    (np.array([-np.inf, 0.0, 1.0]), ValueError, r"target\[0\] = -inf is out of range"),
    (np.array([0.0, 1.0, 1e20]), ValueError, r"target\[2\] = 1e\+20 is out of range"),
    (np.array([0, 1]), ValueError, (r"target must have shape \(3,\), one class index per row of logits, "
                                    r"got shape \(2,\)")),
    (np.array([[0], [1], [2]]), ValueError, r"target must have shape \(3,\).*got shape \(3, 1\)"),
    (np.eye(3, 4), ValueError, r"target must have shape \(3,\).*got shape \(3, 4\)"),
    (np.array([True, False, True]), TypeError,
     r"target must be an integer array of class indices, got dtype bool"),
    (np.array(["0", "1", "2"]), TypeError, r"target must be an integer array of class indices, got dtype <U1"),
])
def test_cross_entropy_rejects_bad_targets(target, exc, pattern):
    with pytest.raises(exc, match=pattern):
        nn.CrossEntropyLoss()(LOGITS, target)


def test_cross_entropy_rejects_bad_logits():
    with pytest.raises(ValueError, match=r"logits must be 2-D with layout \(N, num_classes\), got shape \(3,\)"):
        nn.CrossEntropyLoss()(np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(TypeError, match=r"logits must be a floating-point array.*int64"):
        nn.CrossEntropyLoss()(np.zeros((3, 4), dtype=np.int64), np.array([0, 1, 2]))


def test_cross_entropy_accepts_whole_float_targets():
    loss_fn = nn.CrossEntropyLoss()
    assert loss_fn(LOGITS, np.array([0.0, 1.0, 3.0])) == loss_fn(LOGITS, np.array([0, 1, 3]))


# --------------------------------------------------------------------------
# optimisers


def _params():
    return [nn.Parameter(np.zeros(3)), nn.Parameter(np.zeros((2, 2)))]


@pytest.mark.parametrize("opt", [optim.SGD, optim.Adam])
@pytest.mark.parametrize("lr, words", [(0, r"lr must be > 0, got 0\.0"),
                                       (-0.1, r"lr must be > 0, got -0\.1"),
                                       (float("nan"), r"lr must be finite, got nan")])
def test_optimizers_reject_non_positive_lr(opt, lr, words):
    with pytest.raises(ValueError, match=words):
        opt(_params(), lr=lr)


@pytest.mark.parametrize("opt", [optim.SGD, optim.Adam])
def test_optimizers_reject_empty_or_wrong_params(opt):
    with pytest.raises(ValueError, match=r"optimizer got an empty parameter list"):
        opt([], lr=0.1)
    with pytest.raises(ValueError, match=r"optimizer got an empty parameter list"):
        opt(iter(()), lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] must be a cnnlib\.nn\.Parameter, got ndarray"):
        opt([nn.Parameter(np.zeros(2)), np.zeros(2)], lr=0.1)


def test_optimizer_hyperparameter_errors():
    with pytest.raises(ValueError, match=r"momentum must be >= 0, got -0\.5"):
        optim.SGD(_params(), lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match=r"weight_decay must be >= 0, got -1"):
        optim.SGD(_params(), lr=0.1, weight_decay=-1)
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0, 1\), got 1\.0"):
        optim.Adam(_params(), betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=r"betas\[0\] must be in \[0, 1\), got -0\.1"):
        optim.Adam(_params(), betas=(-0.1, 0.999))
    with pytest.raises(ValueError, match=r"eps must be > 0, got 0"):
        optim.Adam(_params(), eps=0)
