"""Batch normalisation: BatchNorm1d and BatchNorm2d, as in PyTorch.

The formulas, the train/eval behaviour and the derivation of the backward
pass are in :class:`BatchNorm2d`'s docstring. The passes over the data live
in ``cnnlib._kernels`` (tuned for memory traffic); this module holds the
formulas.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .. import _kernels
from .._validate import (
    check_grad_out,
    float_array,
    positive_float,
    positive_int,
    probability,
)
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ in the shapes they accept."""

    _layouts: ClassVar[dict[int, str]] = {}  # ndim -> layout name, for the error message

    def __init__(self, num_features: int, eps: float = 1e-5, momentum=0.1, *, dtype=np.float32):
        self.num_features = positive_int(num_features, "num_features")
        self.eps = positive_float(eps, "eps")
        # None: cumulative average over all batches so far (PyTorch's option)
        self.momentum = None if momentum is None else probability(momentum, "momentum")
        self.weight = Parameter(np.ones(self.num_features, dtype=dtype))
        self.bias = Parameter(np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        self._cache = None
        self._workspace = _kernels.Workspace()

    def _rows(self, x) -> np.ndarray:
        """``x`` checked and viewed as (N, C*L): one row per sample."""
        x = float_array(x, "x")
        if x.ndim not in self._layouts:
            expected = " or ".join(f"{d}-D {layout}" for d, layout in self._layouts.items())
            raise ValueError(f"{type(self).__name__} expects x {expected}, got shape {x.shape} ({x.ndim}-D)")
        if x.shape[1] != self.num_features:
            raise ValueError(f"x has {x.shape[1]} channels (shape {x.shape}) but this "
                             f"{type(self).__name__} has num_features={self.num_features}")
        return np.ascontiguousarray(x).reshape(x.shape[0], x.size // max(1, x.shape[0]))

    def forward(self, x: np.ndarray) -> np.ndarray:
        x2 = self._rows(x)
        c = self.num_features
        count = x2.size // c  # values per channel, M
        if self.training:
            if count < 2:
                raise ValueError(
                    f"{type(self).__name__} in training mode needs more than one value per channel "
                    f"to compute a variance, got x of shape {np.shape(x)}; use a larger batch, "
                    f"or call .eval() to use the running statistics")
            mean, var = _kernels.batch_norm_stats(x2, c, self._workspace)
            self._update_running_stats(mean, var, count)
        else:
            mean = self.running_mean.astype(np.float64)
            var = self.running_var.astype(np.float64)
        inv_std = 1 / np.sqrt(var + self.eps)
        scale = self.weight.data * inv_std  # y = x * scale + shift, per channel
        y2 = _kernels.batch_norm_affine(x2, c, scale, self.bias.data - mean * scale, self._workspace)
        self._cache = (x2, np.shape(x), mean, inv_std, self.training)
        return y2.reshape(np.shape(x))

    def _update_running_stats(self, mean: np.ndarray, var: np.ndarray, count: int) -> None:
        self.num_batches_tracked += 1
        m = 1 / int(self.num_batches_tracked) if self.momentum is None else self.momentum
        # in place: optimisers and saved references keep pointing at these arrays
        self.running_mean[...] = (1 - m) * self.running_mean + m * mean
        self.running_var[...] = (1 - m) * self.running_var + m * var * (count / (count - 1))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x2, shape, mean, inv_std, training = self._cached("_cache")
        c = self.num_features
        g2 = np.ascontiguousarray(check_grad_out(grad_out, shape, x2.dtype)).reshape(x2.shape)
        sum_g, sum_g_xc = _kernels.batch_norm_grad_sums(g2, x2, mean, c, self._workspace)
        sum_g_xhat = sum_g_xc * inv_std
        self.weight.grad += sum_g_xhat
        self.bias.grad += sum_g
        a = self.weight.data * inv_std  # gamma / sigma
        if not training:
            return _kernels.batch_norm_affine(g2, c, a, ws=self._workspace).reshape(shape)
        # the compact formula, expanded into dx = a * g + b * x + c per channel
        count = x2.size // c
        b = -a * inv_std * sum_g_xhat / count
        return _kernels.batch_norm_input_grad(g2, x2, a, b, -a * sum_g / count - b * mean, c,
                                              self._workspace).reshape(shape)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm2d(_BatchNorm):
    r"""Batch normalisation over (N, H, W) for each channel, as ``torch.nn.BatchNorm2d``.

    For every channel, batch norm standardises the values of the batch and then
    rescales them with two learned numbers:

    .. math::

        \hat x = \frac{x - \mu}{\sigma}, \qquad y = \gamma \hat x + \beta,
        \qquad \sigma = \sqrt{\mathrm{var} + \epsilon},

    where :math:`\mu` and :math:`\mathrm{var}` are the mean and the biased
    variance (divided by M) of the channel's M values: over the batch and the
    positions, M = N*H*W for (N, C, H, W) inputs.

    **Train and eval.** In training mode (``model.train()``) :math:`\mu` and
    :math:`\mathrm{var}` come from the batch, and running averages are updated,
    ``running = (1 - momentum) * running + momentum * batch_value``, with the
    *unbiased* variance (divided by M - 1) for ``running_var``, as PyTorch
    does. In evaluation mode (``model.eval()``) the running averages are used
    instead, so a prediction does not depend on the other images of the batch.

    Parameters
    ----------
    num_features : int
        Number of channels C.
    eps : float, default 1e-5
        Added to the variance before the square root.
    momentum : float in [0, 1] or None, default 0.1
        Weight of the newest batch in the running averages (None: a plain
        average over all batches so far).
    dtype : numpy dtype, default float32
        Of the parameters and the running statistics.

    Attributes
    ----------
    weight, bias : cnnlib.nn.Parameter
        gamma (ones) and beta (zeros), shape (C,).
    running_mean, running_var : numpy.ndarray
        Buffers of shape (C,) (in ``state_dict``, not trained), zeros and ones at first.
    num_batches_tracked : numpy.ndarray
        Training batches seen, a 0-d int64 array.

    Shapes
    ------
    input (N, C, H, W) -> output (N, C, H, W)

    Notes
    -----
    **Backward.** Write :math:`g = \partial L / \partial y`. The parameters get
    :math:`\partial L/\partial\beta = \sum g` and
    :math:`\partial L/\partial\gamma = \sum g \hat x` (sums over the channel's M
    values). For the input, in training mode every :math:`\hat x_j` depends on
    every :math:`x_i` of its channel through :math:`\mu` and :math:`\sigma`:
    :math:`\partial\mu/\partial x_i = 1/M` and
    :math:`\partial\sigma/\partial x_i = \hat x_i / M` (the mean's own change
    cancels, since :math:`\sum_k (x_k - \mu) = 0`), so

    .. math::

        \frac{\partial \hat x_j}{\partial x_i}
          = \frac{\delta_{ij} - 1/M}{\sigma} - \frac{\hat x_j \hat x_i}{M\sigma},

    and summing :math:`g_j \gamma\, \partial \hat x_j / \partial x_i` over j gives
    the compact formula

    .. math::

        \frac{\partial L}{\partial x_i} = \frac{\gamma}{\sigma}
          \Big(g_i - \frac{1}{M}\sum_j g_j - \hat x_i\, \frac{1}{M}\sum_j g_j \hat x_j\Big):

    the gradient minus its mean, minus its component along :math:`\hat x`
    (normalising removes those two directions, so no gradient flows along them).
    In evaluation mode :math:`\mu` and :math:`\sigma` are constants and
    :math:`\partial L/\partial x = \gamma g / \sigma`.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> bn = nn.BatchNorm2d(3)
    >>> x = np.random.default_rng(0).normal(5.0, 2.0, size=(8, 3, 4, 4))
    >>> y = bn(x)
    >>> np.round(y.mean(axis=(0, 2, 3)), 6) + 0, np.round(y.std(axis=(0, 2, 3)), 3)
    (array([0., 0., 0.]), array([1., 1., 1.]))
    >>> list(bn.state_dict())
    ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    >>> int(bn.num_batches_tracked), np.round(bn.running_mean, 1)   # 0.9 * 0 + 0.1 * ~5
    (1, array([0.5, 0.5, 0.5], dtype=float32))
    """

    _layouts: ClassVar[dict[int, str]] = {4: "(N, C, H, W)"}


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of features (N, C) or sequences (N, C, L), as ``torch.nn.BatchNorm1d``.

    Each channel (feature) is normalised over the batch, and over the
    positions for (N, C, L) inputs. Parameters, buffers and formulas as
    :class:`BatchNorm2d`.

    Shapes
    ------
    input (N, C) or (N, C, L) -> output of the same shape

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> bn = nn.BatchNorm1d(2)
    >>> bn(np.array([[1.0, 10.0], [3.0, 30.0]]))
    array([[-0.999995  , -0.99999995],
           [ 0.999995  ,  0.99999995]])
    """

    _layouts: ClassVar[dict[int, str]] = {2: "(N, C)", 3: "(N, C, L)"}
