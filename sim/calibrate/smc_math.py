"""The arithmetic of ABC-SMC: scaled distances, the perturbation kernel, importance weights.

Pure numpy functions of arrays, used by :mod:`sim.calibrate.abc` and (the
weighted covariance) by :mod:`sim.calibrate.identify`.
"""

from __future__ import annotations

import numpy as np

MAD_TO_SD = 1.4826
"""Scales the median absolute deviation to a normal distribution's standard deviation."""

def scaled_euclidean(stats: np.ndarray, observed: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Distances of rows of statistics to the observed ones, each statistic over its scale.

    Args:
        stats: Simulated statistics, one row per particle.
        observed: Observed statistics.
        scale: One positive scale per statistic.

    Returns:
        One distance per row (``inf`` for a row with a non-finite statistic).
    """
    d = np.sqrt((((np.atleast_2d(stats) - observed) / scale) ** 2).sum(axis=1))
    return np.where(np.isfinite(d), d, np.inf)


def robust_scale(stats: np.ndarray) -> np.ndarray:
    """Per-statistic scale: MAD x 1.4826, else standard deviation, else 1.

    Args:
        stats: Simulated statistics, one row per simulation.

    Returns:
        One positive scale per column.
    """
    med = np.median(stats, axis=0)
    mad = MAD_TO_SD * np.median(np.abs(stats - med), axis=0)
    sd = stats.std(axis=0)
    return np.where(mad > 0, mad, np.where(sd > 0, sd, 1.0))


def weighted_cov(u: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted covariance of the rows of ``u`` (population form, no bias correction).

    Args:
        u: Points, one row each.
        w: Their weights (normalised to sum to 1 here).

    Returns:
        The covariance matrix (columns x columns).
    """
    w = np.asarray(w, dtype=float) / np.sum(w)
    c = u - w @ u
    return (c * w[:, None]).T @ c


def kernel_chol(u: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Cholesky factor of the perturbation covariance, twice the weighted covariance.

    A tiny diagonal is added (growing until the factorisation succeeds) so a
    collapsed population still gives a usable kernel.

    Args:
        u: The population in unit space, one row per particle.
        w: Its normalised weights.

    Returns:
        Lower-triangular factor ``L`` with ``L @ L.T`` the covariance.
    """
    cov = 2.0 * weighted_cov(u, w)
    jitter = 1e-12
    while True:
        try:
            return np.linalg.cholesky(cov + jitter * np.eye(len(cov)))
        except np.linalg.LinAlgError:
            jitter *= 100.0


def log_mixture(new: np.ndarray, old: np.ndarray, w_old: np.ndarray,
                 chol: np.ndarray) -> np.ndarray:
    """Log of the Gaussian kernel mixture density at each new point, up to a constant.

    Args:
        new: Points where the density is wanted, one row each.
        old: Kernel centres (the previous generation).
        w_old: Their normalised weights.
        chol: Cholesky factor of the kernel covariance.

    Returns:
        ``log sum_j w_j K(new_i | old_j)`` without the kernel's normalising constant.
    """
    inv = np.linalg.inv(chol)
    logw = np.log(np.maximum(w_old, 1e-300))
    out = np.empty(len(new))
    for a in range(0, len(new), 256):
        y = (new[a:a + 256, None, :] - old[None, :, :]) @ inv.T
        q = logw - 0.5 * (y ** 2).sum(axis=2)
        top = q.max(axis=1, keepdims=True)
        out[a:a + 256] = top[:, 0] + np.log(np.exp(q - top).sum(axis=1))
    return out


def ess(w: np.ndarray) -> float:
    """Effective sample size ``(sum w)^2 / sum w^2`` of importance weights."""
    return float(w.sum() ** 2 / (w ** 2).sum())
