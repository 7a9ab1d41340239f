"""cnnlib.course.resample: nearest-neighbour upsampling, cropping, MSE and PSNR.

References: explicit index formulas and loops, SciPy's zoom with order 0,
and closed forms for MSE/PSNR.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage

import cnnlib
from cnnlib.course.resample import crop_to_multiple, mse, psnr, upsample_nearest


def test_upsample_matches_the_index_formula():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4, 5))
    up = upsample_nearest(x, (2, 3))
    assert up.shape == (2, 3, 8, 15) and up.dtype == x.dtype
    for i in range(8):
        for j in range(15):
            np.testing.assert_array_equal(up[..., i, j], x[..., i // 2, j // 3])


@given(h=st.integers(1, 6), w=st.integers(1, 6), f=st.integers(1, 4))
def test_upsample_matches_scipy_zoom_order_0(h, w, f):
    x = np.arange(h * w, dtype=np.float64).reshape(h, w)
    # grid_mode=True makes zoom treat pixels as areas, which is nearest-neighbour block copying
    expected = ndimage.zoom(x, f, order=0, grid_mode=True, mode="grid-constant")
    np.testing.assert_array_equal(upsample_nearest(x, f), expected)


def test_upsample_then_pool_is_the_identity():
    # every window of the upsampled map holds copies of one value: both poolings give it back
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 2, 3, 4))
    up = upsample_nearest(x, 3)
    np.testing.assert_array_equal(cnnlib.max_pool2d(up, 3), x)
    np.testing.assert_allclose(cnnlib.avg_pool2d(up, 3), x, rtol=1e-14, atol=1e-14)


def test_factor_one_is_a_copy_of_the_values():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(upsample_nearest(x, 1), x)


@pytest.mark.parametrize("factor, error", [(0, ValueError), ((2, -1), ValueError), (1.5, TypeError),
                                           (True, TypeError), ((1, 2, 3), TypeError)])
def test_bad_factors_are_refused(factor, error):
    with pytest.raises(error, match="factor"):
        upsample_nearest(np.zeros((2, 2)), factor)


def test_one_dimensional_input_is_refused():
    with pytest.raises(ValueError, match="at least 2 axes"):
        upsample_nearest(np.zeros(4), 2)


def test_crop_to_multiple_is_a_view_of_the_top_left():
    x = np.arange(7 * 10.0).reshape(1, 7, 10)
    c = crop_to_multiple(x, (2, 4))
    assert c.shape == (1, 6, 8) and np.shares_memory(c, x)
    np.testing.assert_array_equal(c, x[:, :6, :8])
    pooled = cnnlib.max_pool2d(x[None], (2, 4))
    assert upsample_nearest(pooled, (2, 4))[0].shape == c.shape


def test_crop_refuses_a_factor_larger_than_the_map():
    with pytest.raises(ValueError, match="larger"):
        crop_to_multiple(np.zeros((3, 3)), 4)


def test_mse_and_psnr_closed_forms():
    a = np.zeros((4, 4))
    b = np.full((4, 4), 0.1)
    assert mse(a, b) == pytest.approx(0.01)
    assert psnr(a, b) == pytest.approx(20.0)              # 10 log10(1 / 0.01)
    assert psnr(a, b, peak=255) == pytest.approx(10 * math.log10(255**2 / 0.01))
    assert psnr(a, a) == math.inf
    # halving the error adds 20 log10(2) ~ 6.02 dB
    assert psnr(a, b / 2) - psnr(a, b) == pytest.approx(20 * math.log10(2))


def test_mse_is_computed_in_float64():
    a = np.full(1000, 1e4, dtype=np.float32)
    b = a + np.float32(1.0)
    assert mse(a, b) == 1.0


@pytest.mark.parametrize("fn", [mse, psnr])
def test_shape_mismatch_is_refused(fn):
    with pytest.raises(ValueError, match="one shape"):
        fn(np.zeros((2, 2)), np.zeros((2, 3)))


def test_bad_peak_is_refused():
    with pytest.raises(ValueError, match="peak"):
        psnr(np.zeros(2), np.ones(2), peak=0)
