"""Sparse products over the social network, fast for rare events.

Most weekly signals are rare: complainers, recommenders, recent churners are a
few percent of consumers. For a symmetric adjacency ``A``, ``(A x)_i`` is the
sum of ``x_j`` over ``i``'s friends, which equals the sum over the rows ``j``
with ``x_j != 0`` of row ``j`` scattered into place. Gathering only those rows
and scattering with ``np.add.at`` costs O(nnz of those rows + n) instead of
O(nnz(A)); at one million consumers and mean degree 10 that is about 10x
faster than ``A @ x`` for a 1% signal. Dense signals fall back to ``A @ x``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

DENSE_SHARE = 0.04
"""Above this share of non-zero entries, use the plain sparse product."""


def neighbour_sum(adj: sp.csr_array, x: np.ndarray) -> np.ndarray:
    """Sum of ``x`` over each consumer's friends: ``adj @ x`` for symmetric ``adj``.

    Args:
        adj: Symmetric CSR adjacency with unit weights.
        x: Values per consumer (bool or float).

    Returns:
        float32 array of length ``n``.
    """
    n = adj.shape[0]
    nz = np.flatnonzero(x)
    if nz.size > DENSE_SHARE * n:
        return (adj @ x.astype(np.float32, copy=False)).astype(np.float32, copy=False)
    return scatter_rows(adj, nz, None if x.dtype == bool else x[nz])


def scatter_rows(
    adj: sp.csr_array, rows: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Sum, for every consumer, the weights of the listed rows that are their friends.

    ``scatter_rows(adj, rows, w)`` equals ``adj @ x`` for the vector ``x`` that is
    ``w`` at ``rows`` (1 if ``weights`` is None) and 0 elsewhere, for symmetric
    ``adj``, at a cost proportional to the listed rows' ties plus ``n``.

    Args:
        adj: Symmetric CSR adjacency with unit weights.
        rows: Distinct consumer indices.
        weights: Weight per listed row, or None for 1.

    Returns:
        float32 array of length ``n``.
    """
    n = adj.shape[0]
    nz = np.asarray(rows)
    if nz.size == 0:
        return np.zeros(n, dtype=np.float32)
    indptr = adj.indptr
    starts = indptr[nz]
    lengths = (indptr[nz + 1] - starts).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(n, dtype=np.float32)
    offsets = np.repeat(starts.astype(np.int64) - np.cumsum(lengths) + lengths, lengths)
    cols = adj.indices[offsets + np.arange(total)]
    out = np.zeros(n, dtype=np.float32)
    # ufunc.at, unbuffered since numpy 1.25: faster here than bincount plus a cast
    if weights is None:
        np.add.at(out, cols, np.float32(1.0))
    else:
        np.add.at(out, cols, np.repeat(np.asarray(weights, dtype=np.float32), lengths))
    return out
