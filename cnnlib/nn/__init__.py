"""Layers with explicit forward and backward passes, named as in ``torch.nn``.

Each layer's ``forward`` (also reached by calling the layer) caches what its
``backward`` needs; ``backward(grad_out)`` returns the gradient with respect to
the layer's input and *adds* the gradients of its parameters to their
``.grad`` (so, as in PyTorch, call ``optimizer.zero_grad()`` before each
step).

Weights use PyTorch's layouts and default initialisation: ``Conv2d`` weight
``(out_channels, in_channels / groups, kh, kw)``, ``Conv1d`` weight
``(out_channels, in_channels, k)``, ``ConvTranspose2d`` weight
``(in_channels, out_channels, kh, kw)`` and ``Linear`` weight
``(out_features, in_features)``, all drawn from U(-1/sqrt(fan_in),
1/sqrt(fan_in)) (Kaiming-uniform with a = sqrt(5)), biases likewise;
``Embedding`` weights from N(0, 1); batch norm starts at gamma = 1, beta = 0.

The package, one module per kind of layer: ``module`` (Parameter, Module,
ModuleList, Sequential), ``conv``, ``pooling``, ``activation``, ``linear``,
``normalization`` (batch norm), ``dropout``, ``embedding``, ``loss`` and
``init``.
"""

from . import init
from .activation import LeakyReLU, ReLU, Sigmoid, Tanh
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .dropout import Dropout
from .embedding import Embedding
from .linear import Flatten, Linear
from .loss import CrossEntropyLoss, MSELoss
from .module import IncompatibleKeys, Module, ModuleList, Parameter, Sequential
from .normalization import BatchNorm1d, BatchNorm2d
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool1d, AvgPool2d, MaxPool1d, MaxPool2d

__all__ = [
    "Parameter",
    "Module",
    "ModuleList",
    "Sequential",
    "IncompatibleKeys",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveMaxPool1d",
    "AdaptiveAvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Dropout",
    "Embedding",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Flatten",
    "Linear",
    "CrossEntropyLoss",
    "MSELoss",
    "init",
]
