"""Ready-made networks built from :mod:`cnnlib.nn` layers, and their shipped weights.

One module per family: ``resnet`` (:class:`BasicBlock` and the small ResNets
built from it). Every architecture takes the generator of its initial weights
as ``rng``, like the layers, and names its parameters as the PyTorch version
does, so weights move between the two.
"""

from .resnet import BasicBlock

__all__ = ["BasicBlock"]
