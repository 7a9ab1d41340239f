"""Regenerate data/grace_hopper.png from the JPEG that matplotlib ships.

Usage: python tools/make_photo.py

The photo is decoded once and stored losslessly, so every machine reads exactly
the same pixels (JPEG decoders may differ in the last bit between versions).
"""

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
from matplotlib import cbook

OUT = Path(__file__).resolve().parent.parent / "data" / "grace_hopper.png"


def main() -> None:
    rgb = mpimg.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    assert rgb.shape == (600, 512, 3) and rgb.dtype == np.uint8
    mpimg.imsave(OUT, rgb)
    back = (mpimg.imread(OUT)[..., :3] * 255).round().astype(np.uint8)
    assert np.array_equal(back, rgb), "PNG round trip must be lossless"
    print(f"wrote {OUT}: {rgb.shape}")


if __name__ == "__main__":
    main()
