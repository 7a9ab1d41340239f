"""cnnlib.data.transforms: batch transforms against per-sample loops and statistics."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib.data import DataLoader
from cnnlib.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip


def crop_reference(x, size, padding, seed):
    """RandomCrop one sample at a time, with explicit zero padding.

    The offsets are the documented draws: all the top rows
    ``rng.integers(0, Hp - h + 1, size=N)``, then all the left columns.
    """
    n, c, height, width = x.shape
    h, w = size
    hp, wp = height + 2 * padding, width + 2 * padding
    rng = np.random.default_rng(seed)
    tops = rng.integers(0, hp - h + 1, size=n)
    lefts = rng.integers(0, wp - w + 1, size=n)
    out = np.empty((n, c, h, w), dtype=x.dtype)
    for i in range(n):
        padded = np.zeros((c, hp, wp), dtype=x.dtype)
        padded[:, padding:padding + height, padding:padding + width] = x[i]
        out[i] = padded[:, tops[i]:tops[i] + h, lefts[i]:lefts[i] + w]
    return out


@st.composite
def crop_cases(draw):
    n = draw(st.integers(1, 6))
    c = draw(st.integers(1, 3))
    height, width = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    padding = draw(st.integers(0, 3))
    h = draw(st.integers(1, height + 2 * padding))
    w = draw(st.integers(1, width + 2 * padding))
    seed = draw(st.integers(0, 2**32 - 1))
    return n, c, height, width, (h, w), padding, seed


@settings(max_examples=150, deadline=None)
@given(crop_cases())
def test_random_crop_equals_per_sample_loop(case):
    n, c, height, width, size, padding, seed = case
    x = np.random.default_rng(seed).normal(size=(n, c, height, width)).astype(np.float32)
    out = RandomCrop(size, padding=padding)(x, np.random.default_rng(seed))
    np.testing.assert_array_equal(out, crop_reference(x, size, padding, seed))
    assert out.dtype == np.float32


def test_random_crop_gives_each_sample_its_own_offset():
    # 2,000 copies of one image with a single bright pixel at (row 5, col 7):
    # where the pixel lands in each crop reveals the sample's offset. With
    # padding 2 and an unchanged size there are 5 x 5 offsets, each with
    # probability 1/25 (80 expected of 2,000, standard deviation ~8.8).
    x = np.zeros((2000, 1, 12, 12), np.float32)
    x[:, 0, 5, 7] = 1.0
    out = RandomCrop(12, padding=2)(x, np.random.default_rng(0))
    assert out.shape == (2000, 1, 12, 12)
    assert np.all(out.sum(axis=(1, 2, 3)) == 1)   # the pixel is never cut off
    rows, cols = np.nonzero(out[:, 0])[1:]
    # a crop starting at padded (top, left) moves the pixel from 5 to 5 + 2 - top
    counts = np.zeros((5, 5), int)
    np.add.at(counts, (5 + 2 - rows, 7 + 2 - cols), 1)
    assert counts.sum() == 2000
    assert counts.min() > 80 - 5 * 8.8 and counts.max() < 80 + 5 * 8.8, counts


def test_random_crop_without_padding_and_full_size_is_identity():
    x = np.random.default_rng(0).normal(size=(4, 2, 5, 6))
    np.testing.assert_array_equal(RandomCrop((5, 6))(x, np.random.default_rng(1)), x)


def test_random_crop_pads_with_zeros():
    x = np.ones((300, 1, 3, 3))
    out = RandomCrop(3, padding=1)(x, np.random.default_rng(0))
    # a 3x3 window of the 5x5 padded image: the ones it holds form a block of
    # (3 - |dy|) x (3 - |dx|) for a shift dy, dx in -1..1; everything else is 0
    assert set(np.unique(out)) == {0.0, 1.0}
    assert set(out.sum(axis=(1, 2, 3)).tolist()) == {4.0, 6.0, 9.0}


def test_random_crop_keeps_integer_dtypes_and_the_input():
    x = np.arange(2 * 1 * 4 * 4, dtype=np.uint8).reshape(2, 1, 4, 4)
    before = x.copy()
    out = RandomCrop(2, padding=1)(x, np.random.default_rng(0))
    assert out.dtype == np.uint8 and out.shape == (2, 1, 2, 2)
    np.testing.assert_array_equal(x, before)


def test_random_crop_is_fast():
    # vectorised: a 128 x 1 x 28 x 28 batch with padding 2 takes ~0.3 ms; a
    # Python loop over samples with np.pad each takes several ms. Best of 20,
    # with a margin for a busy machine.
    x = np.random.default_rng(0).random((128, 1, 28, 28), dtype=np.float32)
    crop, rng = RandomCrop(28, padding=2), np.random.default_rng(0)
    best = np.inf
    for _ in range(20):
        start = time.perf_counter()
        crop(x, rng)
        best = min(best, time.perf_counter() - start)
    assert best < 3e-3, f"{best * 1e3:.2f} ms"


@pytest.mark.parametrize("make, x, rng, error, pattern", [
    (lambda: RandomCrop(0), None, None, ValueError, r"size must be >= 1"),
    (lambda: RandomCrop(2.5), None, None, TypeError, r"size must be an int or an \(h, w\) pair"),
    (lambda: RandomCrop(4, padding=-1), None, None, ValueError, r"padding must be >= 0, got -1"),
    (lambda: RandomCrop(4, padding=(1, 2)), None, None, TypeError, r"padding must be an int"),
    (lambda: RandomCrop(7, padding=1), np.zeros((1, 1, 4, 4)), np.random.default_rng(0), ValueError,
     r"RandomCrop size \(7, 7\) is larger than the padded image \(6, 6\)"),
    (lambda: RandomCrop(2), np.zeros((1, 4, 4)), np.random.default_rng(0), ValueError,
     r"x must be 4-D with layout \(N, C, H, W\), got shape \(1, 4, 4\)"),
    (lambda: RandomCrop(2), np.zeros((1, 1, 4, 4)), None, TypeError,
     r"RandomCrop draws random numbers from rng, a numpy\.random\.Generator, got NoneType"),
    (lambda: RandomCrop(2), np.zeros((1, 1, 4, 4), dtype=object), np.random.default_rng(0), TypeError,
     r"RandomCrop needs a numeric batch"),
    (lambda: RandomHorizontalFlip(1.5), None, None, ValueError, r"p must be in \[0, 1\], got 1\.5"),
    (lambda: RandomHorizontalFlip("half"), None, None, TypeError, r"p must be a number"),
    (lambda: RandomHorizontalFlip(), np.zeros((1, 1, 4, 4)), 0, TypeError,
     r"RandomHorizontalFlip draws random numbers from rng.*got int"),
    (lambda: Normalize([0.5], [0.0]), None, None, ValueError, r"std must be non-zero in every channel"),
    (lambda: Normalize([0.5, 0.5], [1.0, 1.0, 1.0]), None, None, ValueError, r"mean has 2 channels but std has 3"),
    (lambda: Normalize("0.5", [1.0]), None, None, TypeError, r"mean must be a number or a sequence"),
    (lambda: Normalize([np.nan], [1.0]), None, None, ValueError, r"mean must be finite"),
    (lambda: Normalize([0.1, 0.2], [1.0, 1.0]), np.zeros((2, 3, 4, 4)), None, ValueError,
     r"Normalize mean has 2 values but x has 3 channels \(shape \(2, 3, 4, 4\)\)"),
    (lambda: Normalize([0.1], [1.0]), np.zeros((2, 1, 4, 4), dtype=np.uint8), None, TypeError,
     r"x must be a floating-point array"),
    (lambda: Compose([RandomHorizontalFlip(), "crop"]), None, None, TypeError,
     r"transforms\[1\] must be callable"),
    (lambda: Compose(RandomHorizontalFlip()), None, None, TypeError, r"transforms must be a list"),
])
def test_bad_arguments_are_named(make, x, rng, error, pattern):
    with pytest.raises(error, match=pattern):
        t = make()
        t(x, rng)


# --------------------------------------------------------------------------
# flip


def test_flip_with_p_one_and_zero():
    x = np.random.default_rng(0).normal(size=(5, 2, 3, 4))
    np.testing.assert_array_equal(RandomHorizontalFlip(1.0)(x, np.random.default_rng(0)), x[..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(0.0)(x, np.random.default_rng(0)), x)


def flipped_mask(x, out) -> np.ndarray:
    """Which samples came out mirrored (every sample must be one or the other)."""
    same = np.all(out == x, axis=(1, 2, 3))
    mirrored = np.all(out == x[..., ::-1], axis=(1, 2, 3))
    assert np.all(same ^ mirrored), "each sample is either unchanged or mirrored"
    return mirrored


@pytest.mark.parametrize("p", [0.5, 0.3, 0.9])
def test_flip_probability_per_sample(p):
    # 10,000 samples, each flipped with probability p: the fraction flipped has
    # standard deviation sqrt(p (1 - p) / 10000) <= 0.005; allow 4 of them
    x = np.random.default_rng(1).normal(size=(10_000, 1, 2, 3))
    mask = flipped_mask(x, RandomHorizontalFlip(p)(x, np.random.default_rng(2)))
    assert abs(mask.mean() - p) < 0.02, mask.mean()


def test_flip_draws_are_independent_per_sample_and_per_call():
    x = np.random.default_rng(1).normal(size=(64, 1, 2, 3))
    flip, rng = RandomHorizontalFlip(), np.random.default_rng(3)
    first = flipped_mask(x, flip(x, rng))
    second = flipped_mask(x, flip(x, rng))
    assert 0 < first.sum() < 64                      # not all-or-nothing
    assert not np.array_equal(first, second)         # a new draw every call
    # the documented rule: sample i is flipped when its draw rng.random() < p
    np.testing.assert_array_equal(first, np.random.default_rng(3).random(64) < 0.5)


def test_flip_keeps_dtype_and_input():
    x = np.arange(12, dtype=np.float32).reshape(1, 1, 3, 4)
    before = x.copy()
    out = RandomHorizontalFlip(1.0)(x, np.random.default_rng(0))
    assert out.dtype == np.float32 and out[0, 0, 0].tolist() == [3, 2, 1, 0]
    np.testing.assert_array_equal(x, before)


# --------------------------------------------------------------------------
# Normalize


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_matches_the_formula_per_channel(dtype):
    x = np.random.default_rng(0).normal(size=(4, 3, 5, 5)).astype(dtype)
    mean, std = [0.1, -0.5, 2.0], [0.5, 2.0, 4.0]
    out = Normalize(mean, std)(x)
    assert out.dtype == dtype and out.shape == x.shape
    for c in range(3):
        expected = (x[:, c].astype(np.float64) - mean[c]) / std[c]
        np.testing.assert_allclose(out[:, c], expected, rtol=1e-6, atol=1e-6)


def test_normalize_one_value_for_all_channels_and_rng_ignored():
    x = np.full((2, 3, 1, 1), 5.0)
    np.testing.assert_array_equal(Normalize(1.0, 2.0)(x, np.random.default_rng(0)), np.full_like(x, 2.0))
    np.testing.assert_array_equal(Normalize([1.0], [2.0])(x), np.full_like(x, 2.0))


def test_normalize_with_data_statistics_gives_zero_mean_unit_std():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(100, 2, 4, 4))
    mean, std = x.mean(axis=(0, 2, 3)), x.std(axis=(0, 2, 3))
    out = Normalize(mean, std)(x)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, rtol=1e-12)


# --------------------------------------------------------------------------
# Compose


def test_compose_applies_in_list_order():
    x = np.full((1, 1, 1, 1), 3.0)
    shift, halve = Normalize([1.0], [1.0]), Normalize([0.0], [2.0])
    assert Compose([shift, halve])(x, None).item() == (3 - 1) / 2       # 1.0
    assert Compose([halve, shift])(x, None).item() == 3 / 2 - 1         # 0.5
    assert Compose([])(x, None) is x


def test_compose_passes_the_same_rng_to_each():
    rng = np.random.default_rng(0)
    got = []

    def record(tag):
        def t(xb, r):
            got.append((tag, r))
            return xb
        return t

    Compose([record("a"), record("b")])(np.zeros((1, 1, 1, 1)), rng)
    assert got == [("a", rng), ("b", rng)]


def test_compose_in_a_loader_is_reproducible():
    X = np.random.default_rng(0).random((50, 1, 8, 8), dtype=np.float32)
    y = np.arange(50)
    augment = Compose([RandomCrop(8, padding=1), RandomHorizontalFlip(), Normalize([0.5], [0.25])])

    def epoch(seed):
        loader = DataLoader(X, y, 16, shuffle=True, rng=np.random.default_rng(seed), transform=augment)
        return [xb for xb, _ in loader]

    for a, b in zip(epoch(1), epoch(1)):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(epoch(1), epoch(2)))


def test_reprs_name_the_settings():
    assert repr(RandomCrop(28, padding=2)) == "RandomCrop(size=(28, 28), padding=2)"
    assert repr(RandomHorizontalFlip(0.25)) == "RandomHorizontalFlip(p=0.25)"
    assert repr(Normalize([0.5], [0.25])) == "Normalize(mean=[0.5], std=[0.25])"
    assert "RandomCrop" in repr(Compose([RandomCrop(3)]))
