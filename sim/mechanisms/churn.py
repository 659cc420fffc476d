"""Mechanism 5 and 6: churn and the stated-to-actual exit conversion.

Two rules, chosen by ``churn.rule``:

* ``hazard``: a customer's weekly hazard is
  ``base_hazard * exp(trust_sensitivity * (1 - trust)) * contagion_ratio ** E``
  with ``E`` the social exposure: the sum over churned friends of
  ``contagion_decay ** age`` for churns ``age`` = 0 .. ``contagion_window - 1``
  weeks old (0 = last week). One friend who left last week multiplies the hazard
  by ``contagion_ratio`` (1.8: Nitzan & Libai 2011); only recent churn counts
  (Haenlein 2013).
* ``threshold``: complex contagion (Watts 2002): a consumer leaves once the
  share of their friends who have left reaches their social threshold; no one
  returns.

Under both rules, stated exit intentions (after an incident, or after a
boundary-crossing ad) become actual exits with probability ``intention *
exit_conversion``: 77% say they would leave, 2–7% do (Ponemon/IBM).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from sim.graph_ops import neighbour_sum, scatter_rows


def social_exposure(
    adj: sp.csr_array,
    leavers: Mapping[int, np.ndarray],
    week: int,
    *,
    window: int,
    decay: float,
) -> np.ndarray:
    """Decayed count of friends who churned recently.

    Args:
        adj: Symmetric adjacency.
        leavers: Indices of the consumers who left, by the week they left (weeks
            older than the window may be present; they are ignored).
        week: Current week.
        window: Churns younger than this many weeks count (age 0 = last week).
        decay: Weight multiplier per week of age.

    Returns:
        Exposure ``E`` per consumer (float32).
    """
    rows, weights = [], []
    for w, idx in leavers.items():
        age = week - 1 - w
        if 0 <= age < window and len(idx):
            rows.append(idx)
            weights.append(np.full(len(idx), float(decay) ** age))
    if not rows:
        return np.zeros(adj.shape[0], dtype=np.float32)
    return scatter_rows(adj, np.concatenate(rows), np.concatenate(weights))


def hazard(
    trust: np.ndarray,
    exposure: np.ndarray,
    *,
    base_hazard: float,
    trust_sensitivity: float,
    contagion_ratio: float,
) -> np.ndarray:
    """Weekly churn hazard (a rate; the weekly probability is ``1 - exp(-h)``).

    Args:
        trust: Current trust.
        exposure: Social exposure ``E``.
        base_hazard: Hazard at full trust with no churned friends.
        trust_sensitivity: Log-hazard rise per unit of trust lost.
        contagion_ratio: Hazard ratio per unit of exposure.

    Returns:
        Hazard per consumer (float32).
    """
    f32 = np.float32
    if base_hazard <= 0:
        return np.zeros(np.shape(trust), dtype=f32)
    # log h = log base + sensitivity * (1 - trust) + log(ratio) * E, in place
    log_h = np.multiply(trust, f32(-trust_sensitivity), dtype=f32)
    log_h += f32(np.log(base_hazard) + trust_sensitivity)
    if contagion_ratio != 1.0:
        log_h += f32(np.log(contagion_ratio)) * exposure
    # capped at exp(60) ~ 1e26: a hazard that large already means certain exit; the
    # cap only keeps float32 from overflowing to inf at extreme settings
    np.minimum(log_h, f32(60.0), out=log_h)
    return np.exp(log_h, out=log_h)


def threshold_rule(
    adj: sp.csr_array, churned: np.ndarray, degree: np.ndarray, social_threshold: np.ndarray
) -> np.ndarray:
    """Watts' rule: who has reached their social threshold.

    Args:
        adj: Symmetric adjacency.
        churned: Has left (bool).
        degree: Number of friends.
        social_threshold: Personal threshold share.

    Returns:
        Consumers whose churned-friend share is at least their threshold
        (isolated consumers never qualify).
    """
    k = neighbour_sum(adj, churned)
    frac = np.divide(k, degree, out=np.zeros_like(k), where=degree > 0)
    return (degree > 0) & (frac >= social_threshold)


def stated_to_actual(intention: np.ndarray, exit_conversion: float) -> np.ndarray:
    """Probability that a stated exit intention becomes an exit.

    Args:
        intention: Intention strength in [0, 1].
        exit_conversion: Intention-to-action conversion.

    Returns:
        Exit probability (float32).
    """
    return np.multiply(intention, np.float32(exit_conversion), dtype=np.float32)


def exit_probability(h: np.ndarray, *direct: np.ndarray) -> np.ndarray:
    """Combine a hazard and independent direct exit probabilities.

    Args:
        h: Weekly hazard rate.
        *direct: Independent exit probabilities.

    Returns:
        ``1 - exp(-h) * prod(1 - p)``.
    """
    # q = 1 - exp(-h) by expm1 (precise for the small weekly hazards), then for each
    # independent direct exit q <- 1 - (1 - q)(1 - p) = q + p (1 - q)
    q = np.negative(h, dtype=np.float32)
    np.expm1(q, out=q)
    np.negative(q, out=q)
    for p in direct:
        q += np.subtract(np.float32(1.0), q, dtype=np.float32) * p
    return q
