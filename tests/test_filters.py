"""cnnlib.course.filters: the named kernels do what their docstrings say, and stack_filters builds weights."""

import numpy as np
import pytest
from scipy import ndimage, signal

import cnnlib
from cnnlib.course import filters

DETECTORS = ["horizontal_line", "vertical_line", "diagonal_line", "anti_diagonal_line",
             "horizontal_edge", "vertical_edge"]
SMOOTHERS = ["box_blur", "gaussian_blur", "sharpen"]


def line_image(kind: str, size: int = 7) -> np.ndarray:
    """A dark image with one bright, one-pixel line through the centre."""
    img = np.zeros((size, size))
    c = size // 2
    if kind == "horizontal":
        img[c, :] = 1
    elif kind == "vertical":
        img[:, c] = 1
    elif kind == "diagonal":          # "\": row index == column index
        img[np.arange(size), np.arange(size)] = 1
    elif kind == "anti_diagonal":     # "/": rising to the right, row 0 at the top
        img[np.arange(size), size - 1 - np.arange(size)] = 1
    return img


def test_every_kernel_is_3x3_float_and_read_only():
    assert set(filters.FILTERS) == set(DETECTORS + SMOOTHERS)
    for name, k in filters.FILTERS.items():
        assert k.shape == (3, 3) and k.dtype == np.float64, name
        with pytest.raises(ValueError):
            k[0, 0] = 99.0


def test_weight_sums():
    # detectors ignore constant brightness; smoothers keep it
    for name in DETECTORS:
        assert filters.FILTERS[name].sum() == pytest.approx(0.0, abs=1e-12), name
    for name in SMOOTHERS:
        assert filters.FILTERS[name].sum() == pytest.approx(1.0), name


@pytest.mark.parametrize("kind", ["horizontal", "vertical", "diagonal", "anti_diagonal"])
def test_each_line_detector_prefers_its_own_orientation(kind):
    # response at the centre pixel, by direct correlation with SciPy (independent of cnnlib)
    scores = {}
    for other in ["horizontal", "vertical", "diagonal", "anti_diagonal"]:
        response = signal.correlate2d(line_image(other), filters.FILTERS[f"{kind}_line"], mode="valid")
        scores[other] = response[response.shape[0] // 2, response.shape[1] // 2]
    assert scores[kind] == pytest.approx(6.0)
    assert all(scores[kind] > s for o, s in scores.items() if o != kind)


def test_anti_diagonal_is_the_45_degree_line_rising_to_the_right():
    # in image coordinates (row 0 at the top) the bottom-left and top-right corners are on "/"
    k = filters.ANTI_DIAGONAL_LINE
    assert k[2, 0] == k[1, 1] == k[0, 2] == 2


def test_sobel_kernels_match_scipy_on_the_interior():
    rng = np.random.default_rng(0)
    img = rng.random((9, 11))
    # scipy's sobel(axis=0) is bottom minus top; ours is top minus bottom, as documented
    horizontal = signal.correlate2d(img, filters.HORIZONTAL_EDGE, mode="valid")
    vertical = signal.correlate2d(img, filters.VERTICAL_EDGE, mode="valid")
    np.testing.assert_allclose(horizontal, -ndimage.sobel(img, axis=0)[1:-1, 1:-1], atol=1e-12)
    np.testing.assert_allclose(vertical, -ndimage.sobel(img, axis=1)[1:-1, 1:-1], atol=1e-12)


def test_edge_signs():
    step = np.zeros((6, 6))
    step[:3] = 1.0                                   # bright top, dark bottom
    assert signal.correlate2d(step, filters.HORIZONTAL_EDGE, mode="valid").max() == pytest.approx(4.0)
    left = np.zeros((6, 6))
    left[:, :3] = 1.0                                # bright left, dark right
    assert signal.correlate2d(left, filters.VERTICAL_EDGE, mode="valid").max() == pytest.approx(4.0)


def test_blurs_and_sharpen():
    np.testing.assert_allclose(filters.GAUSSIAN_BLUR, np.outer([1, 2, 1], [1, 2, 1]) / 16)
    np.testing.assert_allclose(filters.BOX_BLUR, np.full((3, 3), 1 / 9))
    # sharpen = identity + 4 * (identity - mean of the 4 neighbours)
    identity = np.zeros((3, 3))
    identity[1, 1] = 1
    neighbours = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]) / 4
    np.testing.assert_allclose(filters.SHARPEN, identity + 4 * (identity - neighbours))
    # blurring a single bright pixel spreads it into the kernel itself (flipped, symmetric here)
    dot = np.zeros((5, 5))
    dot[2, 2] = 1
    np.testing.assert_allclose(signal.correlate2d(dot, filters.GAUSSIAN_BLUR, mode="same")[1:4, 1:4],
                               filters.GAUSSIAN_BLUR)
    # the Gaussian kernel's variance along rows is 1/2
    rows = filters.GAUSSIAN_BLUR.sum(axis=1)
    assert np.sum(rows * np.array([-1, 0, 1]) ** 2) == pytest.approx(0.5)


def test_get_filter_returns_a_writable_copy():
    k = filters.get_filter("sharpen")
    k[1, 1] = 0
    assert filters.SHARPEN[1, 1] == 5
    with pytest.raises(KeyError, match="known filters: horizontal_line"):
        filters.get_filter("emboss")


def test_stack_filters_shape_dtype_and_slices():
    w = filters.stack_filters(["horizontal_line", filters.VERTICAL_LINE, filters.BOX_BLUR], in_channels=3)
    assert w.shape == (3, 3, 3, 3) and w.dtype == np.float32
    for c in range(3):
        np.testing.assert_allclose(w[0, c], filters.HORIZONTAL_LINE / 3, rtol=1e-6)
    w_sum = filters.stack_filters([filters.VERTICAL_LINE], in_channels=2, average_channels=False,
                                  dtype=np.float64)
    assert w_sum.dtype == np.float64
    np.testing.assert_array_equal(w_sum[0, 1], filters.VERTICAL_LINE)


def test_stack_filters_responds_to_the_channel_mean():
    # averaged filter on RGB == the kernel on the greyscale (channel-mean) image, via SciPy
    rng = np.random.default_rng(1)
    rgb = rng.random((1, 3, 8, 9))
    w = filters.stack_filters([filters.DIAGONAL_LINE, filters.SHARPEN], in_channels=3, dtype=np.float64)
    got = cnnlib.conv2d(rgb, w)
    grey = rgb[0].mean(axis=0)
    for f, k in enumerate([filters.DIAGONAL_LINE, filters.SHARPEN]):
        np.testing.assert_allclose(got[0, f], signal.correlate2d(grey, k, mode="valid"), atol=1e-12)


def test_stack_filters_accepts_non_square_kernels():
    w = filters.stack_filters([np.array([[1.0, 0.0, -1.0]]), np.array([[0, 1, 0]])], in_channels=1)
    assert w.shape == (2, 1, 1, 3)


@pytest.mark.parametrize("kernels, kwargs, error, match", [
    ([], {}, ValueError, "empty"),
    ([np.ones((3, 3)), np.ones((2, 2))], {}, ValueError, "one shape"),
    ([np.ones(3)], {}, ValueError, r"2-D array \(kh, kw\), got shape \(3,\)"),
    (filters.SHARPEN, {}, ValueError, "sequence of 2-D kernels"),
    ("sharpen", {}, ValueError, "sequence of 2-D kernels"),
    ([np.ones((3, 3))], {"in_channels": 0}, ValueError, "in_channels must be >= 1"),
    ([np.ones((3, 3))], {"in_channels": 2.0}, TypeError, "in_channels must be an int"),
    ([np.array([["a", "b"]])], {}, TypeError, "numeric"),
    (["emboss"], {}, KeyError, "unknown filter"),
])
def test_stack_filters_bad_input(kernels, kwargs, error, match):
    with pytest.raises(error, match=match):
        filters.stack_filters(kernels, **kwargs)


def test_stack_of_a_3d_array_is_a_bank():
    bank = np.stack([filters.HORIZONTAL_LINE, filters.VERTICAL_LINE])
    assert filters.stack_filters(bank, in_channels=3).shape == (2, 3, 3, 3)


def test_channelwise_filters_each_channel_on_its_own():
    rng = np.random.default_rng(2)
    x = rng.random((1, 3, 7, 8))
    w = filters.channelwise("gaussian_blur", in_channels=3, dtype=np.float64)
    assert w.shape == (3, 3, 3, 3)
    got = cnnlib.conv2d(x, w)
    for c in range(3):
        np.testing.assert_allclose(got[0, c], signal.correlate2d(x[0, c], filters.GAUSSIAN_BLUR, mode="valid"),
                                   atol=1e-12)
    with pytest.raises(ValueError, match="in_channels must be >= 1"):
        filters.channelwise(filters.SHARPEN, in_channels=0)
    with pytest.raises(ValueError, match="2-D"):
        filters.channelwise(np.ones(3))
