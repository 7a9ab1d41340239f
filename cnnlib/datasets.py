"""Small datasets shipped in the repository's ``data/`` folder (no downloads)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["load_digits", "load_mnist", "load_fashion_mnist", "FASHION_MNIST_CLASSES",
           "load_photo", "DATA_DIR"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Fixed, so every call on every machine gives the same split (PCG64 streams
# are platform-independent).
_SPLIT_SEED = 1
_TEST_FRACTION = 0.2


def _stratified_split(labels: np.ndarray, test_fraction: float, seed: int):
    """Indices (train, test): each class split in the same proportion."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        n_test = int(round(test_fraction * idx.size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    # shuffle across classes so a batch of the first rows is not all zeros
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def load_digits():
    """The 1,797 handwritten 8x8 digits of UCI "optdigits", split 80/20.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_*`` float32 of shape (N, 1, 8, 8) with values in [0, 1] (the
        original 0..16 ink counts divided by 16); ``y_*`` int64 labels 0..9 of
        shape (N,). The split is stratified by class with a fixed seed: 1,438
        training and 359 test images, identical on every call and machine.

    Notes
    -----
    Source: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten
    Digits", UCI Machine Learning Repository (CC BY 4.0); see ``data/README.md``.
    """
    path = DATA_DIR / "digits.npz"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: cnnlib.datasets reads the data/ folder of the course "
            f"repository, so install cnnlib from a clone with 'pip install -e .'"
        )
    with np.load(path) as f:
        images, labels = f["images"], f["labels"]
    X = (images.astype(np.float32) / np.float32(16.0))[:, None, :, :]
    y = labels.astype(np.int64)
    train, test = _stratified_split(y, _TEST_FRACTION, _SPLIT_SEED)
    return (X[train], y[train]), (X[test], y[test])


#: The names of Fashion-MNIST's labels 0..9, in label order, as Xiao, Rasul &
#: Vollgraf (2017) list them.
FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

Split = tuple[np.ndarray, np.ndarray]


def _load_28x28(filename: str, loader: str) -> tuple[Split, Split]:
    """Read one of the .npz files written by tools/make_mnist.py, scaled to [0, 1]."""
    path = DATA_DIR / filename
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: cnnlib.datasets.{loader}() reads the data/ folder of the "
            f"course repository, so install cnnlib from a clone with 'pip install -e .' "
            f"(data/README.md says how to regenerate the file with tools/make_mnist.py)"
        )
    with np.load(path) as f:
        parts = []
        for part in ("train", "test"):
            images, labels = f[f"x_{part}"], f[f"y_{part}"]
            # division, not multiplication by 1/255, so each value is the float32
            # nearest to k/255 and the result does not depend on rounding of 1/255
            X = (images / np.float32(255.0)).astype(np.float32, copy=False)[:, None, :, :]
            parts.append((X, labels.astype(np.int64)))
    return parts[0], parts[1]


def load_mnist() -> tuple[Split, Split]:
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_*`` float32 of shape (N, 1, 28, 28) with values k/255 in [0, 1]
        (the original 8-bit grey levels, 0 = background); ``y_*`` int64
        digits 0..9 of shape (N,). N = 60,000 and 10,000: the original
        training and test sets, in the original order (not shuffled: the
        training loop shuffles). Fresh arrays on every call; loading takes a
        fraction of a second.

    Notes
    -----
    Source: Y. LeCun, C. Cortes and C. J. C. Burges, "The MNIST database of
    handwritten digits" (CC BY-SA 3.0); the original idx files, checked by
    SHA-256. See ``data/README.md`` for the provenance.

    Examples
    --------
    >>> from cnnlib.datasets import load_mnist
    >>> (X_train, y_train), (X_test, y_test) = load_mnist()
    >>> X_train.shape, X_train.dtype, y_test.shape
    ((60000, 1, 28, 28), dtype('float32'), (10000,))
    >>> y_train[:5].tolist()
    [5, 0, 4, 1, 9]
    """
    return _load_28x28("mnist.npz", "load_mnist")


def load_fashion_mnist() -> tuple[Split, Split]:
    """Fashion-MNIST: 28x28 greyscale photos of clothing in 10 classes.

    A drop-in replacement for MNIST (same sizes and layout) that is harder to
    classify; :data:`~cnnlib.datasets.FASHION_MNIST_CLASSES` names the labels.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_*`` float32 of shape (N, 1, 28, 28) with values k/255 in [0, 1];
        ``y_*`` int64 labels 0..9 of shape (N,), 6,000 training and 1,000
        test images per class. N = 60,000 and 10,000, the original sets in
        the original order. Fresh arrays on every call.

    Notes
    -----
    Source: H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a Novel Image
    Dataset for Benchmarking Machine Learning Algorithms", arXiv:1708.07747,
    2017 (MIT licence). See ``data/README.md`` for the provenance.

    Examples
    --------
    >>> from cnnlib.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist
    >>> (X_train, y_train), _ = load_fashion_mnist()
    >>> X_train.shape
    (60000, 1, 28, 28)
    >>> [FASHION_MNIST_CLASSES[k] for k in y_train[:3]]
    ['Ankle boot', 'T-shirt/top', 'T-shirt/top']
    """
    return _load_28x28("fashion_mnist.npz", "load_fashion_mnist")


def load_photo() -> np.ndarray:
    """A real colour photograph: Rear Admiral Grace Hopper (public domain).

    Returns
    -------
    ndarray, shape (600, 512, 3), float32 in [0, 1]
        Height x width x channels (R, G, B): the layout image files use. Use
        ``x.transpose(2, 0, 1)`` for the channels-first layout of cnnlib.

    Notes
    -----
    The photo matplotlib ships as ``grace_hopper.jpg``, decoded once and stored
    losslessly in ``data/grace_hopper.png`` so every machine sees the same
    pixels; see ``data/README.md``.
    """
    import matplotlib.image as mpimg

    path = DATA_DIR / "grace_hopper.png"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: install cnnlib from a clone with 'pip install -e .'")
    return np.ascontiguousarray(mpimg.imread(path)[..., :3], dtype=np.float32)
