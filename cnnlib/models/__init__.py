"""Ready-made networks built from :mod:`cnnlib.nn` layers, and their shipped weights.

One module per family: ``lenet`` (:func:`lenet5`, trained on MNIST as
``"lenet5-mnist"``); ``resnet`` (:class:`BasicBlock` and the small ResNets
built from it); ``pretrained`` loads the weights shipped in ``data/weights/``
by name (:func:`load_pretrained`, :func:`available`). Every architecture
takes the generator of its initial weights as ``rng``, like the layers, and
names its parameters as the PyTorch version does, so weights move between
the two.
"""

from .lenet import LENET5_NUM_PARAMETERS, lenet5
from .pretrained import available, load_pretrained, register
from .resnet import BasicBlock, ResNet, resnet_small

__all__ = ["BasicBlock", "ResNet", "resnet_small", "lenet5", "LENET5_NUM_PARAMETERS",
           "available", "load_pretrained", "register"]
