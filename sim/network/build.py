"""The front door: build the network a scenario asks for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from sim.errors import ScenarioError
from sim.network.assembly import empty_graph
from sim.network.checks import (
    _check_backend,
    _check_blocks,
    _check_kind,
    _check_mean_degree,
    _check_n,
    _check_unit,
)
from sim.network.edgelist import load_edgelist
from sim.network.generators import (
    _ba_m,
    _sbm_probabilities,
    _ws_k,
    barabasi_albert,
    erdos_renyi,
    stochastic_block,
    watts_strogatz,
)
from sim.network.interop import _networkx_graph
from sim.network.kinds import DEFAULTS


def check_parameters(
    kind: str, n: int, *, mean_degree: float, blocks: int, mixing: float
) -> None:
    """Check that a generated network's parameters can be built, without building it.

    Args:
        kind: Network kind.
        n: Number of consumers.
        mean_degree: Mean degree.
        blocks: Number of communities (``sbm``).
        mixing: Share of cross-community ties (``sbm``).

    Raises:
        ScenarioError: Naming the ``network.*`` key that cannot be met.
    """
    if kind in ("none", "edgelist") or n < 2:
        return
    md = _check_mean_degree(mean_degree, n)
    if kind == "sbm":
        _sbm_probabilities(n, _check_blocks(blocks, n), md, _check_unit("network.mixing", mixing))



def build_network(
    kind: str,
    n: int,
    rng: np.random.Generator,
    *,
    mean_degree: float = DEFAULTS.mean_degree,
    rewire_p: float = DEFAULTS.rewire_p,
    blocks: int = DEFAULTS.blocks,
    mixing: float = DEFAULTS.mixing,
    path: str | Path | None = None,
    backend: str = DEFAULTS.backend,
) -> sp.csr_array:
    """Build the consumers' social network.

    Mapping of ``mean_degree`` per kind: ``"watts_strogatz"`` uses the even
    lattice degree ``k`` nearest ``mean_degree`` (at least 2, at most ``n``);
    ``"barabasi_albert"`` uses ``m = max(1, round(mean_degree / 2))`` ties per
    arriving consumer; ``"erdos_renyi"`` and ``"sbm"`` use it as the expected
    degree. ``"edgelist"`` loads ``path`` (see :func:`load_edgelist`) and
    ``"none"`` gives no ties at all; these two ignore ``backend`` and ``rng``.
    Parameters a kind does not use are still range-checked when their range
    does not depend on ``n``. The ``"networkx"`` backend calls
    ``nx.watts_strogatz_graph``, ``nx.fast_gnp_random_graph``,
    ``nx.barabasi_albert_graph`` or ``nx.stochastic_block_model`` (with the
    same block sizes and probabilities) seeded from ``rng``; its graphs follow
    the same laws but are not the same graphs as the numpy backend's.

    Args:
        kind: One of :data:`KINDS`.
        n: Number of consumers.
        rng: Random generator; the same state gives the same network.
        mean_degree: Target mean degree, ``0 < mean_degree < n``.
        rewire_p: Watts–Strogatz rewiring probability, in ``[0, 1]``.
        blocks: Number of SBM communities, ``1 <= blocks <= n``.
        mixing: SBM fraction of ties that cross communities, in ``[0, 1]``.
        path: Edge-list file, required for ``"edgelist"``.
        backend: ``"numpy"`` (vectorised, any size) or ``"networkx"`` (networkx
            generators, for small graphs and cross-checks).

    Returns:
        The symmetric ``(n, n)`` CSR adjacency (for ``"sbm"`` only the
        adjacency; get the labels from :func:`sbm_blocks`).

    Raises:
        ScenarioError: On any bad input, naming its ``network.*`` key path.
    """
    kind = _check_kind(kind)
    backend = _check_backend(backend)
    n = _check_n(n)
    rewire_p = _check_unit("network.rewire_p", rewire_p)
    mixing = _check_unit("network.mixing", mixing)

    if kind == "none":
        return empty_graph(n)
    if kind == "edgelist":
        if path is None:
            raise ScenarioError.one(
                "network.path", "an edge-list file is required when network.kind is 'edgelist'"
            )
        return load_edgelist(path, n)

    md = _check_mean_degree(mean_degree, n)
    if kind == "sbm":
        blocks = _check_blocks(blocks, n)
    if n == 1:
        return empty_graph(n)
    if kind == "sbm":
        _sbm_probabilities(n, blocks, md, mixing)  # raise on an unreachable target
    if backend == "networkx":
        return _networkx_graph(
            kind, n, rng, mean_degree=md, rewire_p=rewire_p, blocks=blocks, mixing=mixing
        )
    if kind == "watts_strogatz":
        return watts_strogatz(n, _ws_k(md, n), rewire_p, rng)
    if kind == "erdos_renyi":
        return erdos_renyi(n, md, rng)
    if kind == "barabasi_albert":
        return barabasi_albert(n, _ba_m(md, n), rng)
    return stochastic_block(n, blocks, md, mixing, rng)[0]
