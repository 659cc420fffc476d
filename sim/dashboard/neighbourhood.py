"""A sampled neighbourhood of the network: BFS from one consumer, laid out alone.

Drawing a network of 100,000 consumers is neither fast nor readable; the
dashboard draws the few hundred consumers nearest to one seed consumer (a
breadth-first search over the CSR adjacency) and lays out only that induced
subgraph, once per sample.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.mechanisms.churn import CHURN_CAUSES
from sim.network_figure import CAUSE_STYLE
from sim.population import Population

SAMPLE_SIZE = 300
"""Consumers in the sampled neighbourhood."""


def bfs_sample(adjacency: sp.csr_array, start: int, limit: int = SAMPLE_SIZE) -> np.ndarray:
    """The first ``limit`` consumers reached by a breadth-first search from ``start``.

    Args:
        adjacency: Symmetric CSR adjacency.
        start: Seed consumer (row index).
        limit: Largest sample.

    Returns:
        Row indices in BFS order (``start`` first); fewer than ``limit`` when
        the component of ``start`` is smaller.

    Raises:
        ValueError: If ``start`` is not a row of the adjacency.
    """
    n = adjacency.shape[0]
    if not 0 <= start < n:
        raise ValueError(f"start must be a consumer index 0..{n - 1}, got {start}")
    indptr, indices = adjacency.indptr, adjacency.indices
    order = [int(start)]
    seen = {int(start)}
    head = 0
    while head < len(order) and len(order) < limit:
        v = order[head]
        head += 1
        for u in indices[indptr[v]:indptr[v + 1]]:
            u = int(u)
            if u not in seen:
                seen.add(u)
                order.append(u)
                if len(order) >= limit:
                    break
    return np.asarray(order, dtype=np.int64)


def induced_edges(adjacency: sp.csr_array, nodes: np.ndarray) -> np.ndarray:
    """Edges among ``nodes``, as pairs of positions in ``nodes`` (each edge once).

    Args:
        adjacency: Symmetric CSR adjacency.
        nodes: Row indices of the sample.

    Returns:
        ``(m, 2)`` int array with ``i < j``.
    """
    sub = sp.coo_array(adjacency[nodes][:, nodes])
    keep = sub.row < sub.col
    return np.column_stack([sub.row[keep], sub.col[keep]]).astype(np.int64)


def layout(n_nodes: int, edges: np.ndarray, seed: int) -> np.ndarray:
    """Spring layout of the sample only (seeded: the same sample draws the same).

    Args:
        n_nodes: Number of sampled consumers.
        edges: Their edges, as from :func:`induced_edges`.
        seed: Layout seed.

    Returns:
        ``(n_nodes, 2)`` positions.
    """
    g = nx.Graph()
    g.add_nodes_from(range(n_nodes))
    g.add_edges_from(map(tuple, edges))
    pos = nx.spring_layout(g, seed=seed, iterations=50)
    return np.array([pos[i] for i in range(n_nodes)], dtype=np.float64)


def churn_cause(population: Population, nodes: np.ndarray) -> list[str]:
    """Why each sampled consumer left, or ``"customer"`` for one who stays.

    Reads the cause the model recorded for each churner
    (:data:`sim.mechanisms.churn.CHURN_CAUSES`) and words it as the run's
    network figure does (:data:`sim.network_figure.CAUSE_STYLE`).

    Args:
        population: The model's population.
        nodes: Row indices of the sample.

    Returns:
        One label per sampled consumer (keys of ``charts.CAUSE_STYLE``).
    """
    p = population
    return ["customer" if p.customer[i] else CAUSE_STYLE[CHURN_CAUSES[p.churn_cause[i]]][2]
            for i in nodes]
