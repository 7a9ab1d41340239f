"""Graph convolution (Kipf and Welling): the layer, its adjacency, pooling over nodes.

Chapter 16 treats an image as a graph of pixels and then leaves the grid.
A graph of ``N`` nodes is an adjacency matrix ``A`` (``A[i, j]`` > 0 when
``j`` is a neighbour of ``i``) and node features ``x`` of shape ``(N, F)``.
One graph convolution mixes every node's features with its neighbours'::

    out = adj @ (x @ weight.T) + bias

with the same ``weight`` for every node, the way a 2-D convolution uses the
same kernel at every pixel. Kipf and Welling's choice of ``adj`` is
:func:`normalized_adjacency`, ``D^-1/2 (A + I) D^-1/2``; any other
``(N, N)`` matrix (``A + I`` itself, a row-normalised ``A``) works too.

What is here:

* :func:`grid_graph`: the pixel grid of an ``h x w`` image as a graph, so a
  chapter can show that a graph convolution with ``A + I`` equals a 2-D
  convolution with a plus-shaped (or 3x3) kernel times ``weight``;
* :func:`edges_to_adjacency` and :func:`batch_graphs`: from edge lists to
  matrices, and many graphs as one block-diagonal graph with a ``batch``
  vector naming each node's graph;
* :class:`GraphConv` (a :class:`cnnlib.nn.Module` with an explicit
  ``backward``) and :class:`GlobalPool` (sum or mean over each graph's
  nodes, the readout for graph-level predictions), with the functional
  forms :func:`global_add_pool` and :func:`global_mean_pool`.

Adjacency matrices may be dense ndarrays or :mod:`scipy.sparse` matrices
(``adj @ h`` and ``adj.T @ g`` are the only operations used).

Examples
--------
>>> import numpy as np
>>> from cnnlib import graph
>>> A = graph.edges_to_adjacency(np.array([[0, 1], [1, 2]]), num_nodes=3)   # a path 0-1-2
>>> graph.normalized_adjacency(A).round(3)
array([[0.5  , 0.408, 0.   ],
       [0.408, 0.333, 0.408],
       [0.   , 0.408, 0.5  ]], dtype=float32)
>>> conv = graph.GraphConv(4, 2, rng=np.random.default_rng(0))
>>> conv(np.ones((3, 4), dtype=np.float32), graph.normalized_adjacency(A)).shape
(3, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import numpy as np
import scipy.sparse as sp

from ._validate import (
    check_grad_out,
    check_ndim,
    float_array,
    integer,
    nonneg_int,
    positive_int,
)
from .nn.init import default_uniform
from .nn.module import Module, Parameter

__all__ = [
    "grid_graph",
    "edges_to_adjacency",
    "normalized_adjacency",
    "batch_graphs",
    "GraphConv",
    "GlobalPool",
    "global_add_pool",
    "global_mean_pool",
]

Adjacency = Union[np.ndarray, sp.spmatrix, sp.sparray]


def grid_graph(h: int, w: int, connectivity: int = 4) -> np.ndarray:
    """Adjacency of an ``h x w`` pixel grid: node ``r * w + c`` is pixel ``(r, c)``.

    Node order is row-major, the order of ``image.reshape(-1)``, so the
    features of a ``(C, h, w)`` image are ``image.reshape(C, -1).T``.

    Parameters
    ----------
    h, w : int
        Grid height and width (>= 1).
    connectivity : {4, 8}, default 4
        4: up, down, left, right neighbours; 8: also the four diagonals.

    Returns
    -------
    ndarray, shape (h * w, h * w), float32
        Symmetric 0/1 matrix without self-loops. Border pixels have fewer
        neighbours (the grid does not wrap around).

    Examples
    --------
    >>> A = grid_graph(2, 3)
    >>> A.sum(axis=1)                      # corners have 2 neighbours, edge middles 3
    array([2., 3., 2., 2., 3., 2.], dtype=float32)
    >>> int(grid_graph(3, 3, connectivity=8)[4].sum())   # the centre of a 3x3 grid
    8
    """
    h = positive_int(h, "h")
    w = positive_int(w, "w")
    if connectivity not in (4, 8) or isinstance(connectivity, bool):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity!r}")
    offsets = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if connectivity == 8 else [])
    A = np.zeros((h * w, h * w), dtype=np.float32)
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    for dr, dc in offsets:
        r2, c2 = rows + dr, cols + dc
        inside = (r2 >= 0) & (r2 < h) & (c2 >= 0) & (c2 < w)
        i = (rows * w + cols)[inside]
        j = (r2 * w + c2)[inside]
        A[i, j] = A[j, i] = 1.0
    return A


def edges_to_adjacency(edges: np.ndarray, num_nodes: int, weights: np.ndarray | None = None,
                       dtype=np.float32) -> np.ndarray:
    """Symmetric adjacency matrix of an undirected graph given as a list of edges.

    Parameters
    ----------
    edges : ndarray of int, shape (E, 2)
        Node pairs ``(i, j)``, each edge listed once (either direction).
    num_nodes : int
        ``N``; every index must be in ``0 .. N - 1``.
    weights : ndarray, shape (E,), optional
        Edge weights (default 1).
    dtype : numpy dtype, default float32

    Returns
    -------
    ndarray, shape (N, N)
        ``A[i, j] = A[j, i] = weight`` of edge (i, j), zeros elsewhere.

    Examples
    --------
    >>> edges_to_adjacency(np.array([[0, 1], [2, 1]]), 3)
    array([[0., 1., 0.],
           [1., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    num_nodes = nonneg_int(num_nodes, "num_nodes")
    edges = np.asarray(edges)
    if edges.size == 0:
        edges = edges.reshape(0, 2)
    if edges.dtype.kind not in "iu":
        raise TypeError(f"edges must be an integer array of node indices, got dtype {edges.dtype}")
    if edges.ndim != 2 or edges.shape[1] != 2:
        raise ValueError(f"edges must have shape (E, 2), one (i, j) pair per row, got {edges.shape}")
    if edges.size and (edges.min() < 0 or edges.max() >= num_nodes):
        raise ValueError(f"edges must hold node indices in 0..{num_nodes - 1} "
                         f"(num_nodes={num_nodes}), got values {edges.min()}..{edges.max()}")
    A = np.zeros((num_nodes, num_nodes), dtype=dtype)
    if weights is None:
        values = np.ones(len(edges), dtype=dtype)
    else:
        values = np.asarray(weights)
        if values.dtype.kind not in "iuf":
            raise TypeError(f"weights must be numbers, got dtype {values.dtype}")
        if values.shape != (len(edges),):
            raise ValueError(f"weights must have shape ({len(edges)},), one per edge, "
                             f"got {values.shape}")
        values = values.astype(dtype)
    A[edges[:, 0], edges[:, 1]] = values
    A[edges[:, 1], edges[:, 0]] = values
    return A


def _square(adj, name: str = "adj") -> None:
    if adj.ndim != 2 or adj.shape[0] != adj.shape[1]:
        raise ValueError(f"{name} must be a square (N, N) matrix, got shape {adj.shape}")


def _as_adjacency(adj, name: str = "adj") -> Adjacency:
    """A float dense or scipy.sparse matrix; checks only what is cheap for both."""
    if sp.issparse(adj):
        if adj.dtype.kind != "f":
            raise TypeError(f"{name} must have a floating-point dtype, got {adj.dtype}")
    else:
        adj = float_array(adj, name)
    _square(adj, name)
    return adj


def normalized_adjacency(A: Adjacency, add_self_loops: bool = True) -> Adjacency:
    """Kipf and Welling's propagation matrix ``D^-1/2 (A + I) D^-1/2``.

    ``D`` is the diagonal matrix of the row sums (degrees) of ``A + I``, so
    entry ``(i, j)`` becomes ``A_ij / sqrt(d_i d_j)``: a node with many
    neighbours does not drown the others, and repeated propagation neither
    explodes nor vanishes (the largest eigenvalue is 1).

    Parameters
    ----------
    A : ndarray or scipy.sparse matrix, shape (N, N), float
        Symmetric adjacency (weights allowed), no self-loops needed.
    add_self_loops : bool, default True
        Add ``I`` first, so each node keeps its own features. Without it, a
        node with no neighbour has degree 0 and its row and column are 0
        (not ``inf``).

    Returns
    -------
    same kind as ``A`` (dense stays dense, sparse stays sparse CSR), shape (N, N)

    Examples
    --------
    >>> A = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> normalized_adjacency(A)                 # degrees 2: every entry 1/2
    array([[0.5, 0.5],
           [0.5, 0.5]])
    >>> normalized_adjacency(A, add_self_loops=False)
    array([[0., 1.],
           [1., 0.]])
    """
    A = _as_adjacency(A, "A")
    if not isinstance(add_self_loops, (bool, np.bool_)):
        raise TypeError(f"add_self_loops must be True or False, got {add_self_loops!r}")
    n = A.shape[0]
    if sp.issparse(A):
        A = sp.csr_array(A)
        if add_self_loops:
            A = A + sp.identity(n, dtype=A.dtype, format="csr")
        degree = np.asarray(A.sum(axis=1)).ravel()
    else:
        if add_self_loops:
            A = A + np.eye(n, dtype=A.dtype)
        degree = A.sum(axis=1)
    if np.any(degree < 0):
        raise ValueError("A must have non-negative row sums (degrees) to take D^-1/2, "
                         f"got a row sum of {degree.min()}")
    inv_sqrt = np.zeros_like(degree)
    # isolated nodes (degree 0) get 0: no message in or out, instead of inf
    np.divide(1.0, np.sqrt(degree), out=inv_sqrt, where=degree > 0)
    if sp.issparse(A):
        D = sp.dia_array((inv_sqrt[None, :], [0]), shape=(n, n))
        return sp.csr_array(D @ A @ D)
    return (inv_sqrt[:, None] * A * inv_sqrt[None, :]).astype(A.dtype, copy=False)


def batch_graphs(adjacencies: Sequence[Adjacency], features: Sequence[np.ndarray], *,
                 sparse: bool = True):
    """Many graphs as one: a block-diagonal adjacency, stacked features, a ``batch`` vector.

    A graph convolution on the block-diagonal matrix never mixes nodes of
    different graphs, so one :class:`GraphConv` call processes the whole
    batch; :class:`GlobalPool` then uses ``batch`` to pool each graph apart.

    Parameters
    ----------
    adjacencies : sequence of (N_g, N_g) matrices, dense or sparse
        One per graph (already normalised, if wanted).
    features : sequence of (N_g, F) float arrays
        The same number of graphs, the same F for all.
    sparse : bool, default True
        Return the adjacency as a scipy.sparse CSR array (memory grows with
        the number of edges, not with the square of all nodes).

    Returns
    -------
    adj : (N, N) CSR array or ndarray, ``N = sum of N_g``
    x : ndarray, shape (N, F)
    batch : ndarray of int64, shape (N,)
        ``batch[i]`` is the index of node ``i``'s graph in the input order.

    Examples
    --------
    >>> A1, A2 = np.ones((2, 2)), np.ones((3, 3))
    >>> adj, x, batch = batch_graphs([A1, A2], [np.zeros((2, 4)), np.ones((3, 4))], sparse=False)
    >>> adj.shape, x.shape, batch
    ((5, 5), (5, 4), array([0, 0, 1, 1, 1]))
    """
    if len(adjacencies) != len(features):
        raise ValueError(f"adjacencies and features must list the same graphs, got "
                         f"{len(adjacencies)} and {len(features)}")
    if len(features) == 0:
        raise ValueError("batch_graphs needs at least one graph, got none")
    feats = []
    for g, (adj, x) in enumerate(zip(adjacencies, features)):
        x = float_array(x, f"features[{g}]")
        check_ndim(x, 2, f"features[{g}]", "(N_nodes, F)")
        adj = _as_adjacency(adj, f"adjacencies[{g}]")
        if adj.shape[0] != x.shape[0]:
            raise ValueError(f"graph {g}: adjacency is {adj.shape} but features have "
                             f"{x.shape[0]} nodes (shape {x.shape})")
        if x.shape[1] != np.shape(features[0])[1]:
            raise ValueError(f"graph {g} has {x.shape[1]} features per node, graph 0 has "
                             f"{np.shape(features[0])[1]}: every graph needs the same F")
        feats.append(x)
    sizes = [len(x) for x in feats]
    block = sp.block_diag(list(adjacencies), format="csr")
    adj = sp.csr_array(block) if sparse else block.toarray()
    batch = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    return adj, np.concatenate(feats), batch


def _check_adj_for(x: np.ndarray, adj) -> Adjacency:
    adj = _as_adjacency(adj)
    if adj.shape[0] != x.shape[0]:
        raise ValueError(f"adj is {adj.shape} but x has {x.shape[0]} nodes (shape {x.shape}): "
                         f"adj must be (N_nodes, N_nodes)")
    return adj if sp.issparse(adj) else adj.astype(x.dtype, copy=False)


class GraphConv(Module):
    """Graph convolution ``out = adj @ x @ weight.T + bias`` (Kipf and Welling, 2017).

    Every node's new features are a weighted sum, given by row ``i`` of
    ``adj``, of its own and its neighbours' features, each transformed by
    the same ``weight``. With ``adj = normalized_adjacency(A)`` this is the
    GCN layer; the layer itself accepts any (N, N) matrix.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True
    rng : numpy.random.Generator, optional
    dtype : numpy dtype, default float32

    Shapes
    ------
    ``forward(x, adj)``: x (N_nodes, in_features), adj (N_nodes, N_nodes)
    dense or scipy.sparse -> (N_nodes, out_features). ``weight``
    (out_features, in_features), ``bias`` (out_features,), both drawn from
    U(-1/sqrt(in_features), 1/sqrt(in_features)), as ``torch.nn.Linear``
    (Kipf and Welling used Glorot's initialisation and a zero bias).

    ``backward(grad_out)`` returns the gradient for ``x`` (``adj`` is data,
    not learned) and adds the parameters' gradients to their ``.grad``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> conv = GraphConv(3, 2, rng=rng)
    >>> A = grid_graph(2, 2)                         # a 4-cycle
    >>> x = rng.normal(size=(4, 3)).astype(np.float32)
    >>> out = conv(x, normalized_adjacency(A))
    >>> out.shape
    (4, 2)
    >>> conv.backward(np.ones_like(out)).shape, conv.weight.grad.shape
    ((4, 3), (2, 3))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 rng: np.random.Generator | None = None, dtype=np.float32):
        in_features = positive_int(in_features, "in_features")
        out_features = positive_int(out_features, "out_features")
        rng = np.random.default_rng() if rng is None else rng
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / np.sqrt(in_features)
        self.weight = Parameter(default_uniform(rng, bound, (out_features, in_features), dtype))
        self.bias = Parameter(default_uniform(rng, bound, (out_features,), dtype)) if bias else None
        self._x = None
        self._adj = None

    def forward(self, x: np.ndarray, adj: Adjacency) -> np.ndarray:
        x = float_array(x, "x")
        check_ndim(x, 2, "x", "(N_nodes, in_features)")
        if x.shape[1] != self.in_features:
            raise ValueError(f"x has {x.shape[1]} features per node (shape {x.shape}) but this "
                             f"GraphConv expects in_features={self.in_features}")
        adj = _check_adj_for(x, adj)
        self._x, self._adj = x, adj
        # transform first, then propagate: adj multiplies the narrower of the two
        out = np.asarray(adj @ (x @ self.weight.data.T.astype(x.dtype, copy=False)))
        if self.bias is not None:
            out = out + self.bias.data.astype(x.dtype, copy=False)
        return out.astype(x.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._cached("_x")
        adj = self._adj
        grad_out = check_grad_out(grad_out, (x.shape[0], self.out_features), x.dtype)
        # out = adj @ h with h = x @ W.T, so dL/dh = adj.T @ dL/dout
        grad_h = np.asarray(adj.T @ grad_out).astype(x.dtype, copy=False)
        self.weight.grad += grad_h.T @ x
        if self.bias is not None:
            self.bias.grad += grad_out.sum(axis=0)
        return grad_h @ self.weight.data.astype(x.dtype, copy=False)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


def _check_batch(x: np.ndarray, batch, num_graphs: int | None) -> tuple[np.ndarray, int]:
    batch = np.asarray(batch)
    if batch.dtype.kind not in "iu":
        raise TypeError(f"batch must be an integer array of graph indices, got dtype {batch.dtype}")
    if batch.shape != (x.shape[0],):
        raise ValueError(f"batch must have shape ({x.shape[0]},), one graph index per node of x "
                         f"(shape {x.shape}), got {batch.shape}")
    if batch.size and batch.min() < 0:
        raise ValueError(f"batch must hold graph indices >= 0, got {batch.min()}")
    seen = int(batch.max()) + 1 if batch.size else 0
    if num_graphs is None:
        num_graphs = seen
    else:
        num_graphs = integer(num_graphs, "num_graphs")
        if num_graphs < seen:
            raise ValueError(f"num_graphs={num_graphs} but batch names graph {seen - 1}")
    return batch.astype(np.int64, copy=False), num_graphs


class GlobalPool(Module):
    """Readout: one vector per graph, the sum or mean of its nodes' features.

    Parameters
    ----------
    reduce : {"mean", "sum"}, default "mean"

    Shapes
    ------
    ``forward(x, batch, num_graphs=None)``: x (N_nodes, F), batch (N_nodes,)
    int (the graph of each node, as :func:`batch_graphs` returns) ->
    (num_graphs, F); ``num_graphs`` defaults to ``batch.max() + 1``. A graph
    with no node gives zeros. ``backward(grad_out)``: (num_graphs, F) ->
    (N_nodes, F), each node receiving its graph's gradient (divided by the
    graph's size for the mean).

    Examples
    --------
    >>> pool = GlobalPool("mean")
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0], [10.0, 10.0]])
    >>> pool(x, np.array([0, 0, 1]))
    array([[ 2.,  3.],
           [10., 10.]])
    >>> pool.backward(np.ones((2, 2)))
    array([[0.5, 0.5],
           [0.5, 0.5],
           [1. , 1. ]])
    """

    def __init__(self, reduce: str = "mean"):
        if reduce not in ("mean", "sum"):
            raise ValueError(f"reduce must be 'mean' or 'sum', got {reduce!r}")
        self.reduce = reduce
        self._cache = None

    def forward(self, x: np.ndarray, batch: np.ndarray,
                num_graphs: int | None = None) -> np.ndarray:
        x = float_array(x, "x")
        check_ndim(x, 2, "x", "(N_nodes, F)")
        batch, num_graphs = _check_batch(x, batch, num_graphs)
        out = np.zeros((num_graphs, x.shape[1]), dtype=x.dtype)
        np.add.at(out, batch, x)
        counts = np.bincount(batch, minlength=num_graphs).astype(x.dtype)
        scale = np.ones_like(counts)
        if self.reduce == "mean":
            np.divide(1.0, counts, out=scale, where=counts > 0)   # empty graph: 0, not nan
            out *= scale[:, None]
        self._cache = (batch, scale, x.shape, x.dtype)
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        batch, scale, shape, dtype = self._cached("_cache")
        grad_out = check_grad_out(grad_out, (len(scale), shape[1]), dtype)
        return (grad_out * scale[:, None])[batch]

    def extra_repr(self) -> str:
        return f"reduce={self.reduce!r}"


def global_add_pool(x: np.ndarray, batch: np.ndarray, num_graphs: int | None = None) -> np.ndarray:
    """Sum of each graph's node features: (N_nodes, F) -> (num_graphs, F).

    See :class:`GlobalPool` (which also has the backward pass).

    Examples
    --------
    >>> global_add_pool(np.array([[1.0], [2.0], [5.0]]), np.array([0, 0, 1]))
    array([[3.],
           [5.]])
    """
    return GlobalPool("sum")(x, batch, num_graphs)


def global_mean_pool(x: np.ndarray, batch: np.ndarray, num_graphs: int | None = None) -> np.ndarray:
    """Mean of each graph's node features: (N_nodes, F) -> (num_graphs, F).

    See :class:`GlobalPool` (which also has the backward pass).

    Examples
    --------
    >>> global_mean_pool(np.array([[1.0], [2.0], [5.0]]), np.array([0, 0, 1]))
    array([[1.5],
           [5. ]])
    """
    return GlobalPool("mean")(x, batch, num_graphs)
