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

Why each churner left (:data:`CHURN_CAUSES`): ``crossing`` (a boundary-crossing
ad's stated exit came true), ``incident`` (an incident's stated exit came true),
``contagion`` (friends who left: the hazard's extra factor ``contagion_ratio ** E``,
or reaching the Watts threshold), ``trust_loss`` (the extra hazard because the
customer's trust has fallen below where it started, by ads, word of mouth or
news), ``background`` (the hazard the customer would have at their starting
trust, or at their current trust if that is higher: the ordinary attrition that
happens whatever the brand does), and ``seed`` (churned before week 0). The
reference for ``trust_loss`` is the customer's own starting trust, not full
trust, which almost no one has: measured from full trust, ordinary attrition at
the starting trust would read as the brand's doing. Where several causes act in
one week, the cause is drawn by competing risks (:func:`cause_weights`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from sim.graph_ops import neighbour_sum, scatter_rows

CHURN_CAUSES = ("seed", "crossing", "incident", "contagion", "trust_loss", "background")
"""Why a consumer left; a consumer's ``churn_cause`` code indexes this tuple."""
NO_CAUSE = -1
"""``churn_cause`` code of a consumer who is still a customer."""
SEED, CROSSING, INCIDENT, CONTAGION, TRUST_LOSS, BACKGROUND = range(len(CHURN_CAUSES))
DRAWN_CAUSES = (CROSSING, INCIDENT, CONTAGION, TRUST_LOSS, BACKGROUND)
"""The causes :func:`cause_weights` weighs, in the order of its rows."""


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
    exposure: np.ndarray | None = None,
    *,
    base_hazard: float,
    trust_sensitivity: float,
    contagion_ratio: float = 1.0,
) -> np.ndarray:
    """Weekly churn hazard (a rate; the weekly probability is ``1 - exp(-h)``).

    Args:
        trust: Current trust.
        exposure: Social exposure ``E`` (None: no churned friends).
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
    if contagion_ratio != 1.0 and exposure is not None:
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


def split_background(at_trust: np.ndarray, at_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split the no-contagion hazard into trust loss and background.

    Args:
        at_trust: Hazard at the current trust with no churned friends.
        at_start: Hazard at the starting trust with no churned friends.

    Returns:
        ``(trust_loss, background)``: ``max(at_trust - at_start, 0)`` and
        ``min(at_trust, at_start)`` (they add up to ``at_trust``).
    """
    background = np.minimum(at_trust, at_start)
    return at_trust - background, background


def cause_weights(
    background: np.ndarray,
    trust_loss: np.ndarray,
    contagion: np.ndarray,
    direct: np.ndarray,
    crossing_stated: np.ndarray,
    incident_stated: np.ndarray,
) -> np.ndarray:
    """Competing-risk weights of the causes of one week's exits.

    Each cause is a hazard acting in the same week: the background hazard, the
    trust-loss hazard, the contagion's extra hazard, and the direct exit
    probability ``p`` read as the hazard ``-log(1 - p)`` (so the total hazard
    gives the exit probability of :func:`exit_probability`), split between
    crossing and incident in proportion to their stated intentions. Given an
    exit, each cause's chance is its hazard's share of the total. A certain
    direct exit (``p = 1``) leaves the week's hazards no share.

    Args:
        background: Background hazard (see :func:`split_background`).
        trust_loss: Extra hazard from trust lost since the start.
        contagion: Extra hazard from churned friends (total hazard minus the
            hazard with no churned friends; a rounding negative counts as 0).
        direct: Combined direct exit probability in [0, 1].
        crossing_stated: Stated exit intention from a crossing ad.
        incident_stated: Stated exit intention from incident news.

    Returns:
        float64 weights of shape ``(5, m)``, rows in :data:`DRAWN_CAUSES` order
        (crossing, incident, contagion, trust_loss, background).
    """
    direct = np.asarray(direct, dtype=np.float64)
    cross = np.asarray(crossing_stated, dtype=np.float64)
    stated = cross + np.asarray(incident_stated, dtype=np.float64)
    share = cross / np.where(stated > 0, stated, 1.0)  # 0 where nothing was stated
    certain = direct >= 1.0
    h_direct = -np.log1p(-np.where(certain, 0.0, direct))
    h_direct[certain] = 1.0  # any positive number: only the split between the two counts
    out = np.empty((len(DRAWN_CAUSES), direct.size), dtype=np.float64)
    out[0] = h_direct * share
    out[1] = h_direct * (1.0 - share)
    out[2] = np.where(certain, 0.0, np.maximum(contagion, 0.0))
    out[3] = np.where(certain, 0.0, trust_loss)
    out[4] = np.where(certain, 0.0, background)
    return out


def draw_cause(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Draw each exit's cause in proportion to its weight.

    Args:
        weights: Non-negative weights, shape ``(len(DRAWN_CAUSES), m)``.
        u: One uniform on [0, 1) per exit.

    Returns:
        int8 codes into :data:`CHURN_CAUSES`: the first cause whose cumulative
        weight exceeds ``u`` times the total (``background`` if every weight is 0).
    """
    cum = np.cumsum(weights, axis=0)
    x = u * cum[-1]
    pick = np.count_nonzero(cum <= x, axis=0)
    np.minimum(pick, len(DRAWN_CAUSES) - 1, out=pick)
    return np.asarray(DRAWN_CAUSES, dtype=np.int8)[pick]
