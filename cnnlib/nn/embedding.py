"""Embedding: a lookup table of learned vectors, indexed by integers."""

from __future__ import annotations

from typing import Optional

import numpy as np

from .._validate import check_grad_out, positive_int
from .module import Module, Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """A table of ``num_embeddings`` learned vectors, as ``torch.nn.Embedding``.

    ``forward(indices)`` returns row ``indices[...]`` of ``weight`` for every
    index: the same as multiplying one-hot vectors by ``weight``, without
    building them. Words, characters, graph nodes or categories become
    vectors this way.

    ``backward(grad_out)`` adds each position's gradient to the row it
    looked up; an index used several times (a repeated word) collects the
    sum of its gradients. It returns ``None``: integer indices have no
    gradient, so an Embedding is always the first layer.

    Parameters
    ----------
    num_embeddings : int
        Size of the table (valid indices are 0 .. num_embeddings - 1).
    embedding_dim : int
        Length of each vector.
    rng : numpy.random.Generator, optional
        Source of the initial weights, N(0, 1) as in PyTorch.
    dtype : numpy dtype, default float32

    Shapes
    ------
    indices: integer array of any shape S -> output S + (embedding_dim,);
    ``weight`` (num_embeddings, embedding_dim).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> emb = nn.Embedding(10, 3, rng=np.random.default_rng(0))
    >>> out = emb(np.array([[1, 2, 1]]))
    >>> out.shape, bool((out[0, 0] == out[0, 2]).all())
    ((1, 3, 3), True)
    >>> emb.backward(np.ones((1, 3, 3), dtype=np.float32))   # returns None
    >>> emb.weight.grad[[0, 1, 2], 0]   # row 1 was used twice
    array([0., 2., 1.], dtype=float32)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, *,
                 rng: Optional[np.random.Generator] = None, dtype=np.float32):
        self.num_embeddings = positive_int(num_embeddings, "num_embeddings")
        self.embedding_dim = positive_int(embedding_dim, "embedding_dim")
        rng = np.random.default_rng() if rng is None else rng
        self.weight = Parameter(rng.standard_normal((self.num_embeddings, self.embedding_dim)).astype(dtype))
        self._indices = None

    def forward(self, indices) -> np.ndarray:
        indices = np.asarray(indices)
        if indices.dtype.kind not in "iu":
            raise TypeError(f"indices must be an integer array, got dtype {indices.dtype}")
        bad = (indices < 0) | (indices >= self.num_embeddings)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"indices{list(where)} = {indices[where]} is out of range: this Embedding has "
                f"num_embeddings={self.num_embeddings}, so indices must be in [0, {self.num_embeddings})"
            )
        self._indices = indices
        return self.weight.data[indices]

    def backward(self, grad_out: np.ndarray) -> None:
        indices = self._cached("_indices")
        grad_out = check_grad_out(grad_out, indices.shape + (self.embedding_dim,), self.weight.grad.dtype)
        # unbuffered add: a row looked up k times receives all k gradients
        np.add.at(self.weight.grad, indices.ravel(), grad_out.reshape(-1, self.embedding_dim))

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
