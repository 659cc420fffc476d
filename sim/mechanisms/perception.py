"""Mechanism 1: exposure to ads and perception of boundary crossing."""

from __future__ import annotations

import numpy as np
from scipy import special

Z_MAX = 8.0
"""Crossing is not evaluated when the threshold lies this many noise sd above the ad."""


def exposed(customer: np.ndarray, u: np.ndarray, reach: float) -> np.ndarray:
    """Customers reached by the campaign this week.

    Args:
        customer: Still a customer (bool).
        u: One uniform draw per consumer (exposure stream).
        reach: Weekly reach probability.

    Returns:
        Boolean mask of reached customers.
    """
    return customer & (u < reach)


def effective_threshold(
    threshold: np.ndarray,
    in_control: np.ndarray,
    *,
    value_exchange: float,
    transparency: float,
    value_shift: float,
    transparency_shift: float,
    control_shift: float,
) -> np.ndarray:
    """Privacy threshold moved by the brand's levers.

    ``threshold + value_shift * value_exchange + transparency_shift *
    transparency + control_shift * in_control``, clipped to [0, 1]. Consumers
    accept more intrusion for more value (privacy calculus) and when they
    understand (transparency) or control (consent) the data flow (Tucker 2014).

    Args:
        threshold: Raw privacy thresholds.
        in_control: Consumer has control over their data (bool).
        value_exchange: Lever in [0, 1].
        transparency: Lever in [0, 1].
        value_shift: Threshold rise per unit of value exchange.
        transparency_shift: Threshold rise per unit of transparency.
        control_shift: Threshold rise for consumers in control.

    Returns:
        Effective thresholds (float32).
    """
    shift = np.float32(value_shift * value_exchange + transparency_shift * transparency)
    eff = np.add(threshold, shift, dtype=np.float32)
    if in_control.any():
        eff += np.float32(control_shift) * in_control
    return np.clip(eff, 0.0, 1.0, out=eff)


def perceive(
    intrusiveness: np.ndarray,
    reached: np.ndarray,
    eff_threshold: np.ndarray,
    u: np.ndarray,
    noise_sd: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Which reached consumers feel the ad crosses the line, and by how much.

    Perceived intrusiveness is the level's intrusiveness plus normal noise
    ``noise_sd * z``; the ad is boundary-crossing when it exceeds the
    effective threshold. The normal draw is ``z = Phi^-1(u)`` from one uniform
    per consumer, computed only where crossing is possible (the threshold is
    less than :data:`Z_MAX` noise standard deviations above the ad; beyond
    that the chance is below 1e-15). The result equals drawing ``z`` for
    everyone, at a fraction of the cost.

    Args:
        intrusiveness: Intrusiveness of the ad each consumer gets (array or scalar).
        reached: Reached this week (bool).
        eff_threshold: Effective thresholds.
        u: Uniform draws in [0, 1) (perception stream).
        noise_sd: Perception noise.

    Returns:
        ``(crossed, excess)``: boolean mask, and perceived minus threshold
        where crossed (0 elsewhere).
    """
    n = reached.shape[0]
    margin = np.subtract(eff_threshold, intrusiveness, dtype=np.float32)  # threshold - ad
    excess = np.zeros(n, dtype=np.float32)
    if noise_sd <= 0:
        crossed = reached & (margin < 0)
        np.negative(margin, out=excess, where=crossed)
        return crossed, excess
    cand = np.flatnonzero(reached & (margin < np.float32(Z_MAX * noise_sd)))
    z = special.ndtri(u[cand].astype(np.float64))
    gap = noise_sd * z - margin[cand]
    hit = gap > 0
    crossed = np.zeros(n, dtype=bool)
    crossed[cand[hit]] = True
    excess[cand[hit]] = gap[hit]
    return crossed, excess
