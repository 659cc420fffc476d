"""Mechanism 2: asymmetric trust update from ads (Slovic 1993).

An acceptable ad closes a share ``g`` of the gap to full trust, with
``g = gain_rate * relevance * (0.5 + value_exchange)``. A boundary-crossing
ad removes a share ``l = asymmetry * gain_rate * (1 + excess_weight * excess)``
of current trust: at relevance 1 and value exchange 0.5 a crossing ad costs
``asymmetry`` times what an acceptable ad gains (2.25 by default, from loss
aversion). Consent-valuing consumers personalised above the consent gate
without having given specific consent lose a further ``consent_penalty *
asymmetry * gain_rate``. With ``f`` ads a week the shares compound. The
multiplicative form keeps trust in [0, 1] exactly.
"""

from __future__ import annotations

import numpy as np


def ad_trust_update(
    trust: np.ndarray,
    reached: np.ndarray,
    crossed: np.ndarray,
    excess: np.ndarray,
    relevance: np.ndarray,
    consent_violation: np.ndarray,
    *,
    value_exchange: float,
    gain_rate: float,
    asymmetry: float,
    excess_weight: float,
    consent_penalty: float,
    frequency: int = 1,
) -> np.ndarray:
    """Return trust after this week's ads.

    Args:
        trust: Current trust in [0, 1].
        reached: Reached this week (bool).
        crossed: The ad crossed the line (bool, subset of reached).
        excess: Perceived intrusiveness above threshold (0 if not crossed).
        relevance: Relevance of the ad each consumer got.
        consent_violation: Personalised above the gate without wanted consent (bool).
        value_exchange: Lever in [0, 1].
        gain_rate: Base gain rate.
        asymmetry: Loss-to-gain ratio.
        excess_weight: Extra loss per unit of excess.
        consent_penalty: Extra loss for a consent violation, in base-loss units.
        frequency: Ads per reached consumer this week.

    Returns:
        New trust (float32), in [0, 1].
    """
    f32 = np.float32
    gain = np.clip(f32(gain_rate * (0.5 + value_exchange)) * relevance, 0.0, 1.0, dtype=f32)
    base_loss = f32(asymmetry * gain_rate)
    # keep = 1 - clip(base_loss * (1 + w * excess) * crossed + penalty, 0, 1), in place
    keep = np.multiply(excess, f32(excess_weight), dtype=f32)
    keep += f32(1.0)
    keep *= base_loss
    keep *= crossed
    if np.any(consent_violation):
        keep += f32(consent_penalty) * base_loss * (consent_violation & reached)
    np.clip(keep, 0.0, 1.0, out=keep)
    np.subtract(f32(1.0), keep, out=keep)
    grow = gain
    if frequency != 1:
        np.power(keep, f32(frequency), out=keep)
        grow = f32(1.0) - np.power(f32(1.0) - gain, f32(frequency), dtype=f32)
    t = np.multiply(trust, keep, dtype=f32)
    # t += grow * (1 - t) where the ad was acceptable
    up = np.subtract(f32(1.0), t, dtype=f32)
    up *= reached & ~crossed
    up *= grow
    t += up
    return np.clip(t, 0.0, 1.0, out=t)
