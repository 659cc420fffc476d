"""Custom networkx graphs: nodes keep their labels and their order; directed graphs are refused."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import sim
from sim import network as net
from sim.results import label_column
from tests.helpers import small


def labelled_ring(n: int) -> nx.Graph:
    """A ring n0 - n1 - ... - n{n-1} - n0, nodes added in that order."""
    g = nx.Graph()
    g.add_nodes_from(f"n{i}" for i in range(n))
    g.add_edges_from((f"n{i}", f"n{(i + 1) % n}") for i in range(n))
    return g


def neighbours(adj: sp.csr_array, i: int) -> list[int]:
    return sorted(adj.indices[adj.indptr[i]: adj.indptr[i + 1]].tolist())


def test_labels_kept_in_the_graph_order_not_string_sorted():
    g = labelled_ring(120)
    res = sim.run(small(**{"population.size": 120}), network=g)
    cons = res.consumers
    assert list(cons.columns[:2]) == ["consumer_id", "label"]
    assert cons["label"].tolist() == [f"n{i}" for i in range(120)]  # not n0, n1, n10, n100...
    assert neighbours(res.network, 10) == [9, 11]  # n10's friends are n9 and n11
    assert cons["degree"].tolist() == [2] * 120


def test_insertion_order_is_the_graph_order():
    g = nx.Graph([("carol", "alice"), ("alice", "bob"), ("bob", "bob")])
    assert net.node_order(g) == ["carol", "alice", "bob"]
    adj = net.from_networkx(g, n=5)
    # carol 0, alice 1, bob 2; the self-loop is dropped; 3 and 4 are isolated
    assert adj.toarray().tolist()[:3] == [[0, 1, 0, 0, 0], [1, 0, 1, 0, 0], [0, 1, 0, 0, 0]]
    assert net.node_labels(g, 5) == ["carol", "alice", "bob", None, None]


def test_integer_nodes_zero_to_l_keep_their_number():
    g = nx.Graph()
    g.add_edges_from([(3, 0), (0, 2), (2, 1)])  # inserted 3, 0, 2, 1
    assert net.node_order(g) == [0, 1, 2, 3]
    assert net.from_networkx(g).toarray().tolist() == [
        [0, 0, 1, 1], [0, 0, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]]
    gaps = nx.Graph([(10, 20), (20, 5)])  # not 0..L-1: graph order
    assert net.node_order(gaps) == [10, 20, 5]


def test_a_smaller_graph_leaves_later_consumers_unlabelled_and_isolated():
    g = labelled_ring(50)
    res = sim.run(small(**{"population.size": 60}), network=g)
    labels = res.consumers["label"]
    assert labels[:50].tolist() == [f"n{i}" for i in range(50)]
    assert labels[50:].isna().all()
    assert (res.consumers["degree"][50:] == 0).all()


def test_composite_or_mixed_labels_become_text():
    grid = nx.grid_2d_graph(5, 6)  # nodes (i, j)
    res = sim.run(small(**{"population.size": 30}), network=grid)
    assert res.consumers["label"].tolist()[:3] == ["(0, 0)", "(0, 1)", "(0, 2)"]
    mixed = nx.Graph([("x", 1), (1, 2.5)])
    assert net.node_order(mixed) == ["x", 1, 2.5]
    assert label_column(net.node_labels(mixed, 4)).tolist() == [
        "x", "1", "2.5", None]
    assert label_column([7, 9, None]).tolist() == [7, 9, None]


def test_a_matrix_network_has_no_label_column():
    adj = net.to_networkx(net.build_network("erdos_renyi", 40, np.random.default_rng(1),
                                            mean_degree=4))
    res = sim.run(small(**{"population.size": 40}), network=nx.to_scipy_sparse_array(adj))
    assert "label" not in res.consumers.columns


def test_trust_model_and_run_take_the_same_graph_the_same_way():
    g = nx.relabel_nodes(nx.karate_club_graph(), {i: f"m{33 - i}" for i in range(34)})
    sc = small(**{"population.size": 34})
    model = sim.TrustModel(sc, network=g)
    model.setup()
    res = sim.run(sc, network=g)
    assert (model.adjacency != res.network).nnz == 0
    assert (model.adjacency != net.from_networkx(g)).nnz == 0
    assert res.consumers["label"].tolist() == [f"m{33 - i}" for i in range(34)]
    assert res.consumers["degree"].tolist() == [g.degree(f"m{33 - i}") for i in range(34)]


@pytest.mark.parametrize("how", ["run", "model"])
def test_a_directed_graph_is_refused_with_the_way_out(how):
    g = nx.DiGraph([(0, 1), (1, 2), (2, 0)])
    sc = small(**{"population.size": 3, "network.mean_degree": 2})
    with pytest.raises(sim.ScenarioError, match=r"network.*directed.*to_undirected") as err:
        if how == "run":
            sim.run(sc, network=g)
        else:
            sim.TrustModel(sc, network=g).setup()
    assert "DiGraph" in str(err.value)
    # the way out works: every pair linked in either direction is one tie
    res = sim.run(sc, network=g.to_undirected())
    assert res.network.nnz == 6


def test_a_multigraph_counts_each_pair_once():
    g = nx.MultiGraph([("a", "b"), ("b", "a"), ("b", "c")])
    assert net.from_networkx(g).nnz == 4


def test_an_edge_list_of_labels_keeps_them_in_file_order(tmp_path):
    path = tmp_path / "friends.csv"
    path.write_text("source,target\n" + "".join(f"n{i},n{i + 1}\n" for i in range(11)))
    res = sim.run(small(**{"population.size": 14, "network.kind": "edgelist",
                           "network.path": str(path), "network.mean_degree": 2}))
    assert res.consumers["label"].tolist() == [f"n{i}" for i in range(12)] + [None, None]
    assert neighbours(res.network, 2) == [1, 3]  # n2 sits between n1 and n3, not after n10
    ints = tmp_path / "ids.csv"
    ints.write_text("0 1\n1 2\n")
    res = sim.run(small(**{"population.size": 5, "network.kind": "edgelist",
                           "network.path": str(ints), "network.mean_degree": 2}))
    assert "label" not in res.consumers.columns
