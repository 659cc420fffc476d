"""Social-network builders for the consumer population.

Every builder returns the network as a :class:`scipy.sparse.csr_array` of shape
``(n, n)`` that is symmetric, unweighted (``data`` is ``float32`` ones), has no
self-loops and no duplicate entries, and keeps sorted ``int32`` ``indices`` and
``indptr`` (scipy keeps both index arrays at one dtype, so both become ``int64``
only when the number of stored entries exceeds ``2**31 - 1``).

The large-scale builders (:func:`watts_strogatz`, :func:`erdos_renyi`,
:func:`barabasi_albert`, :func:`stochastic_block`) are vectorised numpy with no
Python loop over nodes or edges, and build a million-consumer network with mean
degree 10 in about a second. The ``"networkx"`` backend of :func:`build_network`
builds the same kinds with networkx's own generators; it is meant for small
graphs and for cross-checking.

Every bad input raises :class:`~sim.errors.ScenarioError` naming the key path
(``"network.mean_degree"``, ``"network.path"``...) or the edge-list file.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import sys
from numbers import Integral, Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from sim.errors import ScenarioError

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "BACKENDS",
    "KINDS",
    "as_adjacency",
    "barabasi_albert",
    "build_network",
    "check_parameters",
    "degrees",
    "empty_graph",
    "erdos_renyi",
    "from_networkx",
    "load_edgelist",
    "sbm_blocks",
    "stochastic_block",
    "to_networkx",
    "watts_strogatz",
]

KINDS = ("watts_strogatz", "erdos_renyi", "barabasi_albert", "sbm", "edgelist", "none")
"""The network kinds :func:`build_network` knows."""

BACKENDS = ("numpy", "networkx")
"""The generator backends :func:`build_network` knows."""

_INT32_MAX = int(np.iinfo(np.int32).max)
# Largest number of stored entries (2 * edges) a generated network may have.
_MAX_ENTRIES = _INT32_MAX
# Edge-list files at least this big are parsed with pandas' C reader first.
_FAST_PARSE_MIN_BYTES = 1 << 20
# First fields that mark an edge-list header line even when node ids are labels.
_HEADER_NAMES = frozenset(
    {
        "source", "target", "src", "dst", "from", "to", "u", "v", "i", "j",
        "node1", "node2", "node_1", "node_2", "head", "tail", "id1", "id2",
        "source_id", "target_id", "from_id", "to_id", "ego", "alter",
    }
)  # fmt: skip
_INT_RE = re.compile(r"[+-]?[0-9]+")
_INTS_RE = re.compile(r"[+-]?[0-9]+(?:\n[+-]?[0-9]+)*")


# --------------------------------------------------------------------------- validation


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_n(n: object, *, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if not _is_int(n) or not low <= int(n) <= _INT32_MAX:
        raise ScenarioError.one(
            "population.size",
            f"the number of consumers must be a whole number from {low} to {_INT32_MAX}",
            n,
        )
    return int(n)


def _check_unit(key: str, value: object) -> float:
    if not _is_real(value) or not 0.0 <= float(value) <= 1.0:
        raise ScenarioError.one(key, "must be a number in [0, 1]", value)
    return float(value)


def _check_mean_degree(mean_degree: object, n: int) -> float:
    if not _is_real(mean_degree) or not 0.0 < float(mean_degree) < n:
        raise ScenarioError.one(
            "network.mean_degree",
            f"must be a number greater than 0 and less than the number of consumers ({n})",
            mean_degree,
        )
    md = float(mean_degree)
    if n * md > _MAX_ENTRIES:
        raise ScenarioError.one(
            "network.mean_degree",
            f"would give about {n * md:.3g} adjacency entries for {n} consumers; "
            f"at most {_MAX_ENTRIES} are supported",
            mean_degree,
        )
    return md


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


def _check_blocks(blocks: object, n: int) -> int:
    if not _is_int(blocks) or not 1 <= int(blocks) <= n:
        raise ScenarioError.one(
            "network.blocks",
            f"must be a whole number from 1 to the number of consumers ({n})",
            blocks,
        )
    return int(blocks)


def _check_kind(kind: object) -> str:
    if kind not in KINDS:
        raise ScenarioError.one(
            "network.kind", f"unknown network kind; allowed: {', '.join(KINDS)}", kind
        )
    return str(kind)


def _check_backend(backend: object) -> str:
    if backend not in BACKENDS:
        raise ScenarioError.one(
            "network.backend", f"must be one of: {', '.join(BACKENDS)}", backend
        )
    return str(backend)


# --------------------------------------------------------------------------- assembly


def empty_graph(n: int) -> sp.csr_array:
    """Build a network with ``n`` consumers and no ties.

    Args:
        n: Number of consumers (0 allowed).

    Returns:
        An ``(n, n)`` CSR adjacency with no stored entries.
    """
    n = _check_n(n, allow_zero=True)
    return _assemble([], n)


def _from_pairs(u: np.ndarray, v: np.ndarray, n: int) -> sp.csr_array:
    """Build the symmetric adjacency from undirected endpoint pairs ``(u[i], v[i])``."""
    return _assemble([(np.asarray(u), np.asarray(v))], n)


_CHUNK = 1 << 21


def _assemble(parts: list[tuple[np.ndarray, np.ndarray]], n: int) -> sp.csr_array:
    """Build the symmetric CSR adjacency from undirected endpoint pairs.

    Self-loops and repeated pairs (in either orientation) are dropped. Each
    tie becomes the two 64-bit keys ``row << 32 | col``; one sort of the keys
    gives the CSR order, and the low and high halves of the sorted keys are
    the column indices and the rows.

    Args:
        parts: ``(u, v)`` endpoint arrays; the list is emptied as it is read so
            that the caller's arrays can be freed early (pass no other reference).
        n: Number of consumers; every endpoint is in ``[0, n)``.

    Returns:
        The adjacency.
    """
    m = sum(int(u.size) for u, _ in parts)
    key = np.empty(2 * m, dtype=np.int64)
    lo = 0
    while parts:
        u, v = parts.pop(0)
        size = int(u.size)
        for start, (x, y) in ((lo, (u, v)), (m + lo, (v, u))):
            half = key[start : start + size]
            half[...] = x
            half <<= 32
            half |= y
        lo += size
        del u, v
    key.sort()
    if sys.byteorder == "little":
        halves = key.view(np.int32)
        cols, rows = halves[0::2], halves[1::2]
    else:  # pragma: no cover - no big-endian CI
        halves = None
        cols, rows = (key & 0xFFFFFFFF).astype(np.int32), (key >> 32).astype(np.int32)
    keep = None
    if key.size:
        keep = np.empty(key.size, dtype=bool)
        keep[0] = True
        np.not_equal(key[1:], key[:-1], out=keep[1:])
        keep &= cols != rows
        if keep.all():
            keep = None
    counts = np.zeros(n, dtype=np.int64)
    for start in range(0, key.size, _CHUNK):
        chunk = rows[start : start + _CHUNK]
        if keep is not None:
            chunk = chunk[keep[start : start + _CHUNK]]
        counts += np.bincount(chunk, minlength=n)
    indices = cols[keep] if keep is not None else np.ascontiguousarray(cols)
    del key, halves, cols, rows, keep
    nnz = indices.size
    idx = np.int32 if nnz <= _INT32_MAX else np.int64
    indptr = np.zeros(n + 1, dtype=idx)
    np.cumsum(counts, out=indptr[1:])
    adj = sp.csr_array(
        (np.ones(nnz, dtype=np.float32), indices.astype(idx, copy=False), indptr),
        shape=(n, n),
        copy=False,
    )
    adj.has_sorted_indices = True
    adj.has_canonical_format = True
    return adj


def _dedup_sorted(x: np.ndarray) -> np.ndarray:
    """Drop repeats from a sorted 1-D array (np.unique without its cost)."""
    if x.size < 2:
        return x
    new = np.empty(x.size, dtype=bool)
    new[0] = True
    np.not_equal(x[1:], x[:-1], out=new[1:])
    return x if new.all() else x[new]


def _sample_distinct(rng: np.random.Generator, total: int, count: int) -> np.ndarray:
    """Draw ``count`` distinct integers uniformly from ``[0, total)``, sorted.

    Draws with replacement and tops up the repeats, so the result is a uniform
    random ``count``-subset; a dense request samples the complement instead.
    """
    if count <= 0:
        return np.empty(0, dtype=np.int64)
    if count > total // 2:
        drop = _sample_distinct(rng, total, total - count)
        keep = np.ones(total, dtype=bool)
        keep[drop] = False
        return np.flatnonzero(keep).astype(np.int64, copy=False)
    out = _dedup_sorted(np.sort(rng.integers(0, total, size=count, dtype=np.int64)))
    while out.size < count:
        extra = _dedup_sorted(
            np.sort(rng.integers(0, total, size=count - out.size, dtype=np.int64))
        )
        pos = np.searchsorted(out, extra)
        fresh = out[np.minimum(pos, out.size - 1)] != extra
        out = np.insert(out, pos[fresh], extra[fresh])
    return out


def _decode_rows(
    k: np.ndarray, row_len: np.ndarray, first: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Map sorted pair indices to consumer pairs ``(a, b)``.

    The candidate pairs are numbered consumer by consumer: consumer ``a`` owns
    ``row_len[a]`` consecutive indices, which stand for the pairs ``(a, first[a])``,
    ``(a, first[a] + 1)``, ... So ``row_len = n - 1 - a`` with ``first = a + 1``
    numbers the strict upper triangle row by row. ``k`` must be sorted: each
    consumer's share is then one ``searchsorted`` of the row starts.
    """
    n = row_len.size
    cum = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(row_len, out=cum[1:])
    a = np.repeat(np.arange(n, dtype=np.int32), np.diff(np.searchsorted(k, cum)))
    b = k - cum[a]
    b += first[a]
    return a, b.astype(np.int32)


# --------------------------------------------------------------------------- generators


def watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator) -> sp.csr_array:
    """Build a Watts–Strogatz small-world network.

    Starts from a ring lattice where each consumer is tied to its ``k // 2``
    nearest neighbours on each side; each lattice edge ``(i, i + j)`` then has
    its far end moved, with probability ``p``, to a uniformly random consumer.
    Self-loops and repeated edges that rewiring creates are dropped.

    Args:
        n: Number of consumers.
        k: Even lattice degree, ``0 <= k <= n`` (``k == n`` gives the complete graph).
        p: Rewiring probability in ``[0, 1]``.
        rng: Random generator.

    Returns:
        The symmetric CSR adjacency.

    Raises:
        ScenarioError: On a bad ``n`` (``population.size``), ``k``
            (``network.mean_degree``) or ``p`` (``network.rewire_p``).
    """
    n = _check_n(n)
    if not _is_int(k) or int(k) % 2 or not 0 <= int(k) <= n:
        raise ScenarioError.one(
            "network.mean_degree",
            f"the Watts-Strogatz lattice degree must be an even whole number from 0 to {n}",
            k,
        )
    p = _check_unit("network.rewire_p", p)
    if n * int(k) > _MAX_ENTRIES:
        raise ScenarioError.one("network.mean_degree", f"too many ties for {n} consumers", k)
    half = int(k) // 2
    if half == 0:
        return empty_graph(n)
    # Row j of the lattice holds the edges (i, i + j + 1 mod n).
    src = np.empty((half, n), dtype=np.int32)
    src[...] = np.arange(n, dtype=np.int32)
    dst = src + np.arange(1, half + 1, dtype=np.int32)[:, None]
    dst[dst >= n] -= n
    src = src.reshape(-1)
    dst = dst.reshape(-1)
    # Each edge moves independently with probability p: a binomial number of
    # distinct, uniformly chosen edges.
    moved = _sample_distinct(rng, dst.size, int(rng.binomial(dst.size, p)))
    dst[moved] = rng.integers(0, n, size=moved.size, dtype=np.int32)
    del moved
    parts = [(src, dst)]
    del src, dst
    return _assemble(parts, n)


def erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator) -> sp.csr_array:
    """Build an Erdős–Rényi G(n, p) random graph with ``p = mean_degree / (n - 1)``.

    Draws the number of edges from ``Binomial(n(n-1)/2, p)`` and then that many
    distinct consumer pairs uniformly at random, which is exactly G(n, p); the
    ``n × n`` pair matrix is never materialised.

    Args:
        n: Number of consumers.
        mean_degree: Expected degree, ``0 < mean_degree < n``.
        rng: Random generator.

    Returns:
        The symmetric CSR adjacency.

    Raises:
        ScenarioError: On a bad ``n`` (``population.size``) or ``mean_degree``
            (``network.mean_degree``).
    """
    n = _check_n(n)
    md = _check_mean_degree(mean_degree, n)
    pairs = n * (n - 1) // 2
    if pairs == 0:
        return empty_graph(n)
    m = int(rng.binomial(pairs, min(1.0, md / (n - 1))))
    row = np.arange(n, dtype=np.int64)
    parts = [_decode_rows(_sample_distinct(rng, pairs, m), n - 1 - row, row + 1)]
    del row
    return _assemble(parts, n)


def barabasi_albert(n: int, m: int, rng: np.random.Generator) -> sp.csr_array:
    """Build a Barabási–Albert preferential-attachment network.

    Consumer 1 ties to consumer 0; every later consumer ``v`` makes ``m`` ties,
    each to an earlier consumer drawn with probability proportional to its
    degree at the time ``v`` arrives. This is the Batagelj–Brandes edge-list
    method: picking a uniformly random endpoint slot of the earlier edges is
    degree-proportional, and the slots that are themselves targets are resolved
    by vectorised pointer-chasing rounds (about ``log2(n m)`` rounds of
    shrinking size). Repeated picks collapse into one tie, so the mean degree is
    just under ``2 m``; the degree distribution has a power-law tail of exponent
    about 3.

    Args:
        n: Number of consumers.
        m: Ties made by each arriving consumer, ``1 <= m < n``.
        rng: Random generator.

    Returns:
        The symmetric CSR adjacency.

    Raises:
        ScenarioError: On a bad ``n`` (``population.size``) or ``m``
            (``network.mean_degree``).
    """
    n = _check_n(n)
    if not _is_int(m) or not 1 <= int(m) < n:
        raise ScenarioError.one(
            "network.mean_degree",
            f"the Barabasi-Albert ties per consumer must be a whole number from 1 to {n - 1}",
            m,
        )
    m = int(m)
    if 2 * n * m > _MAX_ENTRIES:
        raise ScenarioError.one("network.mean_degree", f"too many ties for {n} consumers", m)
    n_edges = (n - 1) * m
    idx = np.int32 if 2 * n_edges <= _INT32_MAX else np.int64
    # Edge e is made by consumer 1 + e // m. Its endpoint slots are 2e (that
    # consumer) and 2e + 1 (its target), so the slots of all edges made before
    # consumer v arrived list every earlier consumer once per tie it has. Edge
    # e picks one of those 2 m (v - 1) slots uniformly: degree-proportional.
    src = np.repeat(np.arange(1, n, dtype=idx), m)
    high = (src - 1).astype(np.float64)
    high *= 2 * m
    slot = rng.random(n_edges)
    slot *= high
    slot = slot.astype(idx)
    high -= 1
    np.minimum(slot, high, out=slot, casting="unsafe")
    del high
    # Consumer 1's edges all go to consumer 0: give them slot 1, a target slot
    # below 2 m, which reads as consumer 0. Slots 2e + 1 >= 2 m point to the
    # target of edge e, which is whatever edge e picked: chase those pointers.
    cur = slot.copy()
    cur[:m] = 1
    active = np.flatnonzero((cur & 1).astype(bool) & (cur >= 2 * m))
    while active.size:
        nxt = slot[cur[active] >> 1]
        cur[active] = nxt
        active = active[(nxt & 1).astype(bool) & (nxt >= 2 * m)]
    del slot, active
    target = (cur >> 1) // m + 1
    target[(cur & 1).astype(bool)] = 0
    del cur
    parts = [(src, target)]
    del src, target
    return _assemble(parts, n)


def sbm_blocks(n: int, blocks: int) -> np.ndarray:
    """Label consumers with contiguous, equal-size communities.

    Consumer ``i`` is in block ``floor(i * blocks / n)``; block sizes differ by
    at most one.

    Args:
        n: Number of consumers.
        blocks: Number of communities, ``1 <= blocks <= n``.

    Returns:
        ``int32`` block label per consumer.

    Raises:
        ScenarioError: On a bad ``n`` (``population.size``) or ``blocks``
            (``network.blocks``).
    """
    n = _check_n(n)
    blocks = _check_blocks(blocks, n)
    return (np.arange(n, dtype=np.int64) * blocks // n).astype(np.int32)


def _block_layout(n: int, blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """Return first consumer and size of each contiguous block."""
    starts = (np.arange(blocks, dtype=np.int64) * n + blocks - 1) // blocks
    sizes = np.diff(np.append(starts, n))
    return starts, sizes


def _sbm_probabilities(
    n: int, blocks: int, mean_degree: float, mixing: float
) -> tuple[float, float, int, int]:
    """Within- and cross-block tie probabilities, and the pair counts, for an SBM."""
    _, sizes = _block_layout(n, blocks)
    pairs_in = int((sizes * (sizes - 1) // 2).sum())
    pairs_out = (n * n - int((sizes * sizes).sum())) // 2
    want_in = n * mean_degree * (1.0 - mixing) / 2.0
    want_out = n * mean_degree * mixing / 2.0
    if want_in > 0 and (pairs_in == 0 or want_in > pairs_in * (1 + 1e-9)):
        raise ScenarioError.one(
            "network.mean_degree",
            f"cannot reach {mean_degree:g} with mixing {mixing:g} and {blocks} blocks of "
            f"about {n // blocks} consumers: each would need {mean_degree * (1 - mixing):.3g} "
            f"ties inside its block but has at most {int(sizes.min()) - 1} block-mates; "
            "lower network.mean_degree or network.blocks, or raise network.mixing",
            mean_degree,
        )
    if want_out > 0 and (pairs_out == 0 or want_out > pairs_out * (1 + 1e-9)):
        raise ScenarioError.one(
            "network.mixing",
            f"cannot have cross-block ties with {blocks} block(s) at mean degree "
            f"{mean_degree:g}; use mixing 0 or more blocks",
            mixing,
        )
    p_in = want_in / pairs_in if pairs_in else 0.0
    p_out = want_out / pairs_out if pairs_out else 0.0
    return min(p_in, 1.0), min(p_out, 1.0), pairs_in, pairs_out


def stochastic_block(
    n: int, blocks: int, mean_degree: float, mixing: float, rng: np.random.Generator
) -> tuple[sp.csr_array, np.ndarray]:
    """Build a planted-partition stochastic block model.

    Consumers fall into ``blocks`` contiguous communities of equal size (see
    :func:`sbm_blocks`). Every within-block pair is tied with one probability
    and every cross-block pair with another, chosen so that the expected mean
    degree is ``mean_degree`` and the expected fraction of a consumer's ties
    that leave its block is ``mixing``. Both edge sets are drawn exactly
    (binomial count, then that many distinct pairs).

    Args:
        n: Number of consumers.
        blocks: Number of communities, ``1 <= blocks <= n``.
        mean_degree: Expected degree, ``0 < mean_degree < n``.
        mixing: Expected fraction of ties to other blocks, in ``[0, 1]``.
        rng: Random generator.

    Returns:
        The symmetric CSR adjacency and the ``int32`` block label per consumer.

    Raises:
        ScenarioError: On a bad ``n``, ``blocks``, ``mean_degree`` or
            ``mixing``, or a combination no block model can reach.
    """
    n = _check_n(n)
    blocks = _check_blocks(blocks, n)
    md = _check_mean_degree(mean_degree, n)
    mixing = _check_unit("network.mixing", mixing)
    p_in, p_out, pairs_in, pairs_out = _sbm_probabilities(n, blocks, md, mixing)
    starts, sizes = _block_layout(n, blocks)
    ends = starts + sizes
    m_in = int(rng.binomial(pairs_in, p_in)) if pairs_in else 0
    m_out = int(rng.binomial(pairs_out, p_out)) if pairs_out else 0

    # Candidate pairs (a, b), a < b, numbered consumer by consumer: first the
    # within-block ones (b in a's block), then the cross-block ones (b in a
    # later block).
    row = np.arange(n, dtype=np.int64)
    end = np.repeat(ends, sizes)  # one past the last member of each consumer's block
    parts = [_decode_rows(_sample_distinct(rng, pairs_in, m_in), end - row - 1, row + 1)]
    parts.append(_decode_rows(_sample_distinct(rng, pairs_out, m_out), n - end, end))
    del row, end
    adj = _assemble(parts, n)
    return adj, sbm_blocks(n, blocks)


# --------------------------------------------------------------------------- networkx


def from_networkx(graph: nx.Graph, n: int | None = None) -> sp.csr_array:
    """Convert a networkx graph to the simulation's adjacency format.

    Nodes are numbered ``0..L-1`` in sorted order when they sort, else in
    insertion order. Directed edges count as undirected ties; self-loops and
    parallel edges are dropped. Consumers ``L..n-1`` are isolated.

    Args:
        graph: Any networkx graph.
        n: Number of consumers; defaults to ``graph.number_of_nodes()``.

    Returns:
        The symmetric ``(n, n)`` CSR adjacency.

    Raises:
        ScenarioError: If ``n`` is bad or smaller than the number of nodes
            (``population.size``).
    """
    nodes = list(graph.nodes)
    try:
        nodes = sorted(nodes)
    except TypeError:
        pass
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


def as_adjacency(network: Any, n: int) -> sp.csr_array:
    """Normalise a user-supplied network to the simulation's adjacency format.

    Args:
        network: A networkx graph (see :func:`from_networkx`), or a square
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
        graph = nx.fast_gnp_random_graph(n, mean_degree / (n - 1), seed=seed)
    elif kind == "barabasi_albert":
        graph = nx.barabasi_albert_graph(n, _ba_m(mean_degree, n), seed=seed)
    else:  # sbm
        p_in, p_out, _, _ = _sbm_probabilities(n, blocks, mean_degree, mixing)
        _, sizes = _block_layout(n, blocks)
        probs = np.full((blocks, blocks), p_out)
        np.fill_diagonal(probs, p_in)
        graph = nx.stochastic_block_model(sizes.tolist(), probs.tolist(), seed=seed)
    return from_networkx(graph, n)


# --------------------------------------------------------------------------- edge lists


def _line_error(file: Path, lineno: int, line: str, what: str) -> ScenarioError:
    shown = line if len(line) <= 80 else line[:77] + "..."
    return ScenarioError.one("network.path", f"line {lineno}: {what}: {shown!r}", file=file)


def _split_line(line: str) -> list[str] | None:
    """Fields of one edge-list line, or None for a blank/comment line."""
    body = line.split("#", 1)[0].strip()
    if not body:
        return None
    if "," in body:
        return [f.strip() for f in body.split(",")]
    return body.split()


def _int_tokens(tokens: list[str]) -> bool:
    """Whether every token is a plain decimal integer (one regex pass)."""
    return bool(tokens) and _INTS_RE.fullmatch("\n".join(tokens)) is not None


def _parse_text(text: str, file: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Parse edge-list text line by line, reporting the first bad line."""
    us: list[str] = []
    vs: list[str] = []
    linenos: list[int] = []
    lines = text.splitlines()
    for lineno, line in enumerate(lines, start=1):
        body = line.partition("#")[0] if "#" in line else line
        if "," in body:
            fields = body.split(",")
            if len(fields) == 2:
                fields = [fields[0].strip(), fields[1].strip()]
        else:
            fields = body.split()
            if not fields:
                continue
        if len(fields) != 2 or not fields[0] or not fields[1]:
            raise _line_error(
                file, lineno, line, "expected two node ids separated by whitespace or a comma"
            )
        us.append(fields[0])
        vs.append(fields[1])
        linenos.append(lineno)
    if not us:
        return np.empty(0, np.int64), np.empty(0, np.int64)

    if not _int_tokens(us[:1] + vs[:1]) and (
        (len(us) > 1 and _int_tokens(us[1:]) and _int_tokens(vs[1:]))
        or {us[0].lower(), vs[0].lower()} <= _HEADER_NAMES
    ):
        del us[0], vs[0], linenos[0]  # a header line
        if not us:
            return np.empty(0, np.int64), np.empty(0, np.int64)

    if _int_tokens(us) and _int_tokens(vs):
        try:
            u = np.fromiter(map(int, us), dtype=np.int64, count=len(us))
            v = np.fromiter(map(int, vs), dtype=np.int64, count=len(vs))
            bad = np.flatnonzero((u < 0) | (u >= n) | (v < 0) | (v >= n))
            first = int(bad[0]) if bad.size else None
        except OverflowError:  # an id beyond 64 bits: find it the slow way
            first = next(
                i for i, (a, b) in enumerate(zip(us, vs, strict=True))
                if not (0 <= int(a) < n and 0 <= int(b) < n)
            )  # fmt: skip
        if first is not None:
            a, b = us[first], vs[first]
            wrong = a if not 0 <= int(a) < n else b
            lineno = linenos[first]
            raise _line_error(
                file,
                lineno,
                lines[lineno - 1],
                f"node id {wrong} is out of range; integer ids must be in [0, {n}) "
                f"for {n} consumers",
            )
        return u, v

    _check_not_mixed(us, vs, linenos, lines, file)
    labels = sorted(set(us) | set(vs))
    if len(labels) > n:
        raise ScenarioError.one(
            "network.path",
            f"{len(labels)} distinct node labels but only {n} consumers",
            file=file,
        )
    index = {label: i for i, label in enumerate(labels)}
    u = np.fromiter(map(index.__getitem__, us), dtype=np.int64, count=len(us))
    v = np.fromiter(map(index.__getitem__, vs), dtype=np.int64, count=len(vs))
    return u, v


def _check_not_mixed(
    us: list[str], vs: list[str], linenos: list[int], lines: list[str], file: Path
) -> None:
    """Refuse ids that mix integers and labels: almost always a typo.

    A single mistyped id (``10,x``) would otherwise turn every id into a label
    and renumber all consumers in label order without a word.
    """
    ints = [(bool(_INT_RE.fullmatch(a)), bool(_INT_RE.fullmatch(b)))
            for a, b in zip(us, vs, strict=True)]
    n_int = sum(x + y for x, y in ints)
    total = 2 * len(ints)
    if n_int in (0, total):
        return
    mostly_int = n_int * 2 > total
    odd = next(i for i, pair in enumerate(ints) if (not mostly_int) in pair)
    lineno = linenos[odd]
    if mostly_int:
        what = (f"a node id that is not an integer, where {n_int} of {total} ids are "
                "integer consumer ids")
    else:
        what = (f"an integer node id among labels ({total - n_int} of {total} ids are "
                "labels); use integer consumer ids throughout, or labels throughout "
                "(e.g. prefix them: n10)")
    raise _line_error(file, lineno, lines[lineno - 1], what)


def _parse_fast(raw: bytes, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Parse an integer edge list with pandas' C reader.

    Returns None whenever the file is anything but clean in-range integer
    pairs (with an optional header); the line-by-line parser then decides.
    """
    head = io.BytesIO(raw)
    header_row = None
    sep = None
    for row, line_bytes in enumerate(head):
        if row > 1000:
            return None
        try:
            fields = _split_line(line_bytes.decode("utf-8"))
        except UnicodeDecodeError:
            return None
        if fields is None:
            continue
        if len(fields) != 2:
            return None
        sep = "," if b"," in line_bytes.split(b"#", 1)[0] else r"\s+"
        if not all(_INT_RE.fullmatch(f) for f in fields):
            header_row = row
        break
    if sep is None:
        return None
    try:
        import pandas as pd

        frame = pd.read_csv(
            io.BytesIO(raw),
            sep=sep,
            header=None,
            comment="#",
            skiprows=None if header_row is None else [header_row],
            quoting=csv.QUOTE_NONE,
            skipinitialspace=True,
            skip_blank_lines=True,
            encoding="utf-8",
            engine="c",
        )
    except Exception:  # any parser complaint: the line-by-line parser reports it
        return None
    if frame.shape[1] != 2 or not all(
        np.issubdtype(dt, np.integer) and dt != np.uint64 for dt in frame.dtypes
    ):
        return None
    u = frame.iloc[:, 0].to_numpy(dtype=np.int64)
    v = frame.iloc[:, 1].to_numpy(dtype=np.int64)
    if u.size and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
        return None
    return u, v


def load_edgelist(path: str | Path, n: int) -> sp.csr_array:
    """Load a network from a two-column edge-list file.

    Each line holds two node ids separated by whitespace or a comma; ``#``
    starts a comment and blank lines are skipped. The first line may be a
    header: it is one when its fields are not both integers and either every
    other line is integer pairs or its fields are usual column names
    (``source``/``target``, ``from``/``to``, ``u``/``v``...). If every id is
    an integer, ids are consumer indices and must lie in ``[0, n)``; otherwise
    every id is a label (string) and the ``L`` distinct labels become consumers
    ``0..L-1`` in sorted order, which needs ``L <= n``. A file that mixes
    integer ids and labels is refused (a mistyped id would otherwise renumber
    every consumer). Consumers no line
    mentions are isolated; self-loops and repeated ties are dropped.

    Args:
        path: The edge-list file.
        n: Number of consumers.

    Returns:
        The symmetric CSR adjacency.

    Raises:
        ScenarioError: If the file is missing or unreadable, a line is malformed
            (file, line number and the line are shown), an id is out of range,
            or there are more labels than consumers (all under ``network.path``).
    """
    n = _check_n(n)
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ScenarioError.one("network.path", "must be the path of an edge-list file", path)
    file = Path(path)
    if not file.exists():
        raise ScenarioError.one("network.path", "edge-list file not found", file=file)
    if file.is_dir():
        raise ScenarioError.one("network.path", "is a folder, not an edge-list file", file=file)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ScenarioError.one(
            "network.path", f"cannot read the edge-list file: {exc.strerror or exc}", file=file
        ) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    parsed = _parse_fast(raw, n) if len(raw) >= _FAST_PARSE_MIN_BYTES else None
    if parsed is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            lineno = raw[: exc.start].count(b"\n") + 1
            raise ScenarioError.one(
                "network.path",
                f"line {lineno}: not UTF-8 text (bad byte at offset {exc.start})",
                file=file,
            ) from None
        parsed = _parse_text(text, file, n)
    return _from_pairs(parsed[0], parsed[1], n)


# --------------------------------------------------------------------------- front door


def _ws_k(mean_degree: float, n: int) -> int:
    """Even lattice degree nearest ``mean_degree`` (ties up), at least 2, at most n."""
    k = 2 * max(1, math.floor(mean_degree / 2.0 + 0.5))
    return min(k, n - n % 2)


def _ba_m(mean_degree: float, n: int) -> int:
    """Ties per arriving consumer for mean degree ``2 m``, at most ``n - 1``."""
    return min(max(1, round(mean_degree / 2.0)), n - 1)


def build_network(
    kind: str,
    n: int,
    rng: np.random.Generator,
    *,
    mean_degree: float = 10.0,
    rewire_p: float = 0.1,
    blocks: int = 10,
    mixing: float = 0.1,
    path: str | Path | None = None,
    backend: str = "numpy",
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
