"""Small examples whose answers were worked out on paper (see each comment).

Both the fast ops and the reference loops must give these answers. Integer
valued inputs keep every expected value exact.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import cnnlib
from cnnlib import conv_output_size, nn
from cnnlib import functional as F
from cnnlib import reference as R

IMPLS = pytest.mark.parametrize("impl", [F, R], ids=["fast", "reference"])


def as4d(rows) -> np.ndarray:
    """A single-image, single-channel batch (1, 1, H, W) from nested lists."""
    return np.array(rows, dtype=np.float64)[None, None]


# --------------------------------------------------------------------------
# convolution forward


@IMPLS
def test_3x3_input_2x2_kernel(impl):
    x = as4d([[1, 2, 3],
              [4, 5, 6],
              [7, 8, 9]])
    w = as4d([[1, 2],
              [3, 4]])
    # top-left: 1*1 + 2*2 + 4*3 + 5*4 = 37, then slide right / down:
    # 2+6+15+24 = 47, 4+10+21+32 = 67, 5+12+24+36 = 77.
    # (A true convolution would flip the kernel and give 23 top-left.)
    np.testing.assert_array_equal(impl.conv2d(x, w), as4d([[37, 47], [67, 77]]))


@IMPLS
def test_bias_is_added_to_every_output_pixel(impl):
    x = as4d([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    w = as4d([[1, 2], [3, 4]])
    np.testing.assert_array_equal(impl.conv2d(x, w, np.array([-7.0])),
                                  as4d([[30, 40], [60, 70]]))


@IMPLS
def test_vertical_edge_filter_on_a_step_image(impl):
    # dark left half, bright right half: one vertical edge between columns 2 and 3
    step = as4d([[0, 0, 0, 1, 1, 1]] * 4)
    vertical = as4d([[-1, 0, 1]] * 3)
    # each output = 3 * (x[col + 2] - x[col]): 0 far from the edge, 3 on it
    np.testing.assert_array_equal(impl.conv2d(step, vertical), as4d([[0, 3, 3, 0]] * 2))
    # the same filter sees nothing in a horizontal edge
    horizontal_step = as4d([[0] * 6] * 2 + [[1] * 6] * 2)
    np.testing.assert_array_equal(impl.conv2d(horizontal_step, vertical), np.zeros((1, 1, 2, 4)))


@IMPLS
def test_two_input_channels_are_summed(impl):
    x = np.stack([np.ones((2, 2)), 2 * np.ones((2, 2))])[None]  # (1, 2, 2, 2)
    w = np.stack([np.ones((2, 2)), 10 * np.ones((2, 2))])[None]  # (1, 2, 2, 2)
    # channel 0: 4 * 1 * 1 = 4, channel 1: 4 * 2 * 10 = 80
    np.testing.assert_array_equal(impl.conv2d(x, w), [[[[84.0]]]])


@IMPLS
def test_stride_2(impl):
    x = as4d(np.arange(25).reshape(5, 5))
    ones = np.ones((1, 1, 3, 3))
    # a 3x3 block of arange(25).reshape(5, 5) sums to 9 * its centre value;
    # stride 2 puts the centres at (1,1)=6, (1,3)=8, (3,1)=16, (3,3)=18
    np.testing.assert_array_equal(impl.conv2d(x, ones, stride=2), as4d([[54, 72], [144, 162]]))
    # stride (1, 2): centres (1,1), (1,3), (2,1), (2,3), (3,1), (3,3)
    np.testing.assert_array_equal(impl.conv2d(x, ones, stride=(1, 2)),
                                  as4d([[54, 72], [99, 117], [144, 162]]))


@IMPLS
def test_padding_1(impl):
    x = as4d([[1, 2],
              [3, 4]])
    # every 3x3 window of the zero-padded 4x4 covers the whole 2x2 image: sum 10
    np.testing.assert_array_equal(impl.conv2d(x, np.ones((1, 1, 3, 3)), padding=1),
                                  as4d([[10, 10], [10, 10]]))
    # a kernel that picks the right-hand neighbour shifts the image left, zeros enter
    right = as4d([[0, 0, 0], [0, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(impl.conv2d(x, right, padding=1), as4d([[2, 0], [4, 0]]))
    # a centred identity kernel with padding 1 ("same") returns the image itself
    identity = as4d([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(impl.conv2d(x, identity, padding="same"), x)


@IMPLS
def test_stride_2_and_padding_1(impl):
    x = as4d([[1, 2, 3],
              [4, 5, 6],
              [7, 8, 9]])
    # padded to 5x5; 3x3 windows at rows/cols 0 and 2 of the padded image.
    # top-left window covers x[0:2, 0:2] = 1+2+4+5 = 12, top-right x[0:2, 1:3]
    # = 2+3+5+6 = 16, bottom-left 4+5+7+8 = 24, bottom-right 5+6+8+9 = 28
    np.testing.assert_array_equal(impl.conv2d(x, np.ones((1, 1, 3, 3)), stride=2, padding=1),
                                  as4d([[12, 16], [24, 28]]))


@IMPLS
def test_same_padding_with_an_even_kernel_pads_bottom_right(impl):
    x = as4d([[1, 2],
              [3, 4]])
    # 2x2 kernel of ones, "same": one extra row and column of zeros at the
    # bottom/right (nothing at the top/left), so window (i, j) = x[i:i+2, j:j+2]
    np.testing.assert_array_equal(impl.conv2d(x, np.ones((1, 1, 2, 2)), padding="same"),
                                  as4d([[10, 6], [7, 4]]))


@IMPLS
def test_guide_example_30x30x3_stride_3_gives_10x10x96(impl):
    # the beginner's guide: a 30x30 RGB image, 3x3 filters, stride 3, 96 filters
    assert conv_output_size(30, 3, stride=3) == 10
    x = np.ones((1, 3, 30, 30), dtype=np.float32)
    w = np.ones((96, 3, 3, 3), dtype=np.float32)
    y = impl.conv2d(x, w, stride=3)
    assert y.shape == (1, 96, 10, 10)
    # every filter sums 3 channels x 3 x 3 ones = 27
    assert np.all(y == 27)


def test_conv_output_size_worked_values():
    assert conv_output_size(28, 5) == 24             # (28 - 5) / 1 + 1
    assert conv_output_size(32, 3, padding=1) == 32  # "same" for a 3x3 kernel
    assert conv_output_size(7, 3, stride=2) == 3     # positions 0, 2, 4
    assert conv_output_size(8, 3, stride=2) == 3     # positions 0, 2, 4; column 7 unused
    assert conv_output_size(5, 2, stride=2, padding=1) == 3  # (5 + 2 - 2) // 2 + 1


# --------------------------------------------------------------------------
# pooling forward


X4 = [[1, 3, 2, 4],
      [5, 6, 7, 8],
      [9, 2, 1, 0],
      [3, 4, 5, 6]]


@IMPLS
def test_max_pool_4x4(impl):
    # maxima of the four 2x2 blocks: {1,3,5,6}=6, {2,4,7,8}=8, {9,2,3,4}=9, {1,0,5,6}=6
    np.testing.assert_array_equal(impl.max_pool2d(as4d(X4), 2), as4d([[6, 8], [9, 6]]))
    # 3x3 windows with stride 1: four overlapping windows
    np.testing.assert_array_equal(impl.max_pool2d(as4d(X4), 3, stride=1), as4d([[9, 8], [9, 8]]))


@IMPLS
def test_max_pool_pads_with_minus_infinity(impl):
    x = as4d([[-1, -2],
              [-3, -4]])
    # with zero padding every window would report 0; with -inf padding each
    # window reports the largest real value it covers
    np.testing.assert_array_equal(impl.max_pool2d(x, 2, stride=1, padding=1),
                                  as4d([[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]]))


@IMPLS
def test_avg_pool(impl):
    x = as4d(np.arange(16).reshape(4, 4))
    # block means: (0+1+4+5)/4 = 2.5, (2+3+6+7)/4 = 4.5, (8+9+12+13)/4 = 10.5, 12.5
    np.testing.assert_array_equal(impl.avg_pool2d(x, 2), as4d([[2.5, 4.5], [10.5, 12.5]]))


@IMPLS
def test_avg_pool_counts_padding_zeros(impl):
    x = as4d([[4, 8],
              [12, 16]])
    # kernel 2, stride 2, padding 1: each window holds one real pixel and three
    # zeros, and divides by 4 (PyTorch's count_include_pad=True)
    np.testing.assert_array_equal(impl.avg_pool2d(x, 2, padding=1), as4d([[1, 2], [3, 4]]))


# --------------------------------------------------------------------------
# backward passes


@IMPLS
def test_conv_backward_one_pixel(impl):
    x, w = as4d([[3.0]]), as4d([[2.0]])
    # y = w x + b, dy = 5: dx = 5 w = 10, dw = 5 x = 15, db = 5
    gx, gw, gb = impl.conv2d_backward(as4d([[5.0]]), x, w)
    np.testing.assert_array_equal(gx, as4d([[10.0]]))
    np.testing.assert_array_equal(gw, as4d([[15.0]]))
    np.testing.assert_array_equal(gb, [5.0])


@IMPLS
def test_conv_backward_3x3_input_2x2_kernel(impl):
    x = as4d([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    w = as4d([[1, 2], [3, 4]])
    gx, gw, gb = impl.conv2d_backward(np.ones((1, 1, 2, 2)), x, w)
    # dw[u, v] = sum of the four pixels tap (u, v) saw: x[u:u+2, v:v+2].sum()
    np.testing.assert_array_equal(gw, as4d([[12, 16], [24, 28]]))
    # dx: each pixel collects w[u, v] from every window that covers it
    np.testing.assert_array_equal(gx, as4d([[1, 3, 2], [4, 10, 6], [3, 7, 4]]))
    np.testing.assert_array_equal(gb, [4.0])


@IMPLS
def test_conv_backward_with_padding_drops_the_border_gradient(impl):
    x = as4d([[1, 2], [3, 4]])
    ones = np.ones((1, 1, 3, 3))
    gx, gw, _ = impl.conv2d_backward(np.ones((1, 1, 2, 2)), x, ones, padding=1)
    # every pixel sits in all four windows
    np.testing.assert_array_equal(gx, 4 * np.ones((1, 1, 2, 2)))
    # tap (u, v) saw the 2x2 block padded[u:u+2, v:v+2] of the zero-padded
    # image [[0,0,0,0],[0,1,2,0],[0,3,4,0],[0,0,0,0]]; e.g. tap (0, 0) saw
    # only the 1, tap (1, 1) the whole image, tap (2, 1) the bottom row 3+4
    np.testing.assert_array_equal(gw, as4d([[1, 3, 2], [4, 10, 6], [3, 7, 4]]))


@IMPLS
def test_max_pool_backward_routes_to_the_argmax(impl):
    g = impl.max_pool2d_backward(as4d([[1, 2], [3, 4]]), as4d(X4), 2)
    # the maxima 6, 8, 9, 6 sit at (1,1), (1,3), (2,0), (3,3)
    expected = np.zeros((4, 4))
    expected[1, 1], expected[1, 3], expected[2, 0], expected[3, 3] = 1, 2, 3, 4
    np.testing.assert_array_equal(g, expected[None, None])


@IMPLS
def test_max_pool_backward_ties_go_to_the_first_in_row_major_order(impl):
    x = as4d([[5, 5, 1, 7],
              [5, 5, 7, 2]])
    g = impl.max_pool2d_backward(as4d([[10, 20]]), x, 2)
    # window 1: all 5 -> top-left; window 2: 7 at (0,3) and (1,2) -> (0,3) comes first
    np.testing.assert_array_equal(g, as4d([[10, 0, 0, 20], [0, 0, 0, 0]]))


@IMPLS
def test_overlapping_max_pool_backward_adds_up(impl):
    x = as4d([[1, 5, 2, 0]])
    # windows of 2 with stride 1: [1,5] [5,2] [2,0] -> maxima 5, 5, 2;
    # the 5 wins two windows and collects both gradients
    np.testing.assert_array_equal(impl.max_pool2d(x, (1, 2), stride=1), as4d([[5, 5, 2]]))
    g = impl.max_pool2d_backward(as4d([[1, 10, 100]]), x, (1, 2), stride=1)
    np.testing.assert_array_equal(g, as4d([[0, 11, 100, 0]]))


@IMPLS
def test_avg_pool_backward_shares_equally(impl):
    g = impl.avg_pool2d_backward(as4d([[4, 8], [12, 16]]), np.zeros((1, 1, 4, 4)), 2)
    np.testing.assert_array_equal(g, as4d([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]))
    # overlapping windows (kernel 2, stride 1 over 1x3): middle pixel in both
    g = impl.avg_pool2d_backward(as4d([[2, 6]]), np.zeros((1, 1, 1, 3)), (1, 2), stride=1)
    np.testing.assert_array_equal(g, as4d([[1, 4, 3]]))


# --------------------------------------------------------------------------
# layers with known values


def test_cross_entropy_of_uniform_logits_is_log_c():
    for c in (2, 3, 10):
        loss = nn.CrossEntropyLoss()(np.full((4, c), 0.7), np.arange(4) % c)
        assert loss == pytest.approx(math.log(c), rel=1e-12)


def test_cross_entropy_of_known_logits():
    # logits (0, ln 3) -> softmax (1/4, 3/4)
    logits = np.array([[0.0, math.log(3.0)], [0.0, math.log(3.0)]])
    loss = nn.CrossEntropyLoss()(logits, np.array([1, 0]))
    # mean of -ln(3/4) and -ln(1/4)
    assert loss == pytest.approx((math.log(4 / 3) + math.log(4)) / 2, rel=1e-12)


def test_cross_entropy_does_not_overflow():
    loss_fn = nn.CrossEntropyLoss()
    assert loss_fn(np.array([[1000.0, 0.0]]), np.array([0])) == pytest.approx(0.0, abs=1e-12)
    assert loss_fn(np.array([[1000.0, 0.0]]), np.array([1])) == pytest.approx(1000.0, rel=1e-12)
    assert np.all(np.isfinite(loss_fn.backward()))


def test_softmax_cross_entropy_gradient():
    loss_fn = nn.CrossEntropyLoss()
    logits = np.array([[0.0, math.log(3.0)], [math.log(3.0), 0.0]])
    loss_fn(logits, np.array([1, 1]))
    # (softmax - one_hot) / N with N = 2: row 0 (1/4, 3/4 - 1), row 1 (3/4, 1/4 - 1)
    np.testing.assert_allclose(loss_fn.backward(), [[0.125, -0.125], [0.375, -0.375]], rtol=1e-12)


def test_relu_values_and_gradient():
    relu = nn.ReLU()
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 5.0]])
    # ReLU keeps positive values as they are: 5 stays 5 (it does not squash to [-1, 1])
    np.testing.assert_array_equal(relu(x), [[0, 0, 0, 0.5, 5.0]])
    # slope 1 where x > 0, 0 elsewhere (0 at x = 0, as PyTorch)
    np.testing.assert_array_equal(relu.backward(np.full_like(x, 3.0)), [[0, 0, 0, 3, 3]])


def test_tanh_values_and_gradient():
    tanh = nn.Tanh()
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6; tanh(0) = 0; tanh(20) ~ 1, tanh(-20) ~ -1
    y = tanh(np.array([[math.log(2.0), 0.0, 20.0, -20.0]]))
    np.testing.assert_allclose(y, [[0.6, 0.0, 1.0, -1.0]], rtol=1e-12, atol=1e-15)
    # d tanh = 1 - tanh^2: 0.64 at ln 2, 1 at 0, ~0 far out
    np.testing.assert_allclose(tanh.backward(np.ones((1, 4))), [[0.64, 1.0, 0.0, 0.0]],
                               rtol=1e-12, atol=1e-15)


def test_linear_values():
    layer = nn.Linear(2, 3, dtype=np.float64)
    layer.weight.data[...] = [[1, 0], [0, 1], [1, 1]]
    layer.bias.data[...] = [0, 0, 1]
    np.testing.assert_array_equal(layer(np.array([[1.0, 2.0]])), [[1, 2, 4]])
    # dx = g @ W, dW = g^T x, db = sum g
    np.testing.assert_array_equal(layer.backward(np.array([[1.0, 1.0, 1.0]])), [[2, 2]])
    np.testing.assert_array_equal(layer.weight.grad, [[1, 2], [1, 2], [1, 2]])
    np.testing.assert_array_equal(layer.bias.grad, [1, 1, 1])


def test_flatten_shape_and_inverse():
    flat = nn.Flatten()
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    y = flat(x)
    assert y.shape == (2, 60)
    np.testing.assert_array_equal(y[1], np.arange(60, 120))  # C, H, W order kept per sample
    np.testing.assert_array_equal(flat.backward(y), x)


def test_network_shapes_of_the_design_example():
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.Flatten(),
        nn.Linear(256, 10, rng=rng))
    x = np.zeros((5, 1, 8, 8), dtype=np.float32)
    shapes = []
    for layer in model.layers:
        x = layer(x)
        shapes.append(x.shape)
    # 8x8 -> conv pad 1 keeps 8x8 -> pool 2 halves to 4x4 -> 16 * 4 * 4 = 256
    assert shapes == [(5, 8, 8, 8), (5, 8, 8, 8), (5, 8, 4, 4), (5, 16, 4, 4), (5, 16, 4, 4),
                      (5, 256), (5, 10)]
    assert cnnlib.conv2d is F.conv2d
