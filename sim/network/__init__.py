"""Social-network builders for the consumer population.

A package of small modules, bottom up:

- :mod:`~sim.network.kinds`: the one list of kinds and backends and their defaults;
- :mod:`~sim.network.checks`: range checks naming the ``network.*`` key;
- :mod:`~sim.network.assembly`: the symmetric CSR adjacency from endpoint pairs;
- :mod:`~sim.network.generators`: vectorised numpy generators;
- :mod:`~sim.network.interop`: networkx graphs and user-supplied matrices;
- :mod:`~sim.network.edgelist`: reading edge-list files;
- :mod:`~sim.network.build`: :func:`build_network`, the front door.

Every builder returns the network as a :class:`scipy.sparse.csr_array` of shape
``(n, n)`` that is symmetric, unweighted, has no self-loops and no duplicate
entries (see :mod:`~sim.network.assembly`). Every bad input raises
:class:`~sim.errors.ScenarioError` naming the key path (``"network.mean_degree"``,
``"network.path"``...) or the edge-list file. The public names below keep their
``sim.network`` import paths.
"""

from __future__ import annotations

from sim.network.assembly import empty_graph
from sim.network.build import build_network, check_parameters
from sim.network.edgelist import edgelist_labels, load_edgelist
from sim.network.generators import (
    barabasi_albert,
    erdos_renyi,
    sbm_blocks,
    stochastic_block,
    watts_strogatz,
)
from sim.network.interop import (
    as_adjacency,
    degrees,
    from_networkx,
    node_labels,
    node_order,
    to_networkx,
)
from sim.network.kinds import BACKENDS, DEFAULTS, KINDS, NetworkDefaults

__all__ = [
    "BACKENDS",
    "DEFAULTS",
    "KINDS",
    "NetworkDefaults",
    "as_adjacency",
    "barabasi_albert",
    "build_network",
    "check_parameters",
    "degrees",
    "edgelist_labels",
    "empty_graph",
    "erdos_renyi",
    "from_networkx",
    "load_edgelist",
    "node_labels",
    "node_order",
    "sbm_blocks",
    "stochastic_block",
    "to_networkx",
    "watts_strogatz",
]
