"""Vectorised numpy generators: Watts-Strogatz, Erdos-Renyi, Barabasi-Albert, SBM.

They have no Python loop over nodes or edges, and build a million-consumer
network with mean degree 10 in about a second.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from sim.errors import ScenarioError
from sim.network.assembly import (
    _assemble,
    _decode_rows,
    _sample_distinct,
    empty_graph,
)
from sim.network.checks import _check_blocks, _check_mean_degree, _check_n, _check_unit, _is_int
from sim.network.kinds import INT32_MAX, MAX_ENTRIES


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
    if n * int(k) > MAX_ENTRIES:
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
    if 2 * n * m > MAX_ENTRIES:
        raise ScenarioError.one("network.mean_degree", f"too many ties for {n} consumers", m)
    n_edges = (n - 1) * m
    idx = np.int32 if 2 * n_edges <= INT32_MAX else np.int64
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


def _ws_k(mean_degree: float, n: int) -> int:
    """Even lattice degree nearest ``mean_degree`` (ties up), at least 2, at most n."""
    k = 2 * max(1, math.floor(mean_degree / 2.0 + 0.5))
    return min(k, n - n % 2)


def _ba_m(mean_degree: float, n: int) -> int:
    """Ties per arriving consumer for mean degree ``2 m``, at most ``n - 1``."""
    return min(max(1, round(mean_degree / 2.0)), n - 1)
