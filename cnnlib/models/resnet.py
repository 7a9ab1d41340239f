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
from .pretrained import register

__all__ = ["BasicBlock", "ResNet", "resnet_small"]


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


class ResNet(nn.Module):
    """A small ResNet for small images, laid out as torchvision's ResNet.

    ``stem -> layer1 -> layer2 -> ... -> global average pool -> fc``:

    - the stem ``conv1`` (3x3, stride 1, padding 1, no bias), ``bn1``,
      ``relu``: torchvision's 7x7 stride-2 convolution and max pool would
      shrink a 28x28 image to 7x7 before the first block, so they are
      replaced by one 3x3 convolution at full resolution (as ResNets for
      CIFAR do);
    - stages ``layer1``, ``layer2``, ...: each an :class:`~cnnlib.nn.Sequential`
      of :class:`BasicBlock`; the first block of every stage after the first
      has stride 2 (halving H and W) and doubles the width, as given by
      ``widths``;
    - ``avgpool`` (:class:`~cnnlib.nn.AdaptiveAvgPool2d` to 1x1): one number
      per channel, whatever the input size; ``flatten``; ``fc``, the linear
      classifier.

    The keys of ``state_dict()`` are torchvision's where the parts
    correspond (``conv1.weight``, ``bn1.running_mean``,
    ``layer2.0.downsample.0.weight``, ``fc.bias``), so weights move to and
    from a PyTorch model built the same way. The convolutions are
    initialised as torchvision does (Kaiming normal, ``mode="fan_out"``);
    batch norm starts at gamma = 1, beta = 0; ``fc`` keeps the default
    initialisation.

    Parameters
    ----------
    num_classes : int, default 10
    widths : sequence of int, default (16, 32, 64)
        Channels of each stage (the stem has ``widths[0]``).
    blocks : sequence of int, default (1, 1, 1)
        Number of basic blocks in each stage; same length as ``widths``.
    in_channels : int, default 1
    rng : numpy.random.Generator
        Source of the initial weights.
    dtype : numpy dtype, default float32

    Shapes
    ------
    input (N, in_channels, H, W) -> output (N, num_classes): class scores
    (logits).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib.models import resnet_small
    >>> model = resnet_small(rng=np.random.default_rng(0))
    >>> model(np.zeros((2, 1, 28, 28), dtype=np.float32)).shape
    (2, 10)
    >>> [k for k in model.state_dict()][:3]
    ['conv1.weight', 'bn1.weight', 'bn1.bias']
    >>> sum(p.data.size for p in model.parameters())
    77754
    """

    def __init__(self, num_classes: int = 10, widths=(16, 32, 64), blocks=(1, 1, 1), *,
                 in_channels: int = 1, rng: np.random.Generator, dtype=np.float32):
        num_classes = positive_int(num_classes, "num_classes")
        in_channels = positive_int(in_channels, "in_channels")
        widths = tuple(positive_int(w, "widths[i]") for w in widths)
        blocks = tuple(positive_int(b, "blocks[i]") for b in blocks)
        if not widths or len(widths) != len(blocks):
            raise ValueError(f"widths and blocks need one entry per stage (at least one), got "
                             f"widths={widths} and blocks={blocks}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.widths, self.blocks = widths, blocks
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False, rng=rng, dtype=dtype)
        self.bn1 = nn.BatchNorm2d(widths[0], dtype=dtype)
        self.relu = nn.ReLU()
        inplanes = widths[0]
        for i, (planes, count) in enumerate(zip(widths, blocks)):
            stride = 1 if i == 0 else 2
            stage = [BasicBlock(inplanes, planes, stride, rng=rng, dtype=dtype)]
            stage += [BasicBlock(planes, planes, rng=rng, dtype=dtype) for _ in range(count - 1)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*stage))
            inplanes = planes
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(inplanes, num_classes, rng=rng, dtype=dtype)
        for module in self.modules():  # torchvision's initialisation of the convolutions
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, rng=rng, mode="fan_out", nonlinearity="relu")

    @property
    def stages(self) -> tuple:
        """The stages ``layer1, layer2, ...`` in order."""
        return tuple(getattr(self, f"layer{i + 1}") for i in range(len(self.widths)))

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = self.relu(self.bn1(self.conv1(x)))
        for stage in self.stages:
            out = stage(out)
        return self.fc(self.flatten(self.avgpool(out)))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        # a chain from the stem to fc: each part undoes its own step, last first
        grad = self.avgpool.backward(self.flatten.backward(self.fc.backward(grad_out)))
        for stage in reversed(self.stages):
            grad = stage.backward(grad)
        return self.conv1.backward(self.bn1.backward(self.relu.backward(grad)))


def resnet_small(num_classes: int = 10, widths=(16, 32, 64), blocks=(1, 1, 1), *,
                 rng: np.random.Generator, in_channels: int = 1, dtype=np.float32) -> ResNet:
    """A small :class:`ResNet` for 28x28 grayscale images (MNIST, Fashion-MNIST).

    With the defaults: a 3x3 stem of 16 channels, three stages of one basic
    block each at 16, 32 and 64 channels (28x28, 14x14, 7x7), global average
    pooling and a linear classifier: 7 3x3 convolutions on the main path, two
    1x1 convolutions on the shortcuts that change shape, and 77,754
    parameters (74% of them in ``layer3``).

    Parameters
    ----------
    num_classes, widths, blocks, in_channels, dtype
        As :class:`ResNet`.
    rng : numpy.random.Generator
        Source of the initial weights.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib.models import resnet_small
    >>> resnet_small(rng=np.random.default_rng(0)).layer3[0].conv1.weight.shape
    (64, 32, 3, 3)
    """
    return ResNet(num_classes, widths, blocks, in_channels=in_channels, rng=rng, dtype=dtype)


register("resnet-small-fashion", resnet_small, "resnet_small_fashion.npz",
         "resnet_small(): Fashion-MNIST, trained by tools/train_resnet_fashion.py (chapter 09); "
         "see data/README.md for how and what it scores")
