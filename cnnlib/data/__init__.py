"""Feeding data to a training loop: mini-batches, a validation split, augmentation.

The names follow PyTorch (``torch.utils.data.DataLoader``,
``torchvision.transforms``), but everything works on whole NumPy batches
(N, C, H, W) at once, and every random draw comes from a
:class:`numpy.random.Generator` passed in explicitly, so a run is reproducible.

- :class:`~cnnlib.data.DataLoader` cuts ``(X, y)`` into shuffled mini-batches;
- :func:`~cnnlib.data.train_val_split` holds out a stratified validation set;
- :mod:`cnnlib.data.transforms` holds random crops, flips and normalisation.

Examples
--------
>>> import numpy as np
>>> from cnnlib.data import DataLoader, train_val_split
>>> X, y = np.zeros((100, 1, 8, 8), np.float32), np.arange(100) % 10
>>> (X_tr, y_tr), (X_val, y_val) = train_val_split(X, y, val_fraction=0.2)
>>> len(X_tr), len(X_val)
(80, 20)
>>> loader = DataLoader(X_tr, y_tr, batch_size=32, shuffle=True, rng=np.random.default_rng(0))
>>> [len(yb) for _, yb in loader]
[32, 32, 16]
"""

from . import transforms
from .loader import DataLoader
from .split import train_val_split

__all__ = ["DataLoader", "train_val_split", "transforms"]
