"""Mechanism 7: purchases and revenue.

A customer buys in a week with probability
``base_rate * (trust_floor + (1 - trust_floor) * trust) * m`` where ``m`` is
1 for a customer not reached; ``1 + relevance_lift * relevance * (0.5 +
value_exchange) * (1 + transparency_lift * transparency)`` after an acceptable
ad (relevance sells; Kim, Barasz & John 2019: transparency about acceptable
flows raised click-through about 11%); and ``(1 - reactance) * (1 -
transparency_penalty * transparency)`` after a boundary-crossing ad
(reactance, White et al. 2008; revealing unacceptable flows lowered purchase
interest about 17%).
"""

from __future__ import annotations

import numpy as np


def purchase_probability(
    trust: np.ndarray,
    reached: np.ndarray,
    crossed: np.ndarray,
    relevance: np.ndarray,
    *,
    value_exchange: float,
    transparency: float,
    base_rate: float,
    trust_floor: float,
    relevance_lift: float,
    reactance: float,
    transparency_lift: float,
    transparency_penalty: float,
) -> np.ndarray:
    """Weekly purchase probability per consumer.

    Args:
        trust: Current trust.
        reached: Reached this week (bool).
        crossed: The ad crossed the line (bool).
        relevance: Relevance of the ad each consumer got.
        value_exchange: Lever in [0, 1].
        transparency: Lever in [0, 1].
        base_rate: Purchase probability at full trust, unreached.
        trust_floor: Share of the base rate kept at zero trust.
        relevance_lift: Lift of a fully relevant acceptable ad at value 0.5.
        reactance: Drop after a crossing ad.
        transparency_lift: Extra lift of acceptable ads at full transparency.
        transparency_penalty: Extra drop of crossing ads at full transparency.

    Returns:
        Probabilities in [0, 1] (float32).
    """
    f32 = np.float32
    p = np.multiply(trust, f32(base_rate * (1.0 - trust_floor)), dtype=f32)
    p += f32(base_rate * trust_floor)
    lift = f32(relevance_lift * (0.5 + value_exchange) * (1.0 + transparency_lift * transparency))
    drop = f32((1.0 - reactance) * (1.0 - transparency_penalty * transparency))
    # m = 1 unreached; 1 + lift * relevance after an acceptable ad; drop after a crossing ad
    m = np.multiply(reached & ~crossed, lift * relevance, dtype=f32)
    m += f32(1.0)
    m[crossed] = drop
    p *= m
    return np.clip(p, 0.0, 1.0, out=p)
