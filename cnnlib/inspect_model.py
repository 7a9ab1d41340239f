"""Look inside a model: every layer's output, parameter counts, a summary table.

The summary is the one-line-per-layer table that ``torchsummary`` prints for a
PyTorch model: the layer's type, the shape of its output for a given input
shape, and its number of trainable numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .nn import Module, Sequential

__all__ = ["LayerInfo", "count_parameters", "layer_outputs", "layer_table", "summary"]


def count_parameters(module: Module) -> int:
    """Number of trainable numbers (entries of every parameter) in ``module``."""
    return int(sum(p.data.size for p in module.parameters()))


def _layers(model: Module) -> list[Module]:
    if not isinstance(model, Module):
        raise TypeError(f"model must be a cnnlib.nn.Module, got {type(model).__name__}")
    return list(model.layers) if isinstance(model, Sequential) else [model]


def layer_outputs(model: Module, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Run ``x`` through ``model`` and keep every layer's output.

    Parameters
    ----------
    model : cnnlib.nn.Sequential (or a single layer)
    x : ndarray, shape (N, ...)
        A batch the model accepts, e.g. (N, 1, 8, 8) digits.

    Returns
    -------
    list of (name, ndarray)
        One entry per layer, in order, named ``"<index> <Type>"`` (e.g.
        ``"0 Conv2d"``); the last array equals ``model(x)``. The layers'
        caches end up holding this forward pass, as after any call.
    """
    outputs = []
    for i, layer in enumerate(_layers(model)):
        x = layer(x)
        outputs.append((f"{i} {type(layer).__name__}", x))
    return outputs


@dataclass(frozen=True)
class LayerInfo:
    """One row of a model summary."""

    index: int
    kind: str             # the layer's class name, e.g. "Conv2d"
    output_shape: tuple   # without the batch axis, e.g. (16, 8, 8)
    num_params: int


def layer_table(model: Module, input_shape: tuple,
                dtype: np.dtype | type = np.float32) -> list[LayerInfo]:
    """Output shape and parameter count of every layer for one input shape.

    Parameters
    ----------
    model : cnnlib.nn.Sequential (or a single layer)
    input_shape : tuple of int
        Shape of *one* sample, without the batch axis, e.g. ``(1, 8, 8)``.
    dtype : the dtype of the probe input (the model's parameter dtype).

    Returns
    -------
    list of LayerInfo
        Found by running a batch of one all-zero sample through the model.
    """
    shape = tuple(int(s) for s in input_shape)
    if any(s < 1 for s in shape):
        raise ValueError(f"input_shape must be positive sizes without the batch axis, got {input_shape!r}")
    probe = np.zeros((1,) + shape, dtype=dtype)
    rows = []
    for i, (layer, (_, out)) in enumerate(zip(_layers(model), layer_outputs(model, probe))):
        rows.append(LayerInfo(i, type(layer).__name__, tuple(out.shape[1:]), count_parameters(layer)))
    return rows


def summary(model: Module, input_shape: tuple,
            dtype: np.dtype | type = np.float32) -> str:
    """A one-line-per-layer table of output shapes and parameter counts.

    Parameters
    ----------
    model, input_shape, dtype
        As for :func:`layer_table`.

    Returns
    -------
    str
        The table, with a total line, ready to ``print``. Shapes are written
        ``(N, C, H, W)`` with N standing for any batch size.

    Examples
    --------
    >>> from cnnlib import nn
    >>> rng = np.random.default_rng(0)
    >>> print(summary(nn.Sequential(nn.Conv2d(1, 4, 3, rng=rng), nn.Flatten()), (1, 5, 5)))
    layer  type     output shape      parameters
    -----  -------  ----------------  ----------
        0  Conv2d   (N, 4, 3, 3)              40
        1  Flatten  (N, 36)                    0
    total                                     40
    """
    rows = layer_table(model, input_shape, dtype)
    shapes = ["(N, " + ", ".join(map(str, r.output_shape)) + ")" for r in rows]
    kind_w = max([len("type")] + [len(r.kind) for r in rows])
    shape_w = max([len("output shape")] + [len(s) for s in shapes]) + 4
    header = f"{'layer':>5}  {'type':<{kind_w}}  {'output shape':<{shape_w}}  {'parameters':>10}"
    rule = f"{'-' * 5}  {'-' * kind_w}  {'-' * shape_w}  {'-' * 10}"
    lines = [header, rule]
    for r, s in zip(rows, shapes):
        lines.append(f"{r.index:>5}  {r.kind:<{kind_w}}  {s:<{shape_w}}  {r.num_params:>10,}")
    total = sum(r.num_params for r in rows)
    lines.append(f"{'total':<{5 + 2 + kind_w + 2 + shape_w}}  {total:>10,}")
    return "\n".join(lines)
