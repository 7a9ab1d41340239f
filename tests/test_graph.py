"""cnnlib.graph: adjacency helpers, GraphConv and pooling against loops, closed forms,
finite differences, and the identity "graph convolution on the pixel grid = conv2d"."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import cnnlib
from cnnlib import graph, nn
from cnnlib.gradcheck import check_function, check_layer


def random_graph(rng, n, p=0.4):
    upper = np.triu(rng.random((n, n)) < p, k=1)
    return (upper | upper.T).astype(np.float64)


# -- grid_graph -----------------------------------------------------------------

@given(h=st.integers(1, 7), w=st.integers(1, 7))
def test_grid_graph_edge_counts_and_neighbours(h, w):
    A4, A8 = graph.grid_graph(h, w), graph.grid_graph(h, w, connectivity=8)
    for A in (A4, A8):
        assert A.shape == (h * w, h * w) and A.dtype == np.float32
        assert np.array_equal(A, A.T) and np.all(np.diag(A) == 0)
    # closed forms: h(w-1) horizontal + (h-1)w vertical edges, 2(h-1)(w-1) diagonals
    assert A4.sum() / 2 == h * (w - 1) + (h - 1) * w
    assert A8.sum() / 2 == h * (w - 1) + (h - 1) * w + 2 * (h - 1) * (w - 1)
    # pixel (r, c) is node r * w + c; its neighbours are the pixels one step away
    for r in range(h):
        for c in range(w):
            for r2 in range(h):
                for c2 in range(w):
                    dr, dc = abs(r - r2), abs(c - c2)
                    assert A4[r * w + c, r2 * w + c2] == (dr + dc == 1)
                    assert A8[r * w + c, r2 * w + c2] == (max(dr, dc) == 1)


def test_grid_graph_matches_networkx_when_installed():
    nx = pytest.importorskip("networkx")
    g = nx.grid_2d_graph(4, 5)
    order = [(r, c) for r in range(4) for c in range(5)]       # row-major
    np.testing.assert_array_equal(graph.grid_graph(4, 5), nx.to_numpy_array(g, nodelist=order))


# -- edges_to_adjacency and normalized_adjacency ------------------------------------

def test_edges_to_adjacency_is_symmetric_with_weights():
    A = graph.edges_to_adjacency(np.array([[0, 2], [1, 2]]), 4, weights=np.array([3, 5]))
    expected = np.zeros((4, 4))
    expected[0, 2] = expected[2, 0] = 3
    expected[1, 2] = expected[2, 1] = 5
    np.testing.assert_array_equal(A, expected)
    assert graph.edges_to_adjacency(np.zeros((0, 2), dtype=int), 2).sum() == 0


def test_normalized_adjacency_by_hand():
    # path 0-1-2 with self-loops: degrees 2, 3, 2
    # entries A_ij / sqrt(d_i d_j): 1/2, 1/sqrt(6), 1/3, ...
    A = graph.edges_to_adjacency(np.array([[0, 1], [1, 2]]), 3, dtype=np.float64)
    r6 = 1 / np.sqrt(6)
    expected = np.array([[1 / 2, r6, 0], [r6, 1 / 3, r6], [0, r6, 1 / 2]])
    np.testing.assert_allclose(graph.normalized_adjacency(A), expected)


@given(n=st.integers(1, 12), seed=st.integers(0, 1000), loops=st.booleans())
def test_normalized_adjacency_entrywise_and_its_eigenvector(n, seed, loops):
    rng = np.random.default_rng(seed)
    A = random_graph(rng, n) * rng.integers(1, 4, size=(n, n))
    A = np.triu(A, 1) + np.triu(A, 1).T                       # weighted, symmetric
    out = graph.normalized_adjacency(A, add_self_loops=loops)
    B = A + np.eye(n) if loops else A
    d = B.sum(axis=1)
    for i in range(n):
        for j in range(n):
            expected = B[i, j] / np.sqrt(d[i] * d[j]) if d[i] > 0 and d[j] > 0 else 0.0
            assert np.isclose(out[i, j], expected)
    # closed form: sqrt(d) is an eigenvector with eigenvalue 1, the largest
    np.testing.assert_allclose(out @ np.sqrt(d), np.sqrt(d), atol=1e-12)
    assert np.linalg.eigvalsh(out).max() <= 1 + 1e-12
    # sparse in, sparse out, same numbers
    sparse = graph.normalized_adjacency(sp.csr_array(A), add_self_loops=loops)
    assert sp.issparse(sparse)
    np.testing.assert_allclose(sparse.toarray(), out, atol=1e-15)


def test_isolated_node_gets_zero_not_inf():
    A = np.zeros((3, 3))
    A[0, 1] = A[1, 0] = 1.0
    out = graph.normalized_adjacency(A, add_self_loops=False)
    assert np.all(np.isfinite(out)) and np.all(out[2] == 0) and np.all(out[:, 2] == 0)


def test_normalized_adjacency_keeps_float32():
    assert graph.normalized_adjacency(graph.grid_graph(3, 3)).dtype == np.float32


# -- GraphConv -------------------------------------------------------------------

def graph_conv_loops(x, adj, weight, bias):
    """out_i = sum_j adj_ij (W x_j) + b, one node and one neighbour at a time."""
    n, out_f = x.shape[0], weight.shape[0]
    out = np.zeros((n, out_f))
    for i in range(n):
        for j in range(n):
            if adj[i, j] != 0:
                out[i] += adj[i, j] * (weight @ x[j])
        if bias is not None:
            out[i] += bias
    return out


@given(n=st.integers(1, 9), f_in=st.integers(1, 5), f_out=st.integers(1, 5),
       seed=st.integers(0, 10_000), bias=st.booleans(), sparse=st.booleans())
def test_graph_conv_matches_loops(n, f_in, f_out, seed, bias, sparse):
    rng = np.random.default_rng(seed)
    adj = graph.normalized_adjacency(random_graph(rng, n))
    conv = graph.GraphConv(f_in, f_out, bias=bias, rng=rng, dtype=np.float64)
    x = rng.normal(size=(n, f_in))
    out = conv(x, sp.csr_array(adj) if sparse else adj)
    b = conv.bias.data if bias else None
    np.testing.assert_allclose(out, graph_conv_loops(x, adj, conv.weight.data, b), atol=1e-12)


class BoundGraphConv(nn.Module):
    """A GraphConv with a fixed adjacency, so gradcheck.check_layer can call it with x alone."""

    def __init__(self, conv, adj):
        self.conv, self.adj = conv, adj

    def forward(self, x):
        return self.conv(x, self.adj)

    def backward(self, grad_out):
        return self.conv.backward(grad_out)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_graph_conv_gradients_by_finite_differences(sparse, bias):
    rng = np.random.default_rng(0)
    # a weighted, non-symmetric adj, so a backward that forgets the transpose fails
    adj = rng.random((6, 6)) * random_graph(rng, 6, p=0.6) + np.eye(6)
    layer = BoundGraphConv(graph.GraphConv(4, 3, bias=bias, rng=rng, dtype=np.float64),
                           sp.csr_array(adj) if sparse else adj)
    results = check_layer(layer, rng.normal(size=(6, 4)))
    assert len(results) == 3 if bias else 2
    assert all(r.passed for r in results), [str(r) for r in results]


def test_graph_conv_backward_accumulates_and_init_is_torch_default():
    rng = np.random.default_rng(1)
    conv = graph.GraphConv(16, 5, rng=rng)
    bound = 1 / np.sqrt(16)
    assert conv.weight.shape == (5, 16) and conv.bias.shape == (5,)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.weight.data).max() > 0.8 * bound
    assert conv.weight.data.dtype == np.float32
    again = graph.GraphConv(16, 5, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(conv.weight.data, again.weight.data)   # reproducible from rng
    x = rng.normal(size=(4, 16)).astype(np.float32)
    adj = graph.normalized_adjacency(graph.grid_graph(2, 2))
    conv(x, adj)
    conv.backward(np.ones((4, 5), dtype=np.float32))
    first = conv.weight.grad.copy()
    conv(x, adj)
    conv.backward(np.ones((4, 5), dtype=np.float32))
    np.testing.assert_allclose(conv.weight.grad, 2 * first, rtol=1e-6)      # adds, as torch
    assert [name for name, _ in conv.named_parameters()] == ["weight", "bias"]


def test_a_batch_is_the_graphs_side_by_side():
    rng = np.random.default_rng(2)
    sizes = [3, 5, 1, 4]
    adjs = [graph.normalized_adjacency(random_graph(rng, n)) for n in sizes]
    feats = [rng.normal(size=(n, 3)) for n in sizes]
    adj, x, batch = graph.batch_graphs(adjs, feats)
    assert sp.issparse(adj) and adj.shape == (13, 13)
    np.testing.assert_array_equal(batch, np.repeat(np.arange(4), sizes))
    conv = graph.GraphConv(3, 2, rng=rng, dtype=np.float64)
    together = conv(x, adj)
    apart = np.concatenate([conv(f, a) for a, f in zip(adjs, feats)])
    np.testing.assert_allclose(together, apart, atol=1e-12)
    dense, _, _ = graph.batch_graphs(adjs, feats, sparse=False)
    np.testing.assert_array_equal(dense, adj.toarray())


# -- the pixel grid: a graph convolution is a specific 2-D convolution ----------------

PLUS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=np.float64)


@pytest.mark.parametrize("connectivity, kernel", [(4, PLUS), (8, np.ones((3, 3)))])
def test_graph_conv_on_the_grid_with_self_loops_equals_conv2d(connectivity, kernel):
    # (A + I) X W^T: each pixel sums itself and its neighbours, each through W;
    # conv2d does the same with kernel[o, i] = W[o, i] * (plus or 3x3 ones) and
    # zero padding (missing neighbours at the border contribute nothing).
    rng = np.random.default_rng(3)
    C, F, h, w = 3, 4, 5, 6
    image = rng.normal(size=(1, C, h, w))
    conv = graph.GraphConv(C, F, rng=rng, dtype=np.float64)
    A = graph.grid_graph(h, w, connectivity).astype(np.float64)
    nodes_out = conv(image.reshape(C, -1).T, A + np.eye(h * w))       # (h*w, F)
    as_image = nodes_out.T.reshape(1, F, h, w)
    kernel4 = conv.weight.data[:, :, None, None] * kernel
    expected = cnnlib.conv2d(image, kernel4, conv.bias.data, padding=1)
    np.testing.assert_allclose(as_image, expected, atol=1e-12)


@pytest.mark.parametrize("connectivity, kernel", [(4, PLUS / 5), (8, np.ones((3, 3)) / 9)])
def test_normalised_grid_conv_is_a_blur_conv_away_from_the_border(connectivity, kernel):
    # Interior pixels have degree 5 (or 9) with the self-loop, so an entry
    # A_ij / sqrt(d_i d_j) is 1/5 (1/9) when both i and its neighbour j are
    # interior: two or more pixels from the border. Nearer, degrees differ.
    rng = np.random.default_rng(4)
    h, w = 6, 7
    image = rng.normal(size=(1, 1, h, w))
    conv = graph.GraphConv(1, 1, bias=False, rng=rng, dtype=np.float64)
    adj = graph.normalized_adjacency(graph.grid_graph(h, w, connectivity).astype(np.float64))
    out = conv(image.reshape(1, -1).T, adj).T.reshape(1, 1, h, w)
    expected = cnnlib.conv2d(image, conv.weight.data[:, :, None, None] * kernel, padding=1)
    np.testing.assert_allclose(out[..., 2:-2, 2:-2], expected[..., 2:-2, 2:-2], atol=1e-12)
    assert not np.allclose(out[..., 0, 0], expected[..., 0, 0])     # the corners differ
    assert not np.allclose(out[..., 1, 1:-1], expected[..., 1, 1:-1])   # and next to the border


# -- pooling ---------------------------------------------------------------------

@given(n=st.integers(1, 15), f=st.integers(1, 4), g=st.integers(1, 5),
       seed=st.integers(0, 1000), reduce=st.sampled_from(["mean", "sum"]))
def test_global_pool_matches_loops(n, f, g, seed, reduce):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, f))
    batch = rng.integers(0, g, size=n)
    out = graph.GlobalPool(reduce)(x, batch, num_graphs=g)
    for k in range(g):
        members = x[batch == k]
        if len(members) == 0:
            expected = np.zeros(f)                 # an empty graph pools to zeros
        else:
            expected = members.mean(axis=0) if reduce == "mean" else members.sum(axis=0)
        np.testing.assert_allclose(out[k], expected, atol=1e-12)
    functional = graph.global_mean_pool if reduce == "mean" else graph.global_add_pool
    np.testing.assert_allclose(functional(x, batch, g), out)


@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_global_pool_gradient_by_finite_differences(reduce):
    rng = np.random.default_rng(5)
    batch = np.array([0, 2, 0, 0, 2, 3, 3])          # graph 1 has no node
    pool = graph.GlobalPool(reduce)

    def backward(g, x):
        pool(x, batch, 4)
        return (pool.backward(g),)

    results = check_function(lambda x: pool(x, batch, 4), backward, rng.normal(size=(7, 3)))
    assert all(r.passed for r in results), [str(r) for r in results]


def test_a_whole_graph_network_passes_gradcheck():
    # GraphConv -> Tanh -> GraphConv -> mean pool: the chain a chapter trains
    rng = np.random.default_rng(6)
    adjs = [graph.normalized_adjacency(random_graph(rng, n, 0.6)) for n in (4, 3, 5)]
    adj, x, batch = graph.batch_graphs(adjs, [rng.normal(size=(len(a), 2)) for a in adjs])
    c1 = graph.GraphConv(2, 4, rng=rng, dtype=np.float64)
    act = nn.Tanh()
    c2 = graph.GraphConv(4, 3, rng=rng, dtype=np.float64)
    pool = graph.GlobalPool("mean")

    class Net(nn.Module):
        def __init__(self):
            self.c1, self.act, self.c2 = c1, act, c2

        def forward(self, x):
            return pool(self.c2(self.act(self.c1(x, adj)), adj), batch)

        def backward(self, g):
            return self.c1.backward(self.act.backward(self.c2.backward(pool.backward(g))))

    results = check_layer(Net(), x)
    assert all(r.passed for r in results), [str(r) for r in results]


# -- bad inputs ------------------------------------------------------------------

@pytest.mark.parametrize("call, error, match", [
    (lambda: graph.grid_graph(0, 3), ValueError, "h must be >= 1"),
    (lambda: graph.grid_graph(3, 3, connectivity=6), ValueError, "connectivity must be 4 or 8"),
    (lambda: graph.edges_to_adjacency(np.array([[0, 3]]), 3), ValueError, r"node indices in 0\.\.2"),
    (lambda: graph.edges_to_adjacency(np.array([0, 1, 2]), 3), ValueError, r"shape \(E, 2\)"),
    (lambda: graph.edges_to_adjacency(np.array([[0.0, 1.0]]), 3), TypeError, "integer array"),
    (lambda: graph.edges_to_adjacency(np.array([[0, 1]]), 3, weights=np.ones(2)), ValueError,
     r"weights must have shape \(1,\)"),
    (lambda: graph.normalized_adjacency(np.ones((2, 3))), ValueError, r"square \(N, N\)"),
    (lambda: graph.normalized_adjacency(np.ones((2, 2), dtype=int)), TypeError, "floating-point"),
    (lambda: graph.normalized_adjacency(-np.ones((2, 2))), ValueError, "non-negative row sums"),
    (lambda: graph.normalized_adjacency(np.eye(2), add_self_loops="yes"), TypeError, "True or False"),
    (lambda: graph.GraphConv(0, 2), ValueError, "in_features must be >= 1"),
    (lambda: graph.GlobalPool("max"), ValueError, "reduce must be 'mean' or 'sum'"),
    (lambda: graph.batch_graphs([np.eye(2)], []), ValueError, "the same graphs"),
    (lambda: graph.batch_graphs([np.eye(2)], [np.ones((3, 1))]), ValueError, "features have 3 nodes"),
    (lambda: graph.batch_graphs([np.eye(1), np.eye(1)], [np.ones((1, 2)), np.ones((1, 3))]),
     ValueError, "same F"),
])
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_graph_conv_bad_inputs():
    conv = graph.GraphConv(3, 2, rng=np.random.default_rng(0))
    adj = np.eye(4, dtype=np.float32)
    with pytest.raises(RuntimeError, match="backward.*before forward"):
        conv.backward(np.ones((4, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="expects in_features=3"):
        conv(np.ones((4, 5), dtype=np.float32), adj)
    with pytest.raises(ValueError, match=r"adj is \(3, 3\) but x has 4 nodes"):
        conv(np.ones((4, 3), dtype=np.float32), np.eye(3, dtype=np.float32))
    with pytest.raises(TypeError, match="x must be a floating-point array"):
        conv(np.ones((4, 3), dtype=int), adj)
    with pytest.raises(ValueError, match=r"x must be 2-D with layout \(N_nodes, in_features\)"):
        conv(np.ones((1, 4, 3), dtype=np.float32), adj)
    conv(np.ones((4, 3), dtype=np.float32), adj)
    with pytest.raises(ValueError, match="grad_out must have the forward output's shape"):
        conv.backward(np.ones((4, 3), dtype=np.float32))


def test_global_pool_bad_inputs():
    pool = graph.GlobalPool()
    x = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"batch must have shape \(3,\)"):
        pool(x, np.array([0, 1]))
    with pytest.raises(TypeError, match="batch must be an integer array"):
        pool(x, np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="graph indices >= 0"):
        pool(x, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match="num_graphs=1 but batch names graph 2"):
        pool(x, np.array([0, 2, 1]), num_graphs=1)
    pool(x, np.array([0, 0, 1]))
    with pytest.raises(ValueError, match=r"grad_out must have the forward output's shape \(2, 2\)"):
        pool.backward(np.ones((3, 2)))
