"""The one list of network kinds and backends, and their one set of defaults.

The scenario schema (:class:`sim.config.NetworkConfig`) and
:func:`sim.network.build_network` both read :data:`KINDS`, :data:`BACKENDS`
and :data:`DEFAULTS` from here, so a kind or a default is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

NetworkKind = Literal["watts_strogatz", "erdos_renyi", "barabasi_albert", "sbm", "edgelist", "none"]
"""The network kinds, as a type (the scenario schema's ``network.kind``)."""

KINDS: tuple[str, ...] = get_args(NetworkKind)
"""The network kinds :func:`~sim.network.build_network` knows."""

Backend = Literal["numpy", "networkx"]
"""The generator backends, as a type."""

BACKENDS: tuple[str, ...] = get_args(Backend)
"""The generator backends :func:`~sim.network.build_network` knows."""


@dataclass(frozen=True)
class NetworkDefaults:
    """Default network parameters (one set for the schema and the builders).

    Attributes:
        kind: Graph family.
        mean_degree: Mean number of friends.
        rewire_p: Watts-Strogatz rewiring probability.
        blocks: Number of communities (``sbm``).
        mixing: Share of a consumer's ties outside their community (``sbm``).
        backend: Generator backend.
    """

    kind: str = "watts_strogatz"
    mean_degree: float = 10.0
    rewire_p: float = 0.1
    blocks: int = 20
    mixing: float = 0.1
    backend: str = "numpy"


DEFAULTS = NetworkDefaults()
"""The defaults every network parameter falls back to."""

INT32_MAX = int(np.iinfo(np.int32).max)
"""Largest consumer count, and largest number of stored adjacency entries (2 * ties)."""

MAX_ENTRIES = INT32_MAX
"""Largest number of stored entries (2 * edges) a generated network may have."""
