"""cnnlib.course.layer_cost counts what a convolution really does.

Every count is checked against something that does not use the formulas in
layer_cost:

* output shapes: the shape of cnnlib.conv2d's actual output, and a
  brute-force enumeration of the window positions that fit;
* multiply-accumulates: the number of elementwise products the reference loop
  (cnnlib.reference.conv2d) forms, counted while it runs, and PyTorch's own
  FLOP counter;
* parameters: the sizes of the arrays in cnnlib.nn.Conv2d (and torch.nn.Conv2d);
* memory: ``nbytes`` of real outputs;
* window coverage: the input gradient of a convolution with all-ones weights;
* receptive fields: a single-pixel impulse pushed through stacked cnnlib
  layers (forward), and the gradient of one output pixel pulled back through
  them (backward); the nonzero region is measured and compared.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnlib
from cnnlib.course import layer_cost as LC
from cnnlib import nn
from cnnlib import reference as R

# --------------------------------------------------------------------------
# output shape


def _positions_by_enumeration(n: int, k: int, s: int, pad_before: int, pad_after: int) -> int:
    """Window starts i*s (in padded coordinates) whose window ends inside the padded input."""
    padded = n + pad_before + pad_after
    count, start = 0, 0
    while start + k <= padded:
        count += 1
        start += s
    return count


@st.composite
def layer_cases(draw):
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kind = draw(st.sampled_from(["int", "pair", "valid", "same"]))
    if kind == "same":
        stride, padding, pad4 = 1, "same", ((kh - 1) // 2, kh // 2, (kw - 1) // 2, kw // 2)
    else:
        stride = draw(st.one_of(st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4))))
        if kind == "int":
            padding = draw(st.integers(0, 2))
            pad4 = (padding,) * 4
        elif kind == "pair":
            padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
            pad4 = (padding[0], padding[0], padding[1], padding[1])
        else:
            padding, pad4 = "valid", (0, 0, 0, 0)
    # keep the kernel inside the padded input
    h = max(h, kh - pad4[0] - pad4[1])
    w = max(w, kw - pad4[2] - pad4[3])
    return (n, c, h, w), f, (kh, kw), stride, padding, pad4


@given(layer_cases())
def test_output_shape_matches_conv2d_and_enumeration(case):
    shape, f, kernel, stride, padding, pad4 = case
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(np.float32)
    weight = rng.normal(size=(f, shape[1]) + kernel).astype(np.float32)
    out = cnnlib.conv2d(x, weight, stride=stride, padding=padding)
    predicted = LC.conv_output_shape(shape, f, kernel, stride, padding)
    assert predicted == out.shape
    assert predicted[2] == _positions_by_enumeration(shape[2], kernel[0], sh, pad4[0], pad4[1])
    assert predicted[3] == _positions_by_enumeration(shape[3], kernel[1], sw, pad4[2], pad4[3])


def test_guide_example_shape_and_cost():
    # 30x30x3 image, 96 filters of 3x3x3, stride 3: hand-worked numbers
    cost = LC.conv_layer_cost((1, 3, 30, 30), 96, 3, stride=3)
    assert cost.output_shape == (1, 96, 10, 10)
    assert cost.macs == 96 * 100 * 27 == 259_200
    assert cost.flops == 2 * 259_200
    assert cost.params == 96 * 27 + 96
    assert cost.output_bytes == 96 * 100 * 4
    assert cost.input_bytes == 2700 * 4


# --------------------------------------------------------------------------
# multiply-accumulates


class _CountingNumpy:
    """Stands in for numpy inside cnnlib.reference: counts the products np.sum adds up."""

    def __init__(self):
        self.products = 0
        self.dot_products = 0

    def sum(self, a, *args, **kwargs):
        self.products += np.asarray(a).size
        self.dot_products += 1
        return np.sum(a, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(np, name)


@pytest.mark.parametrize("shape, f, kernel, stride, padding", [
    ((1, 3, 30, 30), 4, 3, 3, 0),
    ((2, 2, 9, 7), 3, (3, 2), (2, 1), (1, 0)),
    ((1, 1, 8, 8), 2, 3, 2, 0),          # stride does not divide: pixel 7 unused
    ((1, 2, 6, 6), 2, 4, 1, "same"),     # even kernel, asymmetric padding
    ((3, 1, 5, 5), 1, 5, 1, 2),          # padding larger than the image border
    ((1, 4, 7, 7), 5, 1, 3, 0),          # 1x1 kernel, stride > kernel
])
def test_macs_equal_products_formed_by_reference_loop(monkeypatch, shape, f, kernel, stride, padding):
    counter = _CountingNumpy()
    monkeypatch.setattr(R, "np", counter)
    rng = np.random.default_rng(1)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = rng.normal(size=shape)
    weight = rng.normal(size=(f, shape[1], kh, kw))
    out = R.conv2d(x, weight, stride=stride, padding=padding)
    monkeypatch.undo()
    assert counter.products > 0, "the reference loop no longer calls np.sum: update this test"
    assert counter.dot_products == out.size
    assert LC.conv_macs(shape, f, kernel, stride, padding) == counter.products


@given(layer_cases())
def test_macs_match_pytorch_flop_counter(case):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    shape, f, kernel, stride, padding, pad4 = case
    x = torch.zeros(shape)
    w = torch.zeros((f, shape[1]) + kernel)
    # torch pads symmetrically; give it the padded input for cnnlib's "same" rule
    x = torch.nn.functional.pad(x, (pad4[2], pad4[3], pad4[0], pad4[1]))
    with FlopCounterMode(display=False) as counter:
        torch.nn.functional.conv2d(x, w, stride=stride)
    assert 2 * LC.conv_macs(shape, f, kernel, stride, padding) == counter.get_total_flops()


def test_cost_scales_with_output_positions_not_input_size():
    # same input, stride s: MACs are exactly proportional to Ho * Wo
    base = LC.conv_layer_cost((1, 3, 61, 61), 8, 3, stride=1)
    for s in range(1, 7):
        cost = LC.conv_layer_cost((1, 3, 61, 61), 8, 3, stride=s)
        ho, wo = cost.output_shape[2:]
        assert cost.macs * base.output_shape[2] * base.output_shape[3] == base.macs * ho * wo
        assert cost.params == base.params
    # when s divides n - k, the ratio is exactly ((n - k)/s + 1)^2 / (n - k + 1)^2
    assert LC.conv_macs((1, 3, 61, 61), 8, 3, stride=2) * 59 ** 2 == base.macs * 30 ** 2


# --------------------------------------------------------------------------
# parameters and memory


@pytest.mark.parametrize("c, f, kernel, bias", [(3, 96, 3, True), (1, 6, 5, False),
                                                 (8, 16, (3, 5), True), (2, 1, 1, True)])
def test_params_match_layer_arrays(c, f, kernel, bias):
    layer = nn.Conv2d(c, f, kernel, bias=bias, rng=np.random.default_rng(0))
    assert LC.conv_params(c, f, kernel, bias) == sum(p.data.size for p in layer.parameters())
    torch = pytest.importorskip("torch")
    tlayer = torch.nn.Conv2d(c, f, kernel, bias=bias)
    assert LC.conv_params(c, f, kernel, bias) == sum(p.numel() for p in tlayer.parameters())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_bytes_match_nbytes(dtype):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 11, 9)).astype(dtype)
    weight = rng.normal(size=(5, 3, 3, 3)).astype(dtype)
    out = cnnlib.conv2d(x, weight, stride=2, padding=1)
    cost = LC.conv_layer_cost(x.shape, 5, 3, stride=2, padding=1, dtype=dtype)
    assert cost.output_bytes == out.nbytes
    assert cost.input_bytes == x.nbytes
    assert cost.param_bytes == weight.nbytes + 5 * np.dtype(dtype).itemsize
    assert LC.activation_bytes(out.shape, dtype) == out.nbytes


# --------------------------------------------------------------------------
# which input pixels a layer uses


@given(st.integers(1, 20), st.integers(1, 5), st.integers(1, 5), st.integers(0, 2))
def test_window_coverage_matches_gradient_of_all_ones_conv(n, k, s, p):
    if k > n + 2 * p:
        return
    x = np.zeros((1, 1, 1, n))
    weight = np.ones((1, 1, 1, k))
    out_shape = LC.conv_output_shape(x.shape, 1, (1, k), (1, s), (0, p))
    # d(sum of outputs)/dx[j] = number of windows that contain pixel j
    grad_x, _, _ = R.conv2d_backward(np.ones(out_shape), x, weight, stride=(1, s), padding=(0, p))
    assert np.array_equal(LC.window_coverage(n, k, s, p), grad_x[0, 0, 0].astype(np.int64))


def test_leftover_pixels_do_not_change_output():
    coverage = LC.window_coverage(8, 3, 2)
    assert coverage.tolist() == [1, 1, 2, 1, 2, 1, 1, 0]
    x = np.random.default_rng(3).normal(size=(1, 1, 8, 8))
    weight = np.ones((1, 1, 3, 3))
    y = cnnlib.conv2d(x, weight, stride=2)
    x2 = x.copy()
    x2[..., 7, :] += 100.0
    x2[..., :, 7] += 100.0
    assert np.array_equal(cnnlib.conv2d(x2, weight, stride=2), y)


# --------------------------------------------------------------------------
# receptive fields


def _positive_stack(specs, seed=0):
    """cnnlib layers with positive weights and zero biases: no cancellation anywhere."""
    rng = np.random.default_rng(seed)
    layers = []
    for spec in specs:
        kind, args = spec[0], spec[1:]
        if kind == "conv":
            layer = nn.Conv2d(1, 1, *args, rng=rng, dtype=np.float64)
            layer.weight.data[...] = rng.uniform(0.5, 1.0, size=layer.weight.shape)
            layer.bias.data[...] = 0.0
        elif kind == "max":
            layer = nn.MaxPool2d(*args)
        elif kind == "avg":
            layer = nn.AvgPool2d(*args)
        else:
            layer = nn.ReLU()
        layers.append(layer)
    return nn.Sequential(*layers)


def _region_by_gradient(model, hw, out_index):
    """Input pixels whose gradient with respect to one output pixel is nonzero."""
    x = np.ones((1, 1) + hw)
    out = model(x)
    grad = np.zeros_like(out)
    grad[(0, 0) + out_index] = 1.0
    return model.backward(grad)[0, 0] != 0


def _region_by_impulse(model, hw, out_index):
    """Input pixels that, lit alone on a black image, change one output pixel."""
    h, w = hw
    impulses = np.zeros((h * w, 1, h, w))
    impulses[np.arange(h * w), 0, np.arange(h * w) // w, np.arange(h * w) % w] = 1.0
    baseline = model(np.zeros((1, 1, h, w)))[(0, 0) + out_index]
    changed = model(impulses)[(slice(None), 0) + out_index] != baseline
    return changed.reshape(h, w)


def _expected_box(fields_h, fields_w, hw, out_index):
    (r0, r1), (c0, c1) = fields_h.span(out_index[0]), fields_w.span(out_index[1])
    return max(r0, 0), min(r1, hw[0] - 1), max(c0, 0), min(c1, hw[1] - 1)


def _bounding_box(mask):
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return rows[0], rows[-1], cols[0], cols[-1]


STACKS = {
    "three 3x3 convs": [("conv", 3), ("conv", 3), ("conv", 3)],
    "conv-pool x2 (max)": [("conv", 3, 1, 1), ("relu",), ("max", 2), ("conv", 3, 1, 1), ("max", 2),
                           ("conv", 3, 1, 1)],
    "strided conv, padded avg pool": [("conv", 5, 2, 2), ("avg", 3, 2, 1), ("conv", 3, 1, 1)],
    "'same' even kernel": [("conv", 4, 1, "same"), ("conv", 2, 1, "same"), ("conv", 3, 2, 0)],
    "rectangular kernels": [("conv", (3, 5), (1, 2), (1, 0)), ("conv", (1, 3), (2, 1), 0)],
}


# a max pool passes the gradient to one input only, so stacks with one are
# measured by impulse only
MEASUREMENTS = [(name, method) for name in sorted(STACKS) for method in ("gradient", "impulse")
                if not (method == "gradient" and any(spec[0] == "max" for spec in STACKS[name]))]


@pytest.mark.parametrize("name, method", MEASUREMENTS)
def test_receptive_field_matches_measured_region(name, method):
    model = _positive_stack(STACKS[name])
    hw = (23, 26)
    fields_h = LC.receptive_fields(model.layers, axis=0)
    fields_w = LC.receptive_fields(model.layers, axis=1)
    out_hw = model(np.zeros((1, 1) + hw)).shape[2:]
    measure = _region_by_gradient if method == "gradient" else _region_by_impulse
    # corners (fields reaching into the padding) and an interior pixel
    for out_index in [(0, 0), (out_hw[0] - 1, out_hw[1] - 1), (out_hw[0] // 2, out_hw[1] // 3)]:
        region = measure(model, hw, out_index)
        r0, r1, c0, c1 = _expected_box(fields_h[-1], fields_w[-1], hw, out_index)
        assert _bounding_box(region) == (r0, r1, c0, c1), (name, out_index)
        assert region[r0:r1 + 1, c0:c1 + 1].all(), "no holes when every kernel >= its stride"


def test_receptive_field_with_holes():
    # a 1x1 conv with stride 2 skips every other pixel; a 3x3 conv after it spans 5
    # pixels but depends on only 3 of them per axis
    model = _positive_stack([("conv", 1, 2), ("conv", 3)])
    field = LC.receptive_fields(model.layers)[-1]
    assert (field.size, field.jump, field.start) == (5, 2, 0)
    region = _region_by_gradient(model, (11, 11), (1, 2))
    assert _bounding_box(region) == (*field.span(1), *field.span(2))
    assert region.sum() == 9
    assert region[2:7:2, 4:9:2].all()


@st.composite
def random_stacks(draw):
    specs = []
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.integers(1, 5))
        s = draw(st.integers(1, k))         # stride <= kernel: no holes
        p = draw(st.integers(0, k // 2))
        specs.append((draw(st.sampled_from(["conv", "avg"])), k, s, p))
    return specs


@given(random_stacks())
def test_receptive_field_random_stacks(specs):
    # avg pool needs padding <= k / 2 (true by construction); the input must be
    # large enough for every layer: grow it from the receptive field
    fields = LC.receptive_fields([(k, s, p) for _, k, s, p in specs])
    n = fields[-1].size + 2 * fields[-1].jump + 2
    model = _positive_stack(specs)
    out_n = model(np.zeros((1, 1, n, n))).shape[2]
    for i in {0, out_n - 1, out_n // 2}:
        region = _region_by_gradient(model, (n, n), (i, i))
        _, last = fields[-1].span(i)
        r0, r1, c0, c1 = _expected_box(fields[-1], fields[-1], (n, n), (i, i))
        box = _bounding_box(region)
        if last <= n - 1:
            assert box == (r0, r1, c0, c1)
            assert region[r0:r1 + 1, c0:c1 + 1].all()
        else:
            # past the image's far edge the span may cover input pixels that only
            # an earlier layer's padding stands for: those contribute nothing
            assert (box[0], box[2]) == (r0, c0)
            assert box[1] <= r1 and box[3] <= c1
            assert not region[:r0].any() and not region[r1 + 1:].any()


def test_receptive_fields_hand_worked():
    sizes = [rf.size for rf in LC.receptive_fields([(3,), (3,), (3,)])]
    assert sizes == [3, 5, 7]
    alexnet = [(11, 4, 2), (3, 2), (5, 1, 2), (3, 2), (3, 1, 1), (3, 1, 1), (3, 1, 1), (3, 2)]
    last = LC.receptive_fields(alexnet)[-1]
    assert (last.size, last.jump) == (195, 32)
    assert LC.receptive_fields([(3, 1, 1), (2, 2)])[-1].center(0) == 0.5


# --------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("call, error, words", [
    (lambda: LC.conv_output_shape((3, 30, 30), 96, 3), ValueError, "input_shape"),
    (lambda: LC.conv_output_shape((1, 3, 30.0, 30), 96, 3), TypeError, "input_shape"),
    (lambda: LC.conv_output_shape((1, 3, 30, 30), 0, 3), ValueError, "out_channels"),
    (lambda: LC.conv_output_shape((1, 3, 2, 2), 1, 5), ValueError, "kernel"),
    (lambda: LC.conv_output_shape((1, 3, 8, 8), 1, 3, stride=0), ValueError, "stride"),
    (lambda: LC.conv_output_shape((1, 3, 8, 8), 1, 3, padding=-1), ValueError, "padding"),
    (lambda: LC.conv_output_shape((1, 3, 8, 8), 1, 3, 2, "same"), ValueError, "same"),
    (lambda: LC.conv_params(3, 8, 3, bias="yes"), TypeError, "bias"),
    (lambda: LC.conv_params(0, 8, 3), ValueError, "in_channels"),
    (lambda: LC.activation_bytes((2, -1)), ValueError, "shape"),
    (lambda: LC.window_coverage(4, 5), ValueError, "kernel"),
    (lambda: LC.window_coverage(4, 3, padding=1.5), TypeError, "padding"),
    (lambda: LC.receptive_fields([(3, 0)]), ValueError, "stride"),
    (lambda: LC.receptive_fields(["conv"]), TypeError, "layer"),
    (lambda: LC.receptive_fields([nn.Flatten()]), TypeError, "layer"),
    (lambda: LC.receptive_fields([(3,)], axis=2), ValueError, "axis"),
])
def test_bad_arguments_are_named(call, error, words):
    with pytest.raises(error, match=words):
        call()
