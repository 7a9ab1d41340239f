"""Ready-made networks built from :mod:`cnnlib.nn` layers, and their shipped weights.

One module per family: ``resnet`` (:class:`BasicBlock` and the small ResNets
built from it); ``pretrained`` loads the weights shipped in ``data/weights/``
by name (:func:`load_pretrained`, :func:`available`). Every architecture
takes the generator of its initial weights as ``rng``, like the layers, and
names its parameters as the PyTorch version does, so weights move between
the two.
"""

from .pretrained import available, load_pretrained, register
from .resnet import BasicBlock

__all__ = ["BasicBlock", "available", "load_pretrained", "register"]
