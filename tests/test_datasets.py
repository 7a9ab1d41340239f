"""cnnlib.datasets: the shipped digits and photo, as documented in data/README.md."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from cnnlib import datasets


@pytest.fixture(scope="module")
def digits():
    return datasets.load_digits()


@pytest.fixture(scope="module")
def raw_digits():
    """The file itself, read without cnnlib's loader."""
    with np.load(datasets.DATA_DIR / "digits.npz") as f:
        return f["images"], f["labels"]


def test_raw_file_is_the_documented_optdigits_set(raw_digits):
    images, labels = raw_digits
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.min() == 0 and images.max() == 16       # ink counts 0..16
    assert set(np.unique(labels)) == set(range(10))


def test_digits_shapes_and_dtypes(digits):
    (X_train, y_train), (X_test, y_test) = digits
    assert X_train.shape == (1438, 1, 8, 8) and y_train.shape == (1438,)
    assert X_test.shape == (359, 1, 8, 8) and y_test.shape == (359,)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64


def test_digits_values_are_ink_counts_over_16(digits):
    for X, _ in digits:
        assert X.min() == 0.0 and X.max() == 1.0
        sixteenths = X * 16
        np.testing.assert_array_equal(sixteenths, np.round(sixteenths))  # k/16, exactly


def test_digits_identical_on_every_call(digits):
    again = datasets.load_digits()
    for (X1, y1), (X2, y2) in zip(digits, again):
        assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
        assert X1.tobytes() == X2.tobytes()


def test_all_ten_classes_in_both_parts(digits):
    (_, y_train), (_, y_test) = digits
    assert set(y_train) == set(y_test) == set(range(10))


def test_split_is_stratified(digits, raw_digits):
    (_, y_train), (_, y_test) = digits
    _, labels = raw_digits
    for cls in range(10):
        total = int(np.sum(labels == cls))
        n_test = int(np.sum(y_test == cls))
        assert abs(n_test - 0.2 * total) <= 1, (cls, n_test, total)
        assert n_test + int(np.sum(y_train == cls)) == total


def _rows(X, y) -> Counter:
    """Multiset of (image bytes, label) rows, images as the original uint8 counts."""
    counts = np.round(np.asarray(X).reshape(len(X), 8, 8) * 16).astype(np.uint8)
    return Counter(zip((c.tobytes() for c in counts), (int(v) for v in y)))


def test_train_and_test_partition_the_file(digits, raw_digits):
    # The file holds some identical images, so "no image in both parts" is not
    # the right test. Instead: every row of the file is used exactly once,
    # i.e. the two parts add up to the file as multisets of (image, label).
    (X_train, y_train), (X_test, y_test) = digits
    images, labels = raw_digits
    file_rows = _rows(images / 16.0, labels)
    train_rows, test_rows = _rows(X_train, y_train), _rows(X_test, y_test)
    assert train_rows + test_rows == file_rows
    # and a row appearing once in the file sits in only one part
    once = [row for row, n in file_rows.items() if n == 1]
    assert len(once) > 1700
    assert not any(row in train_rows and row in test_rows for row in once)


def test_split_is_shuffled_across_classes(digits):
    (_, y_train), (_, y_test) = digits
    # a batch of the first rows mixes classes
    assert len(set(y_train[:32])) >= 6 and len(set(y_test[:32])) >= 6


def test_loader_returns_fresh_arrays(digits):
    (X_train, _), _ = datasets.load_digits()
    X_train[...] = -1
    (X_again, _), _ = datasets.load_digits()
    assert X_again.min() == 0.0


# --------------------------------------------------------------------------
# the photo


@pytest.fixture(scope="module")
def photo():
    return datasets.load_photo()


def test_photo_shape_dtype_range(photo):
    assert photo.shape == (600, 512, 3)
    assert photo.dtype == np.float32
    assert photo.flags.c_contiguous
    assert photo.min() >= 0.0 and photo.max() <= 1.0


def test_photo_is_a_real_colour_image(photo):
    assert photo.std() > 0.1  # not flat
    # colour: the channels differ somewhere, by a visible amount
    assert np.abs(photo[..., 0] - photo[..., 2]).mean() > 0.02
    # 8-bit source: values are multiples of 1/255
    np.testing.assert_allclose(photo * 255, np.round(photo * 255), atol=1e-3)
    # natural images are smooth: neighbours are far more alike than random pixels
    neighbour = np.abs(np.diff(photo, axis=1)).mean()
    pixels = photo.reshape(-1, 3)
    order = np.random.default_rng(0).permutation(len(pixels))
    random_pairs = np.abs(pixels[order[::2]] - pixels[order[1::2]]).mean()
    assert neighbour < random_pairs / 2


def test_photo_identical_on_every_call(photo):
    assert np.array_equal(photo, datasets.load_photo())
