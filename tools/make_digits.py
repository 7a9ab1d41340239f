"""Regenerate data/digits.npz from the copy of UCI optdigits bundled with scikit-learn.

Usage: python tools/make_digits.py   (needs scikit-learn: pip install -e '.[dev]')

The file holds the raw data only (pixel counts 0..16 as uint8, labels as uint8);
cnnlib.datasets.load_digits() scales and splits it.
"""

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

OUT = Path(__file__).resolve().parent.parent / "data" / "digits.npz"


def main() -> None:
    digits = load_digits()
    images = digits.images.astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    assert images.shape == (1797, 8, 8) and images.max() == 16
    assert np.array_equal(images, digits.images), "pixel counts must be whole numbers"
    np.savez_compressed(OUT, images=images, labels=labels)
    print(f"wrote {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}: "
          f"{images.shape[0]} images, sha256 of pixels "
          f"{__import__('hashlib').sha256(images.tobytes()).hexdigest()[:16]}")


if __name__ == "__main__":
    main()
