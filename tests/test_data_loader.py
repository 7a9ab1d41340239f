"""cnnlib.data: DataLoader (batches, epochs, shuffling, transforms) and train_val_split.

The samples are numbered (X[i] holds i), so every check can see which sample
went where.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib.data import DataLoader, train_val_split


def numbered(n: int, features: int = 3):
    """X[i] = [i, i, ...] (float), y[i] = i: a sample's identity is its value."""
    X = np.repeat(np.arange(n, dtype=np.float64)[:, None], features, axis=1)
    return X, np.arange(n)


def epoch_ids(loader) -> list[np.ndarray]:
    """The sample numbers of each batch of one epoch, checking X and y stay paired."""
    batches = []
    for xb, yb in loader:
        np.testing.assert_array_equal(xb[:, 0], yb)
        batches.append(yb)
    return batches


# --------------------------------------------------------------------------
# batches


@pytest.mark.parametrize("n, batch_size, drop_last, sizes", [
    (10, 4, False, [4, 4, 2]),
    (10, 4, True, [4, 4]),
    (12, 4, False, [4, 4, 4]),
    (12, 4, True, [4, 4, 4]),
    (10, 10, False, [10]),
    (10, 1, False, [1] * 10),
    (5, 8, False, [5]),            # one short batch: everything
    (9, 2, True, [2, 2, 2, 2]),
])
@pytest.mark.parametrize("shuffle", [False, True])
def test_batch_sizes_and_len(n, batch_size, drop_last, sizes, shuffle):
    X, y = numbered(n)
    loader = DataLoader(X, y, batch_size, shuffle, rng=np.random.default_rng(0), drop_last=drop_last)
    assert len(loader) == len(sizes)
    for _ in range(2):  # the same on every epoch
        assert [len(b) for b in epoch_ids(loader)] == sizes


def test_without_shuffle_batches_follow_the_data_order():
    X, y = numbered(7)
    batches = epoch_ids(DataLoader(X, y, 3))
    assert [b.tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]


@pytest.mark.parametrize("drop_last", [False, True])
def test_every_sample_once_per_epoch(drop_last):
    X, y = numbered(103)
    loader = DataLoader(X, y, 10, shuffle=True, rng=np.random.default_rng(1), drop_last=drop_last)
    for _ in range(3):
        ids = np.concatenate(epoch_ids(loader))
        assert len(set(ids.tolist())) == len(ids)          # no repeats
        # all 103, or 100 when the last 3 are dropped
        assert len(ids) == (100 if drop_last else 103)
        assert set(ids.tolist()) <= set(range(103))


def test_reshuffles_on_every_epoch():
    X, y = numbered(50)
    loader = DataLoader(X, y, 50, shuffle=True, rng=np.random.default_rng(2))
    orders = [np.concatenate(epoch_ids(loader)) for _ in range(4)]
    for i in range(4):
        for j in range(i):
            # two permutations of 50 agree with probability 1/50!
            assert not np.array_equal(orders[i], orders[j])
    assert not np.array_equal(orders[0], np.arange(50))


def test_order_is_one_permutation_per_epoch_from_rng():
    # the documented draws: a hand-written loop calling rng.permutation(N) per
    # epoch visits the samples in the same order
    X, y = numbered(23)
    loader = DataLoader(X, y, 5, shuffle=True, rng=np.random.default_rng(7))
    reference = np.random.default_rng(7)
    for _ in range(3):
        np.testing.assert_array_equal(np.concatenate(epoch_ids(loader)), reference.permutation(23))


def test_same_seed_same_batches_other_seed_other_batches():
    X, y = numbered(40)

    def run(seed):
        loader = DataLoader(X, y, 8, shuffle=True, rng=np.random.default_rng(seed))
        return [np.concatenate(epoch_ids(loader)) for _ in range(3)]

    a, b, c = run(5), run(5), run(6)
    for ea, eb, ec in zip(a, b, c):
        np.testing.assert_array_equal(ea, eb)
        assert not np.array_equal(ea, ec)


def test_batches_are_copies():
    X, y = numbered(6)
    for shuffle in (False, True):
        for xb, yb in DataLoader(X, y, 4, shuffle, rng=np.random.default_rng(0)):
            xb[...] = -1
            yb[...] = -1
    np.testing.assert_array_equal(X, numbered(6)[0])
    np.testing.assert_array_equal(y, np.arange(6))


def test_works_with_images_and_keeps_dtypes():
    X = np.zeros((9, 1, 4, 4), dtype=np.float32)
    y = np.arange(9, dtype=np.int64)
    xb, yb = next(iter(DataLoader(X, y, 4)))
    assert xb.shape == (4, 1, 4, 4) and xb.dtype == np.float32 and yb.dtype == np.int64


# --------------------------------------------------------------------------
# transforms


def test_transform_gets_whole_batches_and_the_loaders_rng():
    X, y = numbered(10)
    rng = np.random.default_rng(0)
    seen = []

    def transform(xb, r):
        seen.append((xb.shape, r))
        return xb * 10

    loader = DataLoader(X, y, 4, shuffle=True, rng=rng, transform=transform)
    for xb, yb in loader:
        np.testing.assert_array_equal(xb[:, 0], yb * 10)   # y is never transformed
    assert [shape for shape, _ in seen] == [(4, 3), (4, 3), (2, 3)]
    assert all(r is rng for _, r in seen)


def test_transform_randomness_comes_from_the_loaders_rng():
    # Each batch adds one draw of rng.random(); replaying the documented draws
    # (the epoch's permutation first, then one draw per batch) predicts them.
    X, y = numbered(10)

    def add_noise(xb, r):
        return xb + r.random()

    loader = DataLoader(X, y, 4, shuffle=True, rng=np.random.default_rng(9), transform=add_noise)
    reference = np.random.default_rng(9)
    for _ in range(2):
        order = reference.permutation(10)
        batches = list(loader)
        for b, (xb, yb) in enumerate(batches):
            np.testing.assert_array_equal(yb, order[4 * b:4 * b + 4])
            np.testing.assert_allclose(xb[:, 0], yb + reference.random(), rtol=0, atol=0)


def test_transform_without_shuffle_still_gets_the_rng():
    X, y = numbered(4)
    rng = np.random.default_rng(0)
    got = []
    list(DataLoader(X, y, 2, rng=rng, transform=lambda xb, r: got.append(r) or xb))
    assert got == [rng, rng]


# --------------------------------------------------------------------------
# bad arguments


@pytest.mark.parametrize("make, error, pattern", [
    (lambda X, y: DataLoader(X, y[:9], 4), ValueError,
     r"X has 10 samples \(shape \(10, 3\)\) but y has 9 \(shape \(9,\)\)"),
    (lambda X, y: DataLoader(X, y.reshape(5, 2), 4), ValueError,
     r"y must be 1-D, one label per sample .* got shape \(5, 2\)"),
    (lambda X, y: DataLoader(X[:0], y[:0], 4), ValueError, r"X and y are empty"),
    (lambda X, y: DataLoader(np.float64(3.0), y[:1], 4), ValueError, r"X must be an array of samples"),
    (lambda X, y: DataLoader(X, y, 0), ValueError, r"batch_size must be >= 1, got 0"),
    (lambda X, y: DataLoader(X, y, -2), ValueError, r"batch_size must be >= 1, got -2"),
    (lambda X, y: DataLoader(X, y, 2.5), TypeError, r"batch_size must be an int, got 2\.5"),
    (lambda X, y: DataLoader(X, y, True), TypeError, r"batch_size must be an int, got True"),
    (lambda X, y: DataLoader(X, y, 4, shuffle=True), ValueError,
     r"shuffle=True needs rng.*np\.random\.default_rng\(seed\)"),
    (lambda X, y: DataLoader(X, y, 4, shuffle="yes", rng=np.random.default_rng(0)), TypeError,
     r"shuffle must be True or False, got 'yes'"),
    (lambda X, y: DataLoader(X, y, 4, True, rng=0), TypeError,
     r"rng must be a numpy\.random\.Generator .* got int"),
    (lambda X, y: DataLoader(X, y, 4, True, rng=np.random.RandomState(0)), TypeError,
     r"rng must be a numpy\.random\.Generator .* got RandomState"),
    (lambda X, y: DataLoader(X, y, 4, drop_last=1), TypeError, r"drop_last must be True or False, got 1"),
    (lambda X, y: DataLoader(X, y, 11, drop_last=True), ValueError,
     r"drop_last=True with batch_size=11 and only 10 samples leaves no batch"),
    (lambda X, y: DataLoader(X, y, 4, transform="flip"), TypeError, r"transform must be callable"),
])
def test_bad_arguments_are_named(make, error, pattern):
    X, y = numbered(10)
    with pytest.raises(error, match=pattern):
        make(X, y)


def test_rng_is_keyword_only():
    X, y = numbered(10)
    with pytest.raises(TypeError, match="positional"):
        DataLoader(X, y, 4, True, np.random.default_rng(0))


# --------------------------------------------------------------------------
# train_val_split


def class_labels(counts) -> np.ndarray:
    """Labels with ``counts[c]`` samples of class c, interleaved (not sorted by class)."""
    y = np.repeat(np.arange(len(counts)), counts)
    return np.random.default_rng(123).permutation(y)


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(1, 60), min_size=1, max_size=6),
       fraction=st.floats(0.05, 0.95), seed=st.integers(0, 2**32 - 1))
def test_split_is_stratified_disjoint_and_complete(counts, fraction, seed):
    y = class_labels(counts)
    X, ids = numbered(len(y))
    # skip cases where a part would be empty (tested separately)
    n_val = sum(round(fraction * c) for c in counts)
    if n_val in (0, len(y)):
        with pytest.raises(ValueError, match="empty"):
            train_val_split(X, y, fraction, seed=seed)
        return
    (X_tr, y_tr), (X_val, y_val) = train_val_split(X, y, fraction, seed=seed)
    tr, val = X_tr[:, 0].astype(int), X_val[:, 0].astype(int)
    # rows keep their labels
    np.testing.assert_array_equal(y_tr, y[tr])
    np.testing.assert_array_equal(y_val, y[val])
    # disjoint, and together every sample once
    assert not set(tr.tolist()) & set(val.tolist())
    assert sorted(tr.tolist() + val.tolist()) == ids.tolist()
    # each part keeps the original order
    assert np.all(np.diff(tr) > 0) and np.all(np.diff(val) > 0)
    # stratified: each class gives fraction * its size, within one sample
    for c, count in enumerate(counts):
        assert abs(np.sum(y_val == c) - fraction * count) <= 1, (c, count)
        assert np.sum(y_val == c) + np.sum(y_tr == c) == count


def test_split_proportions_on_a_realistic_set():
    counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    y = class_labels(counts)
    X = np.zeros((len(y), 1, 2, 2), np.float32)
    (X_tr, y_tr), (X_val, y_val) = train_val_split(X, y, 0.1, seed=0)
    assert len(X_val) == sum(round(0.1 * c) for c in counts) == 1000
    assert X_tr.shape == (9000, 1, 2, 2) and y_tr.shape == (9000,)
    np.testing.assert_allclose(np.bincount(y_val) / len(y_val), np.array(counts) / sum(counts), atol=1 / 1000)


def test_split_is_seeded():
    y = class_labels([30, 30, 30])
    X, _ = numbered(90)

    def val_ids(seed):
        return train_val_split(X, y, 0.2, seed=seed)[1][0][:, 0]

    np.testing.assert_array_equal(val_ids(4), val_ids(4))
    assert not np.array_equal(val_ids(4), val_ids(5))
    np.testing.assert_array_equal(val_ids(0), train_val_split(X, y, 0.2)[1][0][:, 0])  # default seed 0


def test_split_returns_copies():
    y = class_labels([5, 5])
    X, _ = numbered(10)
    (X_tr, _), (X_val, _) = train_val_split(X, y, 0.2)
    X_tr[...] = -1
    X_val[...] = -1
    np.testing.assert_array_equal(X, numbered(10)[0])


@pytest.mark.parametrize("args, kwargs, error, pattern", [
    ((0.0,), {}, ValueError, r"val_fraction must be in \(0, 1\), got 0\.0"),
    ((1.0,), {}, ValueError, r"val_fraction must be in \(0, 1\), got 1\.0"),
    ((-0.2,), {}, ValueError, r"val_fraction must be in \(0, 1\), got -0\.2"),
    ((float("nan"),), {}, ValueError, r"val_fraction must be in \(0, 1\), got nan"),
    (("0.1",), {}, TypeError, r"val_fraction must be a number in \(0, 1\), got '0\.1'"),
    ((True,), {}, TypeError, r"val_fraction must be a number"),
    ((0.1,), {"seed": -1}, ValueError, r"seed must be >= 0, got -1"),
    ((0.1,), {"seed": 1.5}, TypeError, r"seed must be an int, got 1\.5"),
])
def test_split_bad_arguments(args, kwargs, error, pattern):
    X, y = numbered(20)
    with pytest.raises(error, match=pattern):
        train_val_split(X, y % 2, *args, **kwargs)


def test_split_refuses_empty_parts():
    X, y = numbered(4)
    # round(0.1 * 2) = 0 per class: nothing to validate on
    with pytest.raises(ValueError, match=r"val_fraction=0\.1 of 4 samples leaves the validation part empty"):
        train_val_split(X, y % 2, 0.1)
    # one sample per class and round(0.9 * 1) = 1: nothing left to train on
    with pytest.raises(ValueError, match=r"leaves the training part empty"):
        train_val_split(X, y, 0.9)


def test_split_needs_integer_labels_and_matching_lengths():
    X, y = numbered(10)
    with pytest.raises(TypeError, match=r"y must hold integer class labels .* got dtype float64"):
        train_val_split(X, y.astype(float), 0.2)
    with pytest.raises(ValueError, match=r"X has 10 samples .* but y has 8"):
        train_val_split(X, y[:8], 0.2)
