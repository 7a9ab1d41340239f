"""Move networks between cnnlib and PyTorch, weights, buffers and mode included.

``to_torch(model)`` builds the equivalent ``torch.nn.Module`` and copies every
parameter and buffer into it; ``from_torch(module)`` does the reverse. Both
sides name their parameters alike (``"0.weight"``, ``"layer1.0.bn1.running_mean"``)
because cnnlib follows PyTorch's layouts and keys, so the copy is one
``load_state_dict`` either way. The returned model is in the same mode
(``train``/``eval``) as the one given.

Supported: every layer of :mod:`cnnlib.nn` and its ``torch.nn`` twin,
``Sequential`` containers, :class:`cnnlib.models.BasicBlock` and
:class:`cnnlib.models.ResNet`, and models built from them. Two things cannot
match exactly: ``Dropout`` draws its masks from each library's own random
generator (outputs agree in evaluation mode, not in training mode), and a
custom ``Module`` with a hand-written ``forward`` cannot be translated (its
code is not data): build it from supported parts, or convert its parts.

PyTorch is optional for cnnlib: it is imported when a function here is
called, with a message saying how to install the CPU build if it is missing.

Examples
--------
>>> import numpy as np
>>> from cnnlib import nn, bridge
>>> rng = np.random.default_rng(0)
>>> model = nn.Sequential(nn.Conv2d(1, 4, 3, rng=rng), nn.ReLU(), nn.Flatten(),
...                       nn.Linear(4 * 6 * 6, 10, rng=rng))
>>> twin = bridge.to_torch(model)                     # doctest: +SKIP
>>> x = np.random.default_rng(1).normal(size=(2, 1, 8, 8)).astype(np.float32)
>>> np.allclose(twin(torch.from_numpy(x)).detach().numpy(), model(x),
...             atol=1e-6)                            # doctest: +SKIP
True
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import nn
from .models import BasicBlock, ResNet

__all__ = ["to_torch", "from_torch"]

_INSTALL = ("PyTorch is needed for cnnlib.bridge but is not installed. Install the CPU build, "
            "e.g. 'pip install torch --index-url https://download.pytorch.org/whl/cpu' "
            "(from a clone of the course: 'pip install -e .[torch]')")


def _torch():
    try:
        import torch
    except ImportError as err:
        raise ImportError(_INSTALL) from err
    return torch


# --------------------------------------------------------------------------
# torch modules for cnnlib's composite blocks (torchvision is not required)


def _torch_blocks():
    """The torch twins of BasicBlock and ResNet, defined once torch is imported."""
    if "classes" in _torch_blocks.__dict__:
        return _torch_blocks.classes
    torch = _torch()

    class TorchBasicBlock(torch.nn.Module):
        """torchvision's BasicBlock: same attribute names, same keys."""

        def __init__(self, conv1, bn1, conv2, bn2, downsample):
            super().__init__()
            self.conv1, self.bn1 = conv1, bn1
            self.relu = torch.nn.ReLU()
            self.conv2, self.bn2 = conv2, bn2
            self.downsample = downsample

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            shortcut = x if self.downsample is None else self.downsample(x)
            return self.relu(out + shortcut)

    class TorchChain(torch.nn.Module):
        """Named children run in order: the torch twin of a cnnlib ResNet."""

        def __init__(self, children: dict):
            super().__init__()
            for name, child in children.items():
                self.add_module(name, child)

        def forward(self, x):
            for child in self.children():
                x = child(x)
            return x

    _torch_blocks.classes = (TorchBasicBlock, TorchChain)
    return _torch_blocks.classes


# --------------------------------------------------------------------------
# cnnlib -> torch


def _conv2d_to_torch(layer: nn.Conv2d):
    torch = _torch()
    return torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                           stride=layer.stride, padding=layer.padding,
                           groups=getattr(layer, "groups", 1), bias=layer.bias is not None)


def _layer_to_torch(layer: nn.Module):
    torch = _torch()
    tnn = torch.nn
    simple: dict[type, Callable[[Any], Any]] = {
        nn.Conv2d: _conv2d_to_torch,
        nn.Conv1d: lambda m: tnn.Conv1d(m.in_channels, m.out_channels, m.kernel_size,
                                        stride=m.stride, padding=m.padding,
                                        bias=m.bias is not None),
        nn.ConvTranspose2d: lambda m: tnn.ConvTranspose2d(m.in_channels, m.out_channels,
                                                          m.kernel_size, stride=m.stride,
                                                          padding=m.padding,
                                                          bias=m.bias is not None),
        nn.Linear: lambda m: tnn.Linear(m.in_features, m.out_features, bias=m.bias is not None),
        nn.ReLU: lambda m: tnn.ReLU(),
        nn.Tanh: lambda m: tnn.Tanh(),
        nn.Sigmoid: lambda m: tnn.Sigmoid(),
        nn.LeakyReLU: lambda m: tnn.LeakyReLU(m.negative_slope),
        nn.Flatten: lambda m: tnn.Flatten(),
        nn.MaxPool2d: lambda m: tnn.MaxPool2d(m.kernel_size, m.stride, m.padding),
        nn.AvgPool2d: lambda m: tnn.AvgPool2d(m.kernel_size, m.stride, m.padding),
        nn.MaxPool1d: lambda m: tnn.MaxPool1d(m.kernel_size, m.stride, m.padding),
        nn.AdaptiveMaxPool1d: lambda m: tnn.AdaptiveMaxPool1d(m.output_size),
        nn.AdaptiveAvgPool2d: lambda m: tnn.AdaptiveAvgPool2d(m.output_size),
        nn.BatchNorm2d: lambda m: tnn.BatchNorm2d(m.num_features, eps=m.eps, momentum=m.momentum),
        nn.BatchNorm1d: lambda m: tnn.BatchNorm1d(m.num_features, eps=m.eps, momentum=m.momentum),
        nn.Dropout: lambda m: tnn.Dropout(m.p),
        nn.Embedding: lambda m: tnn.Embedding(m.num_embeddings, m.embedding_dim),
    }
    if type(layer) in simple:
        return simple[type(layer)](layer)
    if isinstance(layer, nn.Sequential):
        return tnn.Sequential(*(_layer_to_torch(child) for child in layer))
    if isinstance(layer, BasicBlock):
        block_cls, _ = _torch_blocks()
        down = None if layer.downsample is None else _layer_to_torch(layer.downsample)
        return block_cls(_layer_to_torch(layer.conv1), _layer_to_torch(layer.bn1),
                         _layer_to_torch(layer.conv2), _layer_to_torch(layer.bn2), down)
    if isinstance(layer, ResNet):
        _, chain_cls = _torch_blocks()
        return chain_cls({name: _layer_to_torch(child) for name, child in layer.named_children()})
    raise TypeError(
        f"cnnlib.bridge cannot translate {type(layer).__name__}: a custom Module's forward is "
        f"code, not data. Supported: the layers of cnnlib.nn, Sequential, BasicBlock, ResNet "
        f"and models built from them"
    )


def to_torch(model: nn.Module):
    """An equivalent ``torch.nn.Module`` with the same weights, buffers and mode.

    Parameters
    ----------
    model : cnnlib.nn.Module
        Built from the layers of :mod:`cnnlib.nn`, ``Sequential``,
        :class:`cnnlib.models.BasicBlock` or :class:`cnnlib.models.ResNet`.

    Returns
    -------
    torch.nn.Module
        Parameters in the dtype of cnnlib's (float32 stays float32; a model
        mixing float32 and float64 arrays becomes float64), copies
        (changing one model does not change the other), and in ``train`` or
        ``eval`` mode as ``model`` is.

    Raises
    ------
    ImportError
        PyTorch is not installed (the message says how to get the CPU build).
    TypeError
        A part that cannot be translated (a custom Module's own forward).
    """
    torch = _torch()
    twin = _layer_to_torch(model)
    state = model.state_dict()
    dtypes = [v.dtype for v in state.values() if v.dtype.kind == "f"]
    if dtypes:  # one dtype for the whole twin: the widest (float64 if any is)
        twin = twin.to(torch.from_numpy(np.zeros(0, dtype=np.result_type(*dtypes))).dtype)
    twin.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    return twin.train(model.training)


# --------------------------------------------------------------------------
# torch -> cnnlib


def _module_from_torch(module, rng: np.random.Generator, dtype) -> nn.Module:
    torch = _torch()
    tnn = torch.nn
    block_cls, chain_cls = _torch_blocks()
    bias = lambda m: m.bias is not None  # noqa: E731
    simple: dict[type, Callable[[Any], nn.Module]] = {
        tnn.Conv2d: lambda m: nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size,
                                        stride=m.stride, padding=_padding(m.padding),
                                        groups=m.groups, bias=bias(m), rng=rng, dtype=dtype),
        tnn.Conv1d: lambda m: nn.Conv1d(m.in_channels, m.out_channels, m.kernel_size[0],
                                        stride=m.stride[0], padding=_padding(m.padding, 1),
                                        bias=bias(m), rng=rng, dtype=dtype),
        tnn.ConvTranspose2d: lambda m: nn.ConvTranspose2d(m.in_channels, m.out_channels,
                                                          m.kernel_size, stride=m.stride,
                                                          padding=m.padding, bias=bias(m),
                                                          rng=rng, dtype=dtype),
        tnn.Linear: lambda m: nn.Linear(m.in_features, m.out_features, bias=bias(m), rng=rng,
                                        dtype=dtype),
        tnn.ReLU: lambda m: nn.ReLU(),
        tnn.Tanh: lambda m: nn.Tanh(),
        tnn.Sigmoid: lambda m: nn.Sigmoid(),
        tnn.LeakyReLU: lambda m: nn.LeakyReLU(m.negative_slope),
        tnn.Flatten: lambda m: nn.Flatten(),
        tnn.MaxPool2d: lambda m: nn.MaxPool2d(m.kernel_size, m.stride, m.padding),
        tnn.AvgPool2d: lambda m: nn.AvgPool2d(m.kernel_size, m.stride, m.padding),
        tnn.MaxPool1d: lambda m: nn.MaxPool1d(m.kernel_size, m.stride, m.padding),
        tnn.AdaptiveMaxPool1d: lambda m: nn.AdaptiveMaxPool1d(m.output_size),
        tnn.AdaptiveAvgPool2d: lambda m: nn.AdaptiveAvgPool2d(m.output_size),
        tnn.BatchNorm2d: lambda m: nn.BatchNorm2d(m.num_features, eps=m.eps, momentum=m.momentum),
        tnn.BatchNorm1d: lambda m: nn.BatchNorm1d(m.num_features, eps=m.eps, momentum=m.momentum),
        tnn.Dropout: lambda m: nn.Dropout(m.p, rng=rng),
        tnn.Embedding: lambda m: nn.Embedding(m.num_embeddings, m.embedding_dim, rng=rng,
                                              dtype=dtype),
    }
    if type(module) in simple:
        _check_supported_options(module)
        return simple[type(module)](module)
    if isinstance(module, tnn.Sequential):
        return nn.Sequential(*(_module_from_torch(child, rng, dtype) for child in module))
    if isinstance(module, block_cls) or _looks_like_torchvision_block(module):
        return BasicBlock(module.conv1.in_channels, module.conv1.out_channels,
                          stride=module.conv1.stride[0], rng=rng)
    if isinstance(module, chain_cls):
        raise TypeError("convert a ResNet from cnnlib to torch and back with the original "
                        "cnnlib model: load_state_dict(from the torch twin's state_dict)")
    raise TypeError(
        f"cnnlib.bridge cannot translate torch's {type(module).__name__}: supported are the "
        f"torch.nn twins of cnnlib's layers, Sequential and torchvision-style BasicBlocks"
    )


def _looks_like_torchvision_block(module) -> bool:
    return type(module).__name__ == "BasicBlock" and all(
        hasattr(module, a) for a in ("conv1", "bn1", "conv2", "bn2", "downsample"))


def _padding(padding, dims: int = 2):
    if isinstance(padding, str):
        return padding
    return padding[0] if dims == 1 else tuple(padding)


def _check_supported_options(module) -> None:
    """Refuse torch options cnnlib's twin does not have, rather than ignore them."""
    unsupported = []
    if getattr(module, "dilation", None) not in (None, 1, (1,), (1, 1)):
        unsupported.append(f"dilation={module.dilation}")
    if getattr(module, "padding_mode", "zeros") != "zeros":
        unsupported.append(f"padding_mode={module.padding_mode!r}")
    if getattr(module, "output_padding", (0, 0)) not in ((0, 0), 0):
        unsupported.append(f"output_padding={module.output_padding}")
    if getattr(module, "ceil_mode", False):
        unsupported.append("ceil_mode=True")
    if getattr(module, "affine", True) is False or getattr(module, "track_running_stats", True) is False:
        unsupported.append("affine=False or track_running_stats=False")
    if hasattr(module, "count_include_pad") and not module.count_include_pad:
        unsupported.append("count_include_pad=False")
    if hasattr(module, "start_dim") and (module.start_dim, module.end_dim) != (1, -1):
        unsupported.append(f"start_dim={module.start_dim}, end_dim={module.end_dim}")
    if unsupported:
        raise TypeError(f"cnnlib has no {type(module).__name__} with " + ", ".join(unsupported))


def from_torch(module):
    """A cnnlib model equivalent to a ``torch.nn.Module``, with its weights, buffers and mode.

    Parameters
    ----------
    module : torch.nn.Module
        Built from the ``torch.nn`` twins of cnnlib's layers, ``Sequential`` and
        torchvision-style ``BasicBlock``\\ s.

    Returns
    -------
    cnnlib.nn.Module
        NumPy copies of the parameters and buffers, in their dtype, and in
        ``train`` or ``eval`` mode as ``module`` is.
    """
    _torch()  # a clear message if it is missing
    state = {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}
    dtypes = {v.dtype for v in state.values() if v.dtype.kind == "f"}
    dtype = dtypes.pop() if len(dtypes) == 1 else np.float32
    model = _module_from_torch(module, np.random.default_rng(0), dtype)
    _cast(model, dtype)
    model.load_state_dict(state)
    return model.train(module.training)


def _cast(model: nn.Module, dtype) -> None:
    """Floating parameters and buffers in ``dtype`` (some layers take no dtype argument)."""
    for _, param in model.named_parameters():
        if param.data.dtype != dtype:
            param.data = param.data.astype(dtype)
            param.grad = np.zeros_like(param.data)
    for module in model.modules():
        for name in module.__dict__.get("_buffer_names", []):
            value = getattr(module, name)
            if value is not None and value.dtype.kind == "f" and value.dtype != dtype:
                module.register_buffer(name, value.astype(dtype))
