"""The one check every consumer of ``(X, y)`` needs: arrays of matching length."""

from __future__ import annotations

import numpy as np


def check_samples(X, y, where: str = "") -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``y`` as arrays with one label per sample, at least one sample.

    ``where`` prefixes the messages (e.g. ``"train_data: "``) so the caller's
    argument is named. Arrays are not copied.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0:
        raise ValueError(f"{where}X must be an array of samples (N, ...), got a scalar {X!r}")
    if y.ndim != 1:
        raise ValueError(f"{where}y must be 1-D, one label per sample (N,), got shape {y.shape}")
    if len(X) != len(y):
        raise ValueError(f"{where}X has {len(X)} samples (shape {X.shape}) but y has {len(y)} "
                         f"(shape {y.shape}): expected one label per sample")
    if len(X) == 0:
        raise ValueError(f"{where}X and y are empty: expected at least one sample")
    return X, y
