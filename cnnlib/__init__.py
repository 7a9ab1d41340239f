"""cnnlib: the companion package of the course, convolutional networks in NumPy.

The core library sits at the top of the package:

* :mod:`cnnlib.functional`: the fast ops (PyTorch names, NCHW layout,
  cross-correlation), re-exported here (``cnnlib.conv2d``...);
* :mod:`cnnlib.reference`: readable loop versions of the same functions;
* :mod:`cnnlib.nn` (layers), :mod:`cnnlib.optim` (optimisers and schedules),
  :mod:`cnnlib.train` (the training loop), :mod:`cnnlib.datasets`,
  :mod:`cnnlib.gradcheck`, :mod:`cnnlib.evaluate`, :mod:`cnnlib.inspect_model`.

Teaching aids (figures, animations, demos, cost tables) live in
``cnnlib.course`` and the exercises' instant checks in ``cnnlib.exercises``;
the core never imports either.
"""

from . import data, datasets, functional, gradcheck, nn, optim, reference, train
from . import models
from .functional import (
    avg_pool2d,
    avg_pool2d_backward,
    conv1d,
    conv1d_backward,
    conv2d,
    conv2d_backward,
    conv_output_size,
    max_pool2d,
    max_pool2d_backward,
)
from .serialization import load, save

__version__ = "0.1.0"

__all__ = [
    "conv_output_size",
    "conv1d",
    "conv1d_backward",
    "conv2d",
    "conv2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "save",
    "load",
    "data",
    "datasets",
    "functional",
    "gradcheck",
    "models",
    "nn",
    "optim",
    "reference",
    "train",
]
