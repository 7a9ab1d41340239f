"""Layers with explicit forward and backward passes, named as in ``torch.nn``.

Each layer's ``forward`` (also reached by calling the layer) caches what its
``backward`` needs; ``backward(grad_out)`` returns the gradient with respect to
the layer's input and *adds* the gradients of its parameters to their
``.grad`` (so, as in PyTorch, call ``optimizer.zero_grad()`` before each
step).

Weights use PyTorch's layouts and default initialisation: ``Conv2d`` weight
``(out_channels, in_channels, kh, kw)`` and ``Linear`` weight
``(out_features, in_features)``, both drawn from U(-1/sqrt(fan_in),
1/sqrt(fan_in)) (Kaiming-uniform with a = sqrt(5)), biases likewise.

The package, one module per kind of layer: ``module`` (Parameter, Module,
ModuleList, Sequential), ``conv``, ``pooling``, ``activation``, ``linear``,
``loss`` and ``init``.
"""

from . import init
from .activation import ReLU, Tanh
from .conv import Conv2d
from .linear import Flatten, Linear
from .loss import CrossEntropyLoss
from .module import IncompatibleKeys, Module, ModuleList, Parameter, Sequential
from .pooling import AvgPool2d, MaxPool2d

__all__ = [
    "Parameter",
    "Module",
    "ModuleList",
    "Sequential",
    "IncompatibleKeys",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "ReLU",
    "Tanh",
    "Flatten",
    "Linear",
    "CrossEntropyLoss",
    "init",
]
