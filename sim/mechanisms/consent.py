"""Consent design: who opts in, who is in control, whose consent is violated.

* ``none``: no consent is asked; nobody is in control.
* ``blanket``: consent hides in terms and conditions; only those who read them
  (1%) know what they agreed to and count as in control.
* ``specific``: customers are asked at the start; they opt in with probability
  ``opt_in_rate + opt_in_trust_slope * (trust - 0.5)``. Those who do not opt in
  are never personalised above the consent gate.

Consumers who find specific consent important and are personalised above the
gate without being in control suffer a consent violation (extra trust loss,
:mod:`sim.mechanisms.trust`).
"""

from __future__ import annotations

import numpy as np


def opt_in(trust: np.ndarray, u: np.ndarray, *, rate: float, slope: float) -> np.ndarray:
    """Who opts in when asked for specific consent.

    Args:
        trust: Current trust.
        u: Uniform draws (consent stream).
        rate: Opt-in probability at trust 0.5.
        slope: Change per unit of trust.

    Returns:
        Opted in (bool).
    """
    p = np.clip(rate + slope * (trust - 0.5), 0.0, 1.0)
    return u < p


def in_control(design: str, opted_in: np.ndarray, reads_terms: np.ndarray) -> np.ndarray:
    """Consumers who control (know and agreed to) the use of their data.

    Args:
        design: ``none``, ``blanket`` or ``specific``.
        opted_in: Gave specific consent (bool).
        reads_terms: Reads terms and conditions (bool).

    Returns:
        In control (bool).
    """
    if design == "specific":
        return opted_in
    if design == "blanket":
        return reads_terms
    return np.zeros_like(opted_in)


def consumer_levels(
    brand_level: int, gate: int, design: str, opted_in: np.ndarray
) -> np.ndarray:
    """Level each consumer gets: capped at the gate without specific consent.

    Args:
        brand_level: The campaign's level this week.
        gate: Highest level allowed without consent.
        design: Consent design.
        opted_in: Gave specific consent (bool).

    Returns:
        Level index per consumer (int8).
    """
    n = opted_in.shape[0]
    if design != "specific" or brand_level <= gate:
        return np.full(n, brand_level, dtype=np.int8)
    return np.where(opted_in, brand_level, gate).astype(np.int8)
