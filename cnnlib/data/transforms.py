"""Data augmentation and normalisation of whole (N, C, H, W) batches.

Torchvision's transforms, with two differences of form, not of meaning:
each call takes a whole batch and gives every sample its own random draw (its
own crop offset, its own coin flip), and the randomness comes from the
:class:`numpy.random.Generator` passed as the second argument,
``t(xb, rng)`` (:class:`~cnnlib.data.DataLoader` passes its own ``rng``).
The input is never modified; each transform returns a new array of the same
dtype.

Examples
--------
>>> import numpy as np
>>> from cnnlib.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip
>>> augment = Compose([RandomCrop(28, padding=2), RandomHorizontalFlip(),
...                    Normalize(mean=[0.5], std=[0.25])])
>>> xb = np.full((8, 1, 28, 28), 0.5, dtype=np.float32)
>>> out = augment(xb, np.random.default_rng(0))
>>> out.shape, out.dtype
((8, 1, 28, 28), dtype('float32'))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._validate import check_ndim, float_array, nonneg_int, positive_pair, probability

__all__ = ["Compose", "RandomCrop", "RandomHorizontalFlip", "Normalize"]

Transform = Callable[[np.ndarray, np.random.Generator | None], np.ndarray]


def _batch(x, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind not in "iuf":
        raise TypeError(f"{name} needs a numeric batch of images, got dtype {x.dtype}")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    return x


def _generator(rng, name: str) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{name} draws random numbers from rng, a numpy.random.Generator, got "
                        f"{type(rng).__name__}: call it as t(xb, np.random.default_rng(seed)), or give "
                        f"the DataLoader (or fit) an rng")
    return rng


class Compose:
    """Apply transforms one after the other, each getting the same ``rng``.

    Parameters
    ----------
    transforms : list of callables
        Each called as ``t(xb, rng)``, in list order.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib.data.transforms import Compose, Normalize
    >>> t = Compose([Normalize([1.0], [2.0]), Normalize([0.0], [0.5])])
    >>> t(np.full((1, 1, 1, 1), 3.0), None).item()    # ((3 - 1) / 2 - 0) / 0.5
    2.0
    """

    def __init__(self, transforms: Sequence[Transform]):
        if isinstance(transforms, (str, bytes)) or not isinstance(transforms, Sequence):
            raise TypeError(f"transforms must be a list of transforms, got {type(transforms).__name__}")
        for i, t in enumerate(transforms):
            if not callable(t):
                raise TypeError(f"transforms[{i}] must be callable as t(xb, rng), got {type(t).__name__}")
        self.transforms = list(transforms)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        for t in self.transforms:
            x = t(x, rng)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class RandomCrop:
    """Pad each image with zeros, then cut out a ``size`` window at a random place.

    As ``torchvision.transforms.RandomCrop(size, padding)`` (zero fill), with
    one independently drawn offset per sample: the top row is uniform in
    ``0 .. H + 2 * padding - h`` and the left column in
    ``0 .. W + 2 * padding - w``. With ``size`` equal to the image size and
    ``padding=p``, this shifts each image by up to ``p`` pixels.

    Calling ``crop(x, rng)`` maps ``x`` of shape (N, C, H, W) to
    (N, C, h, w), same dtype; it raises ``ValueError`` when (h, w) exceeds the
    padded size.

    Parameters
    ----------
    size : int or (h, w)
        Output height and width.
    padding : int, default 0
        Zeros added on every side before cropping.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib.data.transforms import RandomCrop
    >>> x = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4)
    >>> out = RandomCrop(4, padding=1)(x, np.random.default_rng(0))
    >>> out.shape
    (2, 1, 4, 4)
    >>> RandomCrop(2)(x, np.random.default_rng(0)).shape
    (2, 1, 2, 2)
    """

    def __init__(self, size: int | tuple[int, int], padding: int = 0):
        self.size = positive_pair(size, "size")
        self.padding = nonneg_int(padding, "padding")

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _batch(x, "RandomCrop")
        rng = _generator(rng, "RandomCrop")
        n, _, height, width = x.shape
        (h, w), p = self.size, self.padding
        if h > height + 2 * p or w > width + 2 * p:
            raise ValueError(f"RandomCrop size {(h, w)} is larger than the padded image "
                             f"{(height + 2 * p, width + 2 * p)} (x is {height}x{width}, padding {p})")
        if p:
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        top = rng.integers(0, x.shape[2] - h + 1, size=n)
        left = rng.integers(0, x.shape[3] - w + 1, size=n)
        # windows[n, c, i, j] is the h x w window whose corner is (i, j): a view,
        # so only the N chosen windows are copied. Advanced indices separated by
        # a slice put the sample axis first: (N, C, h, w).
        windows = sliding_window_view(x, (h, w), axis=(2, 3))
        return windows[np.arange(n), :, top, left]

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror each image left-right with probability ``p``, independently per sample.

    As ``torchvision.transforms.RandomHorizontalFlip(p)``: a sample is flipped
    when its uniform draw in [0, 1) is below ``p``. Calling ``flip(x, rng)``
    maps ``x`` of shape (N, C, H, W) to an array of the same shape and dtype.

    Parameters
    ----------
    p : float, default 0.5
        Probability of flipping each sample, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib.data.transforms import RandomHorizontalFlip
    >>> x = np.array([1.0, 2.0, 3.0]).reshape(1, 1, 1, 3)
    >>> RandomHorizontalFlip(p=1.0)(x, np.random.default_rng(0)).ravel().tolist()
    [3.0, 2.0, 1.0]
    """

    def __init__(self, p: float = 0.5):
        self.p = probability(p, "p")

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _batch(x, "RandomHorizontalFlip")
        rng = _generator(rng, "RandomHorizontalFlip")
        flip = rng.random(len(x)) < self.p
        return np.where(flip[:, None, None, None], x[..., ::-1], x)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class Normalize:
    """Subtract a per-channel mean and divide by a per-channel standard deviation.

    As ``torchvision.transforms.Normalize(mean, std)``:
    ``out[:, c] = (x[:, c] - mean[c]) / std[c]``. Not random: ``rng`` is
    accepted (and ignored) so it composes with the others. Calling
    ``normalize(x, rng=None)`` maps a float ``x`` of shape (N, C, H, W) to an
    array of the same shape and dtype.

    Parameters
    ----------
    mean, std : sequence of float, length C (or one number for every channel)
        Usually the training set's per-channel mean and standard deviation;
        every ``std`` must be non-zero.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib.data.transforms import Normalize
    >>> x = np.ones((1, 2, 1, 1), dtype=np.float32)
    >>> Normalize(mean=[0.5, 1.0], std=[0.5, 2.0])(x).ravel().tolist()
    [1.0, 0.0]
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]):
        self.mean = self._vector(mean, "mean")
        self.std = self._vector(std, "std")
        if np.any(self.std == 0):
            raise ValueError(f"std must be non-zero in every channel, got {self.std.tolist()}")
        if self.mean.size != self.std.size and 1 not in (self.mean.size, self.std.size):
            raise ValueError(f"mean has {self.mean.size} channels but std has {self.std.size}")

    @staticmethod
    def _vector(value, name: str) -> np.ndarray:
        arr = np.atleast_1d(np.asarray(value))
        if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a number or a sequence of numbers, one per channel, got {value!r}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite, got {arr.tolist()}")
        return arr.astype(np.float64)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        x = float_array(x, "x")
        check_ndim(x, 4, "x", "(N, C, H, W)")
        channels = x.shape[1]
        for name, v in (("mean", self.mean), ("std", self.std)):
            if v.size not in (1, channels):
                raise ValueError(f"Normalize {name} has {v.size} values but x has {channels} channels "
                                 f"(shape {x.shape}): expected one value per channel")
        # computed in x's dtype, so float32 batches stay float32
        mean = self.mean.astype(x.dtype).reshape(1, -1, 1, 1)
        std = self.std.astype(x.dtype).reshape(1, -1, 1, 1)
        return (x - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"
