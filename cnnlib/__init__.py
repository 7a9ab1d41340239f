"""cnnlib: the companion package of the course, convolutional networks in NumPy.

The functional ops (PyTorch names, NCHW layout, cross-correlation) are the fast
versions; :mod:`cnnlib.reference` holds readable loop versions of the same
functions. Layers live in :mod:`cnnlib.nn`, optimisers in :mod:`cnnlib.optim`.
"""

from . import datasets, functional, gradcheck, nn, optim, reference, train
from .functional import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    conv_output_size,
    max_pool2d,
    max_pool2d_backward,
)

__version__ = "0.1.0"

__all__ = [
    "conv_output_size",
    "conv2d",
    "conv2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "datasets",
    "functional",
    "gradcheck",
    "nn",
    "optim",
    "reference",
    "train",
]
