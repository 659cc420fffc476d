"""Assembling the symmetric CSR adjacency from endpoint pairs, and pair sampling.

Every builder returns the network as a :class:`scipy.sparse.csr_array` of shape
``(n, n)`` that is symmetric, unweighted (``data`` is ``float32`` ones), has no
self-loops and no duplicate entries, and keeps sorted ``int32`` ``indices`` and
``indptr`` (scipy keeps both index arrays at one dtype, so both become ``int64``
only when the number of stored entries exceeds ``2**31 - 1``).
"""

from __future__ import annotations

import sys

import numpy as np
import scipy.sparse as sp

from sim.network.checks import _check_n
from sim.network.kinds import INT32_MAX


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
    idx = np.int32 if nnz <= INT32_MAX else np.int64
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
