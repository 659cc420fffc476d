"""Fast neighbour sums equal the sparse product."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sim.graph_ops import neighbour_sum, scatter_rows
from sim.network import build_network


@pytest.mark.parametrize("share", [0.0, 0.001, 0.03, 0.5])
@pytest.mark.parametrize("kind", ["watts_strogatz", "barabasi_albert", "erdos_renyi"])
def test_neighbour_sum_equals_matvec(kind, share):
    rng = np.random.default_rng(4)
    adj = build_network(kind, 5000, rng, mean_degree=8)
    mask = rng.random(5000) < share
    assert np.array_equal(neighbour_sum(adj, mask), adj @ mask.astype(np.float32))
    w = np.where(mask, rng.random(5000), 0).astype(np.float32)
    assert np.allclose(neighbour_sum(adj, w), adj @ w, rtol=1e-5)


def _adj(n, edges):
    i, j = np.array(edges).T
    return sp.csr_array((np.ones(2 * len(edges), np.float32), (np.r_[i, j], np.r_[j, i])),
                        shape=(n, n))


def test_scatter_rows_exact_sums_single_row_and_weights():
    # path 0 - 1 - 2 plus an isolated 3
    adj = _adj(4, [(0, 1), (1, 2)])
    one = scatter_rows(adj, np.array([0]))
    assert one.dtype == np.float32 and one.tolist() == [0, 1, 0, 0]
    w = scatter_rows(adj, np.array([1, 2]), np.array([0.5, 2.0]))
    assert w.dtype == np.float32 and w.tolist() == [0.5, 2.0, 0.5, 0]
    for rows in (np.array([3]), np.array([], int)):  # no ties, no rows
        z = scatter_rows(adj, rows)
        assert z.dtype == np.float32 and z.shape == (4,) and not z.any()


@pytest.mark.parametrize("x", [
    np.array([True, False, True, False]),               # dense path: half non-zero
    np.array([0.5, 0.0, 0.25, 0.0]),
    np.array([True, False, False, False] + [False] * 46),  # sparse path: 1 in 50
])
def test_neighbour_sum_exact_small_graph(x):
    n = x.size
    edges = [(0, 1), (1, 2), (2, 3)] + [(k, k + 1) for k in range(4, n - 1)]
    adj = _adj(n, edges)
    got = neighbour_sum(adj, x)
    want = np.zeros(n)
    for a, b in edges:
        want[a] += float(x[b])
        want[b] += float(x[a])
    assert got.dtype == np.float32 and got.tolist() == want.tolist()


def test_weights_are_rounded_to_float32_before_summing():
    # ten friends of node 0, each with weight 0.1 (not exact in float32)
    adj = _adj(11, [(0, k) for k in range(1, 11)])
    rows = np.arange(1, 11)
    w = np.full(10, 0.1)
    assert np.array_equal(scatter_rows(adj, rows, w), scatter_rows(adj, rows, w.astype(np.float32)))
    # 1 + (2**-24 + 2**-50): rounded first, the weight is 2**-24 and the sum ties to 1.0;
    # added in float64 it would round up to 1 + 2**-23
    got = scatter_rows(adj, np.array([1, 2]), np.array([1.0, 2.0**-24 + 2.0**-50]))
    assert got[0] == np.float32(1.0)


def test_dense_and_sparse_paths_give_identical_float32_sums():
    # a star: the centre sums 34 float32 weights; the leaves are the non-zero rows, 97% of
    # consumers (the dense path); the sums must equal the sparse path's float32 sums
    adj = _adj(35, [(0, k) for k in range(1, 35)])
    x = np.r_[0.0, np.random.default_rng(4).random(34)].astype(np.float32)
    dense = neighbour_sum(adj, x)
    assert dense.dtype == np.float32
    assert np.array_equal(dense, scatter_rows(adj, np.arange(1, 35), x[1:]))
    assert dense[0] != np.float32(x.astype(np.float64).sum())  # float64 sums would differ


def test_neighbour_sum_dispatch_follows_dense_share(monkeypatch):
    # DENSE_SHARE's contract: signals with more than 4% non-zero entries take the plain
    # product, sparser ones (exactly 4% included) the row scatter; both give the same
    # sums, so the rule is only visible through which path runs
    from sim import graph_ops

    assert graph_ops.DENSE_SHARE == 0.04
    calls = []

    def spy(adj, rows, weights=None):
        calls.append(len(rows))
        return scatter_rows(adj, rows, weights)

    monkeypatch.setattr(graph_ops, "scatter_rows", spy)
    adj = _adj(100, [(k, k + 1) for k in range(99)])
    for nonzero, scattered in ((0, True), (1, True), (4, True), (5, False), (60, False)):
        calls.clear()
        x = np.zeros(100, bool)
        x[:nonzero] = True
        got = graph_ops.neighbour_sum(adj, x)
        assert calls == ([nonzero] if scattered else []), nonzero
        assert np.array_equal(got, adj @ x.astype(np.float32))
