"""Tests for sim.network: format, statistics, determinism, backends, errors.

Edge-list reading is tested in tests/test_edgelist.py.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from sim import network as net
from sim.errors import ScenarioError
from sim.network import assembly

GENERATED = ("watts_strogatz", "erdos_renyi", "barabasi_albert", "sbm")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def assert_valid(adj: sp.csr_array, n: int) -> None:
    """The module's adjacency contract."""
    assert isinstance(adj, sp.csr_array)
    assert adj.shape == (n, n)
    assert adj.indices.dtype == np.int32
    assert adj.indptr.dtype == np.int32
    assert adj.data.dtype == np.float32
    assert np.all(adj.data == 1.0)
    assert adj.indptr[0] == 0 and adj.indptr[-1] == adj.nnz
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(adj.indptr))
    cols = adj.indices.astype(np.int64)
    assert np.all((cols >= 0) & (cols < n))
    assert not np.any(rows == cols), "self-loop"
    key = rows * n + cols
    assert np.all(np.diff(key) > 0), "indices unsorted or duplicated"
    # Symmetric: the transposed key set is the same set.
    assert np.array_equal(np.sort(cols * n + rows), key)


def mean_degree(adj: sp.csr_array) -> float:
    return adj.nnz / adj.shape[0]


def cross_fraction(adj: sp.csr_array, labels: np.ndarray) -> float:
    rows = np.repeat(np.arange(adj.shape[0]), np.diff(adj.indptr))
    return float(np.mean(labels[rows] != labels[adj.indices]))


def lattice(n: int, k: int) -> sp.csr_array:
    rows = np.repeat(np.arange(n), k)
    offsets = np.tile(np.r_[np.arange(1, k // 2 + 1), -np.arange(1, k // 2 + 1)], n)
    cols = (rows + offsets) % n
    return sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))


# --------------------------------------------------------------------------- format


@pytest.mark.parametrize("kind", [*GENERATED, "none"])
@pytest.mark.parametrize("backend", net.BACKENDS)
def test_format_contract(kind: str, backend: str) -> None:
    adj = net.build_network(kind, 1500, rng(1), backend=backend)
    assert_valid(adj, 1500)
    if kind != "none":
        assert adj.nnz > 0


def test_empty_and_tiny() -> None:
    assert_valid(net.empty_graph(5), 5)
    assert net.empty_graph(5).nnz == 0
    for kind in GENERATED:
        adj = net.build_network(kind, 1, rng(), mean_degree=0.5, blocks=1, mixing=0.0)
        assert adj.shape == (1, 1) and adj.nnz == 0
    two = net.build_network("watts_strogatz", 2, rng(), mean_degree=1.0)
    assert two.nnz == 2  # the single possible tie


def test_degrees_is_int32() -> None:
    adj = net.build_network("erdos_renyi", 500, rng())
    deg = net.degrees(adj)
    assert deg.dtype == np.int32 and deg.shape == (500,)
    assert deg.sum() == adj.nnz
    assert np.array_equal(net.degrees(adj.tocoo()), deg)


# --------------------------------------------------------------------------- statistics


def test_ws_p0_is_exact_ring_lattice() -> None:
    n, k = 60, 6
    adj = net.watts_strogatz(n, k, 0.0, rng())
    assert_valid(adj, n)
    assert np.all(net.degrees(adj) == k)
    assert (adj != lattice(n, k)).nnz == 0
    assert set(adj.indices[adj.indptr[0] : adj.indptr[1]].tolist()) == {1, 2, 3, 57, 58, 59}


def test_ws_mean_degree_and_rewiring() -> None:
    n = 20_000
    adj = net.build_network("watts_strogatz", n, rng(), mean_degree=10, rewire_p=0.1)
    assert_valid(adj, n)
    assert mean_degree(adj) == pytest.approx(10.0, rel=2e-3)
    # About p of the lattice edges left the lattice.
    kept = adj.multiply(lattice(n, 10)).nnz / adj.nnz
    assert kept == pytest.approx(0.9, abs=0.01)


@pytest.mark.parametrize(("mean", "k"), [(10, 10), (9.2, 10), (5, 6), (4.9, 4), (0.3, 2)])
def test_ws_k_mapping(mean: float, k: int) -> None:
    adj = net.build_network("watts_strogatz", 100, rng(), mean_degree=mean, rewire_p=0.0)
    assert np.all(net.degrees(adj) == k)


def test_er_mean_degree() -> None:
    for n, md in ((20_000, 10.0), (300, 150.0), (50, 45.0)):
        adj = net.erdos_renyi(n, md, rng(n))
        assert_valid(adj, n)
        # Exact G(n, p): the edge count is Binomial(N, p); allow 4 sd.
        pairs = n * (n - 1) / 2
        p = md / (n - 1)
        sd = math.sqrt(pairs * p * (1 - p))
        assert abs(adj.nnz / 2 - pairs * p) < 4 * sd
    assert mean_degree(net.erdos_renyi(20_000, 10.0, rng())) == pytest.approx(10.0, rel=0.02)


def test_ba_mean_degree_and_heavy_tail() -> None:
    n, m = 100_000, 5
    adj = net.barabasi_albert(n, m, rng())
    assert_valid(adj, n)
    assert mean_degree(adj) == pytest.approx(2 * m, rel=0.02)
    deg = net.degrees(adj)
    assert deg.min() >= 1
    er_max = net.degrees(net.erdos_renyi(n, 2 * m, rng())).max()
    assert deg.max() > 20 * mean_degree(adj)
    assert deg.max() > 10 * er_max
    # Discrete power-law MLE of the tail exponent (Clauset et al.): about 3.
    kmin = 20
    tail = deg[deg >= kmin].astype(float)
    alpha = 1 + tail.size / np.sum(np.log(tail / (kmin - 0.5)))
    assert 2.5 < alpha < 3.5


def test_sbm_mean_degree_and_mixing() -> None:
    n = 20_000
    adj, labels = net.stochastic_block(n, 10, 10.0, 0.2, rng())
    assert_valid(adj, n)
    assert labels.dtype == np.int32
    assert np.array_equal(labels, net.sbm_blocks(n, 10))
    assert np.array_equal(np.bincount(labels), np.full(10, 2000))
    assert np.all(np.diff(labels) >= 0)  # contiguous
    assert mean_degree(adj) == pytest.approx(10.0, rel=0.02)
    assert cross_fraction(adj, labels) == pytest.approx(0.2, abs=0.01)


def test_sbm_extremes_and_uneven_blocks() -> None:
    adj, labels = net.stochastic_block(1003, 7, 8.0, 0.0, rng())
    assert_valid(adj, 1003)
    assert cross_fraction(adj, labels) == 0.0
    assert set(np.bincount(labels).tolist()) <= {143, 144}
    adj, labels = net.stochastic_block(1000, 4, 8.0, 1.0, rng())
    assert cross_fraction(adj, labels) == 1.0
    adj = net.build_network("sbm", 5000, rng(), mean_degree=6, blocks=5, mixing=0.3)
    assert cross_fraction(adj, net.sbm_blocks(5000, 5)) == pytest.approx(0.3, abs=0.02)


def test_decode_rows_is_exact() -> None:
    # Strict upper triangle, row by row, as erdos_renyi numbers it.
    for n in (2, 3, 7, 50):
        row = np.arange(n)
        a, b = assembly._decode_rows(np.arange(n * (n - 1) // 2), n - 1 - row, row + 1)
        ra, rb = np.triu_indices(n, 1)
        assert np.array_equal(a, ra) and np.array_equal(b, rb)
    # Row boundaries at a large size (k sorted, as _sample_distinct gives).
    n = 2_000_000
    rows = np.array([0, 1, 2, 999_999, 1_000_000, n - 3, n - 2], dtype=np.int64)
    start = rows * (2 * n - rows - 1) // 2
    k = np.sort(np.concatenate([start, start + (n - 2 - rows)]))
    row = np.arange(n, dtype=np.int64)
    a, b = assembly._decode_rows(k, n - 1 - row, row + 1)
    assert np.array_equal(a, np.repeat(rows, 2))
    assert np.array_equal(b[0::2], rows + 1) and np.all(b[1::2] == n - 1)


def test_sbm_candidate_pairs_cover_all_pairs_once() -> None:
    # Probability-one limits: every candidate pair is drawn, so the decoding
    # must hit each within-block and each cross-block pair exactly once.
    cliques, labels = net.stochastic_block(12, 3, 3.0, 0.0, rng())
    assert np.array_equal(
        cliques.toarray(), (labels[:, None] == labels[None, :]) & ~np.eye(12, dtype=bool)
    )
    complete, _ = net.stochastic_block(12, 3, 11.0, 8 / 11, rng())
    assert np.array_equal(complete.toarray(), 1 - np.eye(12))


@pytest.mark.parametrize(("total", "count"), [(10, 0), (10, 3), (10, 9), (10, 10), (10**12, 10**5)])
def test_sample_distinct(total: int, count: int) -> None:
    out = assembly._sample_distinct(rng(), total, count)
    assert out.size == count
    assert np.all(np.diff(out) > 0)
    assert count == 0 or (out[0] >= 0 and out[-1] < total)


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("kind", GENERATED)
@pytest.mark.parametrize("backend", net.BACKENDS)
def test_same_seed_same_graph(kind: str, backend: str) -> None:
    a = net.build_network(kind, 2000, rng(42), backend=backend)
    b = net.build_network(kind, 2000, rng(42), backend=backend)
    c = net.build_network(kind, 2000, rng(43), backend=backend)
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert not (np.array_equal(a.indptr, c.indptr) and np.array_equal(a.indices, c.indices))


# --------------------------------------------------------------------------- backends


@pytest.mark.parametrize("kind", GENERATED)
def test_backends_agree_on_mean_degree(kind: str) -> None:
    n = 4000
    ours = net.build_network(kind, n, rng(), mean_degree=8, mixing=0.25)
    theirs = net.build_network(kind, n, rng(), mean_degree=8, mixing=0.25, backend="networkx")
    assert mean_degree(ours) == pytest.approx(mean_degree(theirs), rel=0.05)
    if kind == "sbm":
        labels = net.sbm_blocks(n, 10)
        assert cross_fraction(ours, labels) == pytest.approx(0.25, abs=0.03)
        assert cross_fraction(theirs, labels) == pytest.approx(0.25, abs=0.03)


def ws_clustering(k: int, p: float) -> float:
    """Barrat & Weigt (2000): C(p) = 3(k-2) / (4(k-1)) (1-p)^3 for a rewired ring lattice."""
    return 3 * (k - 2) / (4 * (k - 1)) * (1 - p) ** 3


@pytest.mark.parametrize("backend", ["numpy", "networkx"])
def test_ws_clustering_matches_theory_on_both_backends(backend: str) -> None:
    """Average clustering of 1,000-node Watts-Strogatz graphs (k = 10) against theory.

    Standard errors, measured over 8 graphs per backend: 0.006-0.007 at p = 0.1
    (theory 0.486; means 0.492 numpy, 0.489 networkx) and 0.001 at p = 1 (a random
    graph: C = k / n = 0.010). Tolerances are about 4 standard errors.
    """
    def clustering(p: float) -> float:
        g = net.build_network("watts_strogatz", 1000, rng(), rewire_p=p, backend=backend)
        return nx.average_clustering(net.to_networkx(g))

    assert clustering(0.0) == pytest.approx(ws_clustering(10, 0.0))  # exact: 2/3
    assert clustering(0.1) == pytest.approx(ws_clustering(10, 0.1), abs=0.03)
    assert clustering(1.0) == pytest.approx(10 / 1000, abs=0.005)


def test_networkx_round_trip() -> None:
    adj = net.build_network("barabasi_albert", 300, rng(), mean_degree=4)
    graph = net.to_networkx(adj)
    assert graph.number_of_nodes() == 300
    assert graph.number_of_edges() == adj.nnz // 2
    back = net.from_networkx(graph)
    assert_valid(back, 300)
    assert (back != adj).nnz == 0


def test_from_networkx_mapping_and_sizes() -> None:
    graph = nx.Graph([("carol", "alice"), ("alice", "bob"), ("bob", "bob")])
    adj = net.from_networkx(graph, n=5)
    assert_valid(adj, 5)
    # Graph order: carol 0, alice 1, bob 2; the self-loop is dropped; 3 and 4 isolated.
    assert adj.toarray().tolist()[:3] == [[0, 1, 0, 0, 0], [1, 0, 1, 0, 0], [0, 1, 0, 0, 0]]
    mixed = nx.Graph([("x", 1), (1, 2.5)])  # graph order x, 1, 2.5
    assert net.from_networkx(mixed).toarray().tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    with pytest.raises(ScenarioError, match=r"directed graph.*to_undirected"):
        net.from_networkx(nx.DiGraph([(0, 1), (1, 0), (1, 2)]))
    assert net.from_networkx(nx.DiGraph([(0, 1), (1, 0), (1, 2)]).to_undirected()).nnz == 4
    with pytest.raises(ScenarioError, match=r"population\.size"):
        net.from_networkx(nx.path_graph(6), n=5)


def test_as_adjacency() -> None:
    dense = np.zeros((4, 4))
    dense[0, 1] = 2.0  # one-sided, weighted: still one undirected tie
    dense[2, 2] = 1.0  # self-loop dropped
    adj = net.as_adjacency(dense, 4)
    assert_valid(adj, 4)
    assert adj.nnz == 2 and adj[1, 0] == 1.0
    assert net.as_adjacency(nx.path_graph(4), 4).nnz == 6
    with pytest.raises(ScenarioError, match="network"):
        net.as_adjacency(np.zeros((3, 3)), 4)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"kind": "smallworld"}, "network.kind"),
        ({"mean_degree": 0}, "network.mean_degree"),
        ({"mean_degree": -3.0}, "network.mean_degree"),
        ({"mean_degree": 100}, "network.mean_degree"),
        ({"mean_degree": 250}, "network.mean_degree"),
        ({"mean_degree": float("nan")}, "network.mean_degree"),
        ({"mean_degree": "10"}, "network.mean_degree"),
        ({"kind": "erdos_renyi", "mean_degree": 100}, "network.mean_degree"),
        ({"kind": "barabasi_albert", "mean_degree": 0.0}, "network.mean_degree"),
        ({"rewire_p": -0.1}, "network.rewire_p"),
        ({"rewire_p": 1.5}, "network.rewire_p"),
        ({"kind": "sbm", "blocks": 0}, "network.blocks"),
        ({"kind": "sbm", "blocks": 101}, "network.blocks"),
        ({"kind": "sbm", "blocks": 2.5}, "network.blocks"),
        ({"kind": "sbm", "mixing": -0.5}, "network.mixing"),
        ({"kind": "sbm", "mixing": 1.01}, "network.mixing"),
        ({"kind": "sbm", "blocks": 1, "mixing": 0.1}, "network.mixing"),
        ({"kind": "sbm", "blocks": 50, "mixing": 0.0}, "network.mean_degree"),
        ({"backend": "igraph"}, "network.backend"),
        ({"kind": "edgelist"}, "network.path"),
    ],
)
def test_bad_build_inputs(kwargs: dict, key: str) -> None:
    kind = kwargs.pop("kind", "watts_strogatz")
    with pytest.raises(ScenarioError, match=key.replace(".", r"\.")) as info:
        net.build_network(kind, 100, rng(), **kwargs)
    assert isinstance(info.value, ValueError)
    assert info.value.problems[0].key == key


def test_unknown_kind_lists_allowed() -> None:
    with pytest.raises(ScenarioError) as info:
        net.build_network("grid", 10, rng())
    assert all(kind in str(info.value) for kind in net.KINDS)


@pytest.mark.parametrize("n", [0, -5, 2.0, True, 2**31])
def test_bad_population_size(n: object) -> None:
    with pytest.raises(ScenarioError, match=r"population\.size"):
        net.build_network("erdos_renyi", n, rng(), mean_degree=0.5)


def test_bad_direct_arguments() -> None:
    with pytest.raises(ScenarioError, match=r"network\.mean_degree"):
        net.watts_strogatz(100, 5, 0.1, rng())  # odd k
    with pytest.raises(ScenarioError, match=r"network\.mean_degree"):
        net.watts_strogatz(10, 12, 0.1, rng())
    with pytest.raises(ScenarioError, match=r"network\.rewire_p"):
        net.watts_strogatz(100, 4, 2.0, rng())
    with pytest.raises(ScenarioError, match=r"network\.mean_degree"):
        net.barabasi_albert(100, 0, rng())
    with pytest.raises(ScenarioError, match=r"network\.mean_degree"):
        net.barabasi_albert(10, 10, rng())
    with pytest.raises(ScenarioError, match=r"network\.blocks"):
        net.sbm_blocks(10, 11)
    with pytest.raises(ScenarioError, match=r"network\.mean_degree"):
        net.build_network("erdos_renyi", 10**6, rng(), mean_degree=5000)  # too many entries
