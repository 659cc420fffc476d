"""Mechanism 1: exposure to ads and perception of boundary crossing."""

from __future__ import annotations

import numpy as np
from scipy import special

from sim.rng import below


def exposed(customer: np.ndarray, u: np.ndarray, reach: float) -> np.ndarray:
    """Customers reached by the campaign this week.

    Args:
        customer: Still a customer (bool).
        u: One draw per consumer (exposure stream): uniforms on [0, 1), or raw
            uint32 words (see :func:`sim.rng.below`).
        reach: Weekly reach probability.

    Returns:
        Boolean mask of reached customers.
    """
    return customer & below(u, reach)


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


def crossing_cutoff(
    intrusiveness: np.ndarray | float, eff_threshold: np.ndarray, noise_sd: float
) -> np.ndarray:
    """The perception draw above which the ad crosses each consumer's line.

    Perceived intrusiveness is ``intrusiveness + noise_sd * z`` with ``z =
    Phi^-1(u)``; it exceeds the effective threshold exactly when ``u >
    Phi((threshold - intrusiveness) / noise_sd)``, the cut-off returned here.
    It depends only on the ladder level and the thresholds, so a run can keep
    it while the level stays the same, and a week then needs one comparison
    per consumer and a normal quantile only for those who do cross.

    Args:
        intrusiveness: Intrusiveness of the ad each consumer gets (array or scalar).
        eff_threshold: Effective thresholds.
        noise_sd: Perception noise (0: a strict threshold).

    Returns:
        Cut-offs in [0, 1] (float32); 1 means the ad can never cross.
    """
    margin = np.subtract(eff_threshold, intrusiveness, dtype=np.float32)  # threshold - ad
    if noise_sd <= 0:
        return np.where(margin < 0, np.float32(0.0), np.float32(1.0))
    return special.ndtr(margin / np.float32(noise_sd)).astype(np.float32)


def perceive(
    intrusiveness: np.ndarray | float,
    reached: np.ndarray,
    eff_threshold: np.ndarray,
    u: np.ndarray,
    noise_sd: float,
    cutoff: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Which reached consumers feel the ad crosses the line, and by how much.

    Perceived intrusiveness is the level's intrusiveness plus normal noise
    ``noise_sd * z``, ``z = Phi^-1(u)`` from one uniform per consumer; the ad
    is boundary-crossing when it exceeds the effective threshold, that is when
    ``u`` is above :func:`crossing_cutoff`. The normal quantile is computed
    only for those who cross, to give the excess; the result equals drawing
    ``z`` for everyone.

    Args:
        intrusiveness: Intrusiveness of the ad each consumer gets (array or scalar).
        reached: Reached this week (bool).
        eff_threshold: Effective thresholds.
        u: Uniform draws in [0, 1) (perception stream).
        noise_sd: Perception noise.
        cutoff: :func:`crossing_cutoff` of the same inputs, if already known.

    Returns:
        ``(crossed, excess)``: boolean mask, and perceived minus threshold
        where crossed (0 elsewhere).
    """
    n = reached.shape[0]
    excess = np.zeros(n, dtype=np.float32)
    if cutoff is None:
        cutoff = crossing_cutoff(intrusiveness, eff_threshold, noise_sd)
    if noise_sd <= 0:
        crossed = reached & (cutoff < np.float32(0.5))
    else:
        crossed = reached & (u > cutoff)
    hit = np.flatnonzero(crossed)
    ad = intrusiveness[hit] if np.ndim(intrusiveness) else intrusiveness
    gap = np.subtract(ad, eff_threshold[hit], dtype=np.float64)  # ad - threshold
    if noise_sd > 0:
        gap += noise_sd * special.ndtri(u[hit].astype(np.float64))
    excess[hit] = np.maximum(gap, 0.0)  # >= 0 up to the cut-off's float32 rounding
    return crossed, excess


def concern_sensitivity(
    segment: np.ndarray, concern_offsets: np.ndarray, weight: float
) -> np.ndarray:
    """How strongly each consumer reacts to second-hand bad news about the brand.

    ``exp(weight * c_s)`` for a consumer of segment ``s``, with ``c_s`` the
    market's logit-scale concern offset (fundamentalist +1.2, pragmatist 0,
    unconcerned -1.2 by default; the same offsets that make the concerned
    survey answers likelier). Privacy concern moderates the trust lost on
    hearing of a breach or of unauthorised data use: high-concern consumers
    lose more, low-concern ones are cushioned by their propensity to trust
    (Bansal 2012). ``weight = 0`` makes every hearer alike (a multiplier of 1).

    Args:
        segment: Segment index per consumer.
        concern_offsets: Concern offset per segment, in segment order.
        weight: How far concern moves the reaction (0: not at all).

    Returns:
        Multiplier per consumer (float32), positive.
    """
    return np.exp(np.float32(weight) * np.float32(concern_offsets))[segment]
