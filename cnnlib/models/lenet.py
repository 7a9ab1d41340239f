"""LeNet-5: the classic convolutional network for 28x28 digits, and its shipped weights.

:func:`lenet5` builds the network as a :class:`~cnnlib.nn.Sequential`, so its
``state_dict`` keys are those of the same ``torch.nn.Sequential`` ("0.weight",
"3.weight", "7.weight", ...). The shipped weights ``"lenet5-mnist"``
(``data/weights/lenet5_mnist.npz``, trained by ``tools/train_lenet5.py``; see
``data/README.md`` for the command, time and result) load with
``cnnlib.models.load_pretrained("lenet5-mnist")``. Chapter 08 (MNIST) trains
and studies this network; later chapters reuse the shipped weights.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .. import nn
from .pretrained import register

__all__ = ["lenet5", "LENET5_NUM_PARAMETERS"]

# Closed form, layer by layer (weights + biases):
#   conv 1->6, 5x5:    6*1*5*5 + 6     =    156
#   conv 6->16, 5x5:   16*6*5*5 + 16   =  2,416
#   linear 400->120:   400*120 + 120   = 48,120
#   linear 120->84:    120*84 + 84     = 10,164
#   linear 84->10:     84*10 + 10      =    850
LENET5_NUM_PARAMETERS = 156 + 2416 + 48120 + 10164 + 850  # 61,706


def lenet5(*, rng: Optional[np.random.Generator] = None, dtype=np.float32) -> nn.Sequential:
    """LeNet-5 for 1x28x28 images and 10 classes, in its common modern form.

    ``Conv2d(1, 6, 5, padding=2)`` - ReLU - ``MaxPool2d(2)`` -
    ``Conv2d(6, 16, 5)`` - ReLU - ``MaxPool2d(2)`` - Flatten -
    ``Linear(400, 120)`` - ReLU - ``Linear(120, 84)`` - ReLU -
    ``Linear(84, 10)``.

    The shapes through the network: 1x28x28 -> 6x28x28 (the padding of 2
    keeps 28x28, as the original's 32x32 input did for its 5x5 kernel) ->
    6x14x14 -> 16x10x10 -> 16x5x5 = 400 -> 120 -> 84 -> 10 class scores
    (logits, for :class:`~cnnlib.nn.CrossEntropyLoss`). 61,706 parameters
    (``cnnlib.models.lenet.LENET5_NUM_PARAMETERS``).

    How it differs from LeNet-5 as published by LeCun, Bottou, Bengio and
    Haffner, "Gradient-based learning applied to document recognition",
    Proc. IEEE 86(11), 1998:

    - ReLU instead of the scaled hyperbolic tangent ``1.7159 tanh(2x/3)``;
    - max pooling instead of *subsampling* (the sum of each 2x2 window
      times a trained coefficient plus a trained bias, then the squashing
      function);
    - the second convolution sees all 6 input maps (the original connected
      each of its 16 maps to a hand-chosen subset of them, to break the
      symmetry and save connections);
    - the output layer is an ordinary linear layer trained with
      cross-entropy, instead of 10 Euclidean radial basis function units
      (each comparing the 84 values with a fixed 7x12 bitmap of its digit)
      and their special loss;
    - the input is the 28x28 image padded by the first convolution, instead
      of the image placed in a 32x32 field with values scaled to
      [-0.1, 1.175].

    These are the usual changes of modern re-implementations; the layer
    sizes (6, 16, 120, 84, 10) are the original's.

    Parameters
    ----------
    rng : numpy.random.Generator, optional
        Source of the initial weights (PyTorch's default initialisation).
    dtype : numpy dtype, default float32

    Returns
    -------
    cnnlib.nn.Sequential
        Twelve layers, indices 0-11; parameters at 0, 3 (convolutions) and
        7, 9, 11 (linear layers), so the ``state_dict`` keys are
        ``"0.weight", "0.bias", "3.weight", ..., "11.bias"`` as for the same
        ``torch.nn.Sequential``.

    Shapes
    ------
    input (N, 1, 28, 28) -> output (N, 10)

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib.models import lenet5
    >>> model = lenet5(rng=np.random.default_rng(0))
    >>> model(np.zeros((2, 1, 28, 28), dtype=np.float32)).shape
    (2, 10)
    >>> sum(p.data.size for p in model.parameters())
    61706
    >>> list(model.state_dict())[:4]
    ['0.weight', '0.bias', '3.weight', '3.bias']
    """
    rng = np.random.default_rng() if rng is None else rng
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, rng=rng, dtype=dtype),   # 0: 6 x 28 x 28
        nn.ReLU(),                                            # 1
        nn.MaxPool2d(2),                                      # 2: 6 x 14 x 14
        nn.Conv2d(6, 16, 5, rng=rng, dtype=dtype),            # 3: 16 x 10 x 10
        nn.ReLU(),                                            # 4
        nn.MaxPool2d(2),                                      # 5: 16 x 5 x 5
        nn.Flatten(),                                         # 6: 400
        nn.Linear(400, 120, rng=rng, dtype=dtype),            # 7
        nn.ReLU(),                                            # 8
        nn.Linear(120, 84, rng=rng, dtype=dtype),             # 9
        nn.ReLU(),                                            # 10
        nn.Linear(84, 10, rng=rng, dtype=dtype),              # 11: logits
    )


register("lenet5-mnist", lenet5, "lenet5_mnist.npz",
         "LeNet-5 trained on MNIST by tools/train_lenet5.py (test accuracy in data/README.md)")
