"""Weight initialisation, as ``torch.nn.init``, every draw from a given generator.

The layers' defaults follow PyTorch: ``Conv2d`` and ``Linear`` weights and
biases are drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (Kaiming-uniform with
a = sqrt(5)).
"""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


def default_uniform(rng: np.random.Generator, bound: float, shape, dtype) -> np.ndarray:
    """U(-bound, bound) samples of ``shape`` in ``dtype``: PyTorch's default for weights and biases."""
    return rng.uniform(-bound, bound, size=shape).astype(dtype)
