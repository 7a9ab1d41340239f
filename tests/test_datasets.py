"""cnnlib.datasets: the shipped digits, MNIST, Fashion-MNIST and photo, as documented in data/README.md."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections import Counter
from pathlib import Path

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


# --------------------------------------------------------------------------
# MNIST and Fashion-MNIST


LOADERS = {"mnist.npz": datasets.load_mnist, "fashion_mnist.npz": datasets.load_fashion_mnist}


@pytest.fixture(scope="module")
def loaded():
    """The loaders' outputs, each loaded once for the module (they are large)."""
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = LOADERS[name]()
        return cache[name]

    return get


@pytest.fixture(scope="module")
def mnist(loaded):
    return loaded("mnist.npz")


@pytest.fixture(scope="module")
def fashion(loaded):
    return loaded("fashion_mnist.npz")


@pytest.fixture(scope="module", params=sorted(LOADERS))
def raw_and_loaded(request, loaded):
    """(file name, the file's raw arrays read without cnnlib, the loader's output)."""
    with np.load(datasets.DATA_DIR / request.param) as f:
        raw = {key: f[key] for key in f.files}
    return request.param, raw, loaded(request.param)


def test_28x28_shapes_dtypes_ranges(raw_and_loaded):
    _, _, ((X_train, y_train), (X_test, y_test)) = raw_and_loaded
    assert X_train.shape == (60_000, 1, 28, 28) and y_train.shape == (60_000,)
    assert X_test.shape == (10_000, 1, 28, 28) and y_test.shape == (10_000,)
    for X, y in ((X_train, y_train), (X_test, y_test)):
        assert X.dtype == np.float32 and y.dtype == np.int64
        assert X.min() == 0.0 and X.max() == 1.0
        assert y.min() == 0 and y.max() == 9


def test_28x28_values_are_grey_levels_over_255(raw_and_loaded):
    _, raw, ((X_train, y_train), (X_test, y_test)) = raw_and_loaded
    for X, y, part in ((X_train, y_train, "train"), (X_test, y_test, "test")):
        # exactly the float32 nearest to k / 255, for the file's k, same order
        expected = (raw[f"x_{part}"].astype(np.float64) / 255).astype(np.float32)
        np.testing.assert_array_equal(X[:, 0], expected)
        np.testing.assert_array_equal(y, raw[f"y_{part}"])


def test_raw_files_hold_uint8(raw_and_loaded):
    _, raw, _ = raw_and_loaded
    assert sorted(raw) == ["x_test", "x_train", "y_test", "y_train"]
    assert all(a.dtype == np.uint8 for a in raw.values())


def test_mnist_class_counts(mnist):
    (_, y_train), (_, y_test) = mnist
    # LeCun, Cortes & Burges: the class sizes of the original files
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_mnist_first_labels_are_the_original_order(mnist):
    (_, y_train), (_, y_test) = mnist
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]


def test_fashion_class_counts_and_first_labels(fashion):
    (_, y_train), (_, y_test) = fashion
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    # the first test images of TensorFlow's classification tutorial:
    # ankle boot, pullover, trouser, trouser, shirt
    assert y_test[:5].tolist() == [9, 2, 1, 1, 6]


def test_fashion_class_names():
    assert datasets.FASHION_MNIST_CLASSES == (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def test_mnist_digits_look_like_digits(mnist):
    # a handwritten digit is a stroke on an empty background: the border is
    # nearly blank, the centre carries the ink, and a one uses less ink than an eight
    (X, y), _ = mnist
    border = np.concatenate([X[:, 0, :2].ravel(), X[:, 0, -2:].ravel()])
    assert border.mean() < 0.01
    assert X[:, 0, 10:18, 10:18].mean() > 0.3
    assert X[y == 1].mean() < 0.7 * X[y == 8].mean()


def _documented_checksums(section: str) -> dict[str, str]:
    """The array checksums listed in data/README.md's section for ``section``."""
    text = (datasets.DATA_DIR / "README.md").read_text()
    start = text.index(f"## `{section}`")
    end = text.find("\n## ", start + 1)
    body = text[start:end if end != -1 else None]
    rows = re.findall(r"^\|\s*`(x_train|y_train|x_test|y_test)`\s*\|.*`([0-9a-f]{64})`\s*\|\s*$", body, re.M)
    return dict(rows)


def test_shipped_arrays_match_the_documented_checksums(raw_and_loaded):
    name, raw, _ = raw_and_loaded
    documented = _documented_checksums(name)
    assert sorted(documented) == ["x_test", "x_train", "y_test", "y_train"], documented
    for key, digest in documented.items():
        assert hashlib.sha256(raw[key].tobytes()).hexdigest() == digest, f"{name}: {key}"


def test_a_changed_array_would_fail_the_checksum(raw_and_loaded):
    # the checksum test above can fail: one pixel changed gives another hash
    name, raw, _ = raw_and_loaded
    changed = raw["x_test"].copy()
    changed[0, 0, 0] ^= 1
    assert hashlib.sha256(changed.tobytes()).hexdigest() != _documented_checksums(name)["x_test"]


def test_28x28_loaders_return_fresh_arrays():
    (X, _), _ = datasets.load_mnist()
    X[...] = -1
    (X_again, _), _ = datasets.load_mnist()
    assert X_again.min() == 0.0


@pytest.mark.parametrize("load, filename", [(datasets.load_mnist, "mnist.npz"),
                                            (datasets.load_fashion_mnist, "fashion_mnist.npz")])
def test_missing_file_says_what_to_do(monkeypatch, tmp_path, load, filename):
    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match=rf"{filename} is missing.*pip install -e \.") as info:
        load()
    assert "tools/make_mnist.py" in str(info.value)


def test_data_folder_stays_small():
    total = sum(p.stat().st_size for p in datasets.DATA_DIR.rglob("*") if p.is_file())
    assert total < 80e6, f"data/ holds {total / 1e6:.1f} MB"


# --------------------------------------------------------------------------
# the idx parser of tools/make_mnist.py


@pytest.fixture(scope="module")
def make_mnist():
    path = Path(__file__).resolve().parent.parent / "tools" / "make_mnist.py"
    spec = importlib.util.spec_from_file_location("make_mnist", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _idx(magic: int, shape: tuple[int, ...], payload: bytes) -> bytes:
    return magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in shape) + payload


def test_idx_parser_reads_images_and_labels(make_mnist):
    pixels = bytes(range(2 * 3 * 4))
    images = make_mnist.parse_idx(_idx(2051, (2, 3, 4), pixels), "images", ndim=3)
    assert images.shape == (2, 3, 4) and images.dtype == np.uint8
    assert images[1, 2, 3] == 23 and images[0, 1, 0] == 4      # row-major: 0*12 + 1*4 + 0
    labels = make_mnist.parse_idx(_idx(2049, (3,), bytes([7, 2, 1])), "labels", ndim=1)
    assert labels.tolist() == [7, 2, 1]


@pytest.mark.parametrize("raw, ndim, pattern", [
    (_idx(2049, (3,), bytes(3)), 3, r"magic number 2049, expected 2051"),     # labels read as images
    (_idx(2051, (1, 2, 2), bytes(4)), 1, r"magic number 2051, expected 2049"),
    (_idx(0x0D03, (1, 2, 2), bytes(16)), 3, r"expected 2051"),                # float elements
    (_idx(2051, (2, 2, 2), bytes(7)), 3, r"23 bytes, but the header \(2, 2, 2\) implies 24"),
    (b"\x00\x00", 1, r"magic number None"),
    (_idx(2051, (2,), b""), 3, r"too short"),
])
def test_idx_parser_rejects_bad_files(make_mnist, raw, ndim, pattern):
    with pytest.raises(ValueError, match=pattern):
        make_mnist.parse_idx(raw, "f", ndim=ndim)
