"""Small datasets shipped in the repository's ``data/`` folder (no downloads)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["load_digits", "load_photo", "DATA_DIR"]

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
