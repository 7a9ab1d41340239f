"""Residual networks: ResNet's basic block (and the small ResNets built from it).

:class:`BasicBlock` is ResNet's residual block, laid out as torchvision's so
that its ``state_dict`` keys are the same. It is also the course's example of
a custom :class:`~cnnlib.nn.Module`: the layers are attributes (found by
``parameters()`` and ``state_dict()`` on their own), and the block writes its
own ``forward`` and ``backward``, since a skip connection is not a chain.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .. import nn
from .._validate import positive_int

__all__ = ["BasicBlock"]


class BasicBlock(nn.Module):
    """ResNet's basic residual block, as ``torchvision.models.resnet.BasicBlock``.

    ``out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``

    The two 3x3 convolutions learn a *correction* to their input rather
    than a whole new mapping: with weights near zero the block is close to
    the identity, which is what lets very deep stacks of blocks train.
    ``shortcut`` is the identity when the shapes agree; when the block
    changes the resolution (``stride`` != 1) or the width (``inplanes`` !=
    ``planes``), ``downsample``, a 1x1 convolution with the same stride
    followed by batch norm, brings ``x`` to the output's shape.

    The layers are attributes named as in torchvision, so ``state_dict()``
    has torchvision's keys: ``conv1`` (3x3, the block's stride, padding 1),
    ``bn1``, ``conv2`` (3x3, padding 1), ``bn2``, and when needed
    ``downsample`` (``downsample.0`` the 1x1 convolution, ``downsample.1``
    its BatchNorm2d; ``None`` otherwise). The convolutions have no bias: the
    batch norm after each has its own. torchvision applies one ReLU module
    twice; here ``relu1`` (after ``bn1``) and ``relu2`` (after the sum) are
    two, because each keeps its own mask for ``backward``. ReLUs hold no
    parameters, so the keys are unchanged.

    Parameters
    ----------
    inplanes : int
        Input channels.
    planes : int
        Output channels.
    stride : int, default 1
        Of ``conv1`` and of the downsample convolution (2 halves H and W).
    rng : numpy.random.Generator, optional
        Source of the convolutions' initial weights (PyTorch's default
        initialisation; torchvision's ResNet re-initialises them later, the
        block alone does not).
    dtype : numpy dtype, default float32

    Shapes
    ------
    input (N, inplanes, H, W) -> output (N, planes, Ho, Wo),
    ``Ho = (H - 1) // stride + 1`` (likewise Wo).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib.models import BasicBlock
    >>> block = BasicBlock(8, 16, stride=2, rng=np.random.default_rng(0))
    >>> block(np.ones((2, 8, 10, 10), dtype=np.float32)).shape
    (2, 16, 5, 5)
    >>> [k for k in block.state_dict() if k.startswith("downsample")][:3]
    ['downsample.0.weight', 'downsample.1.weight', 'downsample.1.bias']
    """

    expansion = 1  # output channels / planes (torchvision's Bottleneck has 4)

    def __init__(self, inplanes: int, planes: int, stride: int = 1, *,
                 rng: Optional[np.random.Generator] = None, dtype=np.float32):
        inplanes = positive_int(inplanes, "inplanes")
        planes = positive_int(planes, "planes")
        self.stride = positive_int(stride, "stride")
        rng = np.random.default_rng() if rng is None else rng  # one generator for every layer
        # Attributes are assigned in torchvision's order: state_dict() follows it.
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False, rng=rng, dtype=dtype)
        self.bn1 = nn.BatchNorm2d(planes, dtype=dtype)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False, rng=rng, dtype=dtype)
        self.bn2 = nn.BatchNorm2d(planes, dtype=dtype)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False, rng=rng, dtype=dtype),
                nn.BatchNorm2d(planes, dtype=dtype))
        self.relu2 = nn.ReLU()

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu2(out + shortcut)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        # Run the forward pass backwards, each layer undoing its own step.
        grad_sum = self.relu2.backward(grad_out)
        # The sum out + shortcut passes its gradient unchanged to both terms.
        grad = self.bn2.backward(grad_sum)
        grad = self.conv2.backward(grad)
        grad = self.relu1.backward(grad)
        grad = self.bn1.backward(grad)
        grad_main = self.conv1.backward(grad)
        grad_shortcut = grad_sum if self.downsample is None else self.downsample.backward(grad_sum)
        # x fed both paths, so its gradient is the sum of the two
        return grad_main + grad_shortcut
