"""Interop with networkx and user-supplied adjacency matrices.

The ``"networkx"`` backend of :func:`~sim.network.build_network` builds the same
kinds with networkx's own generators; it is meant for small graphs and for
cross-checking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from sim.errors import ScenarioError
from sim.network.assembly import _from_pairs
from sim.network.checks import _check_n
from sim.network.generators import _ba_m, _block_layout, _sbm_probabilities, _ws_k

if TYPE_CHECKING:
    import networkx as nx


def node_order(graph: nx.Graph) -> list[Any]:
    """The graph's nodes in consumer order: consumer ``i`` is node ``node_order(graph)[i]``.

    Nodes that are exactly the integers ``0..L-1`` keep their number (node ``i``
    is consumer ``i``, whatever order they were added in); any other nodes are
    taken in the graph's own order (``graph.nodes``, i.e. insertion order), never
    sorted, so ``n0, n1, ..., n10`` stay in that order rather than becoming
    ``n0, n1, n10, ...``.

    Args:
        graph: A networkx graph.

    Returns:
        The nodes, one per consumer ``0..L-1``.
    """
    nodes = list(graph.nodes)
    ints = all(isinstance(x, int | np.integer) and not isinstance(x, bool) for x in nodes)
    if ints and set(nodes) == set(range(len(nodes))):
        return list(range(len(nodes)))
    return nodes


def from_networkx(graph: nx.Graph, n: int | None = None) -> sp.csr_array:
    """Convert an undirected networkx graph to the simulation's adjacency format.

    Consumers ``0..L-1`` are the graph's nodes in :func:`node_order` (the
    integers ``0..L-1`` as themselves, other labels in the graph's order; the
    run's consumer table keeps each node in its ``label`` column). Self-loops
    and parallel edges are dropped. Consumers ``L..n-1`` are isolated.

    A directed graph is refused: ties here are friendships, which carry word of
    mouth, news and churn both ways, and silently reading a follower graph as
    friendships (or dropping one direction) would change what it means. Pass
    ``graph.to_undirected()`` to tie every pair linked in either direction.

    Args:
        graph: An undirected networkx graph (``Graph`` or ``MultiGraph``).
        n: Number of consumers; defaults to ``graph.number_of_nodes()``.

    Returns:
        The symmetric ``(n, n)`` CSR adjacency.

    Raises:
        ScenarioError: If the graph is directed (key ``network``), or ``n`` is
            bad or smaller than the number of nodes (``population.size``).
    """
    if graph.is_directed():
        raise ScenarioError.one(
            "network",
            "is a directed graph; ties here are friendships and carry word of mouth both "
            "ways, so pass an undirected graph: graph.to_undirected() ties every pair "
            "linked in either direction",
            type(graph).__name__,
        )
    nodes = node_order(graph)
    n = len(nodes) if n is None else _check_n(n, allow_zero=True)
    if len(nodes) > n:
        raise ScenarioError.one(
            "population.size",
            f"the graph has {len(nodes)} nodes but there are only {n} consumers",
            n,
        )
    index = {node: i for i, node in enumerate(nodes)}
    edges = [(index[a], index[b]) for a, b in graph.edges()]
    pairs = np.array(edges, dtype=np.int64).reshape(-1, 2)
    return _from_pairs(pairs[:, 0], pairs[:, 1], n)


def node_labels(network: Any, n: int) -> list[Any] | None:
    """Each consumer's node in a user-supplied networkx graph.

    Args:
        network: What the run was given as its network.
        n: Number of consumers.

    Returns:
        ``n`` labels in consumer order (None for consumers beyond the graph's
        nodes), or None if ``network`` is not a networkx graph.
    """
    if not (hasattr(network, "nodes") and hasattr(network, "edges")):
        return None
    nodes = node_order(network)
    return nodes + [None] * (n - len(nodes))


def as_adjacency(network: Any, n: int) -> sp.csr_array:
    """Normalise a user-supplied network to the simulation's adjacency format.

    Args:
        network: An undirected networkx graph (see :func:`from_networkx`), or a square
            scipy sparse matrix/array or dense array whose non-zero
            off-diagonal entries are ties (read as undirected, so a one-sided
            entry still makes a tie).
        n: Number of consumers.

    Returns:
        The symmetric ``(n, n)`` CSR adjacency.

    Raises:
        ScenarioError: If the network does not fit ``n`` consumers or is not a
            graph or square matrix (key ``network``).
    """
    n = _check_n(n)
    if hasattr(network, "nodes") and hasattr(network, "edges"):
        return from_networkx(network, n)
    try:
        coo = sp.coo_array(network)
    except (TypeError, ValueError):
        raise ScenarioError.one(
            "network",
            "must be a networkx graph or a square adjacency matrix",
            type(network).__name__,
        ) from None
    if coo.ndim != 2 or coo.shape != (n, n):
        raise ScenarioError.one(
            "network",
            f"the adjacency must have shape ({n}, {n}) for population.size {n}",
            coo.shape,
        )
    nonzero = coo.data != 0
    return _from_pairs(coo.row[nonzero], coo.col[nonzero], n)


def to_networkx(adj: Any) -> nx.Graph:
    """Convert an adjacency matrix to a networkx graph.

    Args:
        adj: Square sparse (or dense) adjacency; any non-zero off-diagonal
            entry is a tie.

    Returns:
        An undirected ``networkx.Graph`` with nodes ``0..n-1``.
    """
    import networkx as nx

    coo = sp.coo_array(adj)
    keep = coo.row != coo.col
    graph = nx.Graph()
    graph.add_nodes_from(range(coo.shape[0]))
    graph.add_edges_from(zip(coo.row[keep].tolist(), coo.col[keep].tolist(), strict=True))
    return graph


def degrees(adj: Any) -> np.ndarray:
    """Count each consumer's ties.

    Args:
        adj: Adjacency as built by this module (any sparse format is accepted).

    Returns:
        ``int32`` degree per consumer.
    """
    if not isinstance(adj, (sp.csr_array, sp.csr_matrix)):
        adj = sp.csr_array(adj)
    return np.diff(adj.indptr).astype(np.int32)


def _tie_p(p: float) -> float:
    """A tie probability, 0 when too small for ``log(1 - p)`` (networkx divides by it)."""
    return 0.0 if 1.0 - p == 1.0 else float(p)


def _networkx_graph(
    kind: str,
    n: int,
    rng: np.random.Generator,
    *,
    mean_degree: float,
    rewire_p: float,
    blocks: int,
    mixing: float,
) -> sp.csr_array:
    import networkx as nx

    seed = int(rng.integers(2**31))
    if kind == "watts_strogatz":
        graph = nx.watts_strogatz_graph(n, _ws_k(mean_degree, n), rewire_p, seed=seed)
    elif kind == "erdos_renyi":
        graph = nx.fast_gnp_random_graph(n, _tie_p(mean_degree / (n - 1)), seed=seed)
    elif kind == "barabasi_albert":
        graph = nx.barabasi_albert_graph(n, _ba_m(mean_degree, n), seed=seed)
    else:  # sbm
        p_in, p_out, _, _ = _sbm_probabilities(n, blocks, mean_degree, mixing)
        _, sizes = _block_layout(n, blocks)
        probs = np.full((blocks, blocks), _tie_p(p_out))
        np.fill_diagonal(probs, _tie_p(p_in))
        graph = nx.stochastic_block_model(sizes.tolist(), probs.tolist(), seed=seed)
    return from_networkx(graph, n)
