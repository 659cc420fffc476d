"""Mechanism 4: data incidents, their news, and the trust they cost.

In the week of an incident each consumer learns of it from the media with
probability ``media_reach``. In every later week, each consumer who learned
of it the week before tells each friend with probability ``q`` (an
independent cascade), so a consumer with ``m`` such friends learns of it with
probability ``1 - (1 - q) ** m``; ``q`` grows with the incident's severity
and halves every ``news_half_life`` weeks of the news's age
(:func:`share_probability`), so minor news stays contained and old news stops
travelling. On learning, trust falls by the share ``impact * severity * (1 -
transparency_mitigation * transparency)``, times ``responsible_factor`` if the
brand handled it responsibly (Martin, Borah & Palmatier 2017), times the
hearer's sensitivity, which grows with their privacy concern (Bansal 2012).
Consumers who said they would stop buying after irresponsible data use form
an exit intention of strength ``severity`` when the incident was handled
irresponsibly; :func:`sim.mechanisms.churn.exit_probability` converts
intentions into exits.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.graph_ops import neighbour_sum


def media_news(aware_week: np.ndarray, u: np.ndarray, media_reach: float) -> np.ndarray:
    """Consumers who learn of a new incident from the media.

    Args:
        aware_week: Week each learned of the current incident (-1: not aware).
        u: Uniform draws (incidents stream).
        media_reach: Share reached by the media.

    Returns:
        Newly aware (bool).
    """
    return (aware_week < 0) & (u < media_reach)


def share_probability(severity: float, age: int, *, share_prob: float,
                      news_half_life: float) -> float:
    """Probability that a newly aware consumer tells each friend, by severity and age.

    ``share_prob * severity * 2 ** (-age / news_half_life)``: talk about an
    incident is in proportion to how bad it is, and fades as the news ages.

    Args:
        severity: Incident severity in (0, 1].
        age: Weeks since the first round of sharing (0 in the week after the
            incident became public).
        share_prob: Probability for a severity-1 incident in its first round.
        news_half_life: Weeks over which the probability halves (> 0).

    Returns:
        Probability in [0, 1].
    """
    q = share_prob * severity * 2.0 ** (-age / news_half_life)
    return min(max(q, 0.0), 1.0)


def network_news(
    adj: sp.csr_array, sharers: np.ndarray, aware_week: np.ndarray, u: np.ndarray,
    share_prob: float,
) -> np.ndarray:
    """Consumers who hear of the incident from a friend this week.

    Args:
        adj: Symmetric adjacency.
        sharers: Consumers who learned of it last week (bool).
        aware_week: Week each learned of it (-1: not aware).
        u: Uniform draws (incidents stream).
        share_prob: Probability of telling each friend.

    Returns:
        Newly aware (bool).
    """
    if share_prob <= 0 or not sharers.any():
        return np.zeros(aware_week.shape[0], dtype=bool)
    m = neighbour_sum(adj, sharers)
    p = 1.0 - np.power(np.float32(1.0 - share_prob), m)
    return (aware_week < 0) & (u < p)


def incident_trust_loss(
    trust: np.ndarray,
    newly_aware: np.ndarray,
    *,
    severity: float,
    responsible: bool,
    transparency: float,
    impact: float,
    responsible_factor: float,
    transparency_mitigation: float,
    sensitivity: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Trust after learning of an incident.

    ``T <- T * (1 - clip(loss * s, 0, 1))`` for the newly aware, with ``loss``
    as in the module docstring and ``s`` their sensitivity.

    Args:
        trust: Current trust.
        newly_aware: Learned of it this week (bool).
        severity: Incident severity in (0, 1].
        responsible: Handled responsibly.
        transparency: Brand transparency lever.
        impact: Loss share of a severity-1 irresponsible incident.
        responsible_factor: Loss multiplier when handled responsibly.
        transparency_mitigation: Share of the loss removed at full transparency.
        sensitivity: Multiplier of the loss per consumer (or one for all):
            :func:`sim.mechanisms.perception.concern_sensitivity`.

    Returns:
        New trust (float32).
    """
    loss = impact * severity * (1.0 - transparency_mitigation * transparency)
    if responsible:
        loss *= responsible_factor
    share = np.clip(np.multiply(sensitivity, np.float32(loss), dtype=np.float32), 0.0, 1.0)
    keep = np.float32(1.0) - share
    return np.where(newly_aware, trust * keep, trust).astype(np.float32)


def exit_intention(
    newly_aware: np.ndarray, would_stop: np.ndarray, *, severity: float, responsible: bool
) -> np.ndarray:
    """Strength of the stated intention to leave after learning of an incident.

    Args:
        newly_aware: Learned of it this week (bool).
        would_stop: Said they would stop after irresponsible data use (bool).
        severity: Incident severity.
        responsible: Handled responsibly (then no stated exit is triggered).

    Returns:
        Intention in [0, 1] per consumer (float32).
    """
    if responsible:
        return np.zeros(newly_aware.shape[0], dtype=np.float32)
    return (newly_aware & would_stop).astype(np.float32) * np.float32(severity)
