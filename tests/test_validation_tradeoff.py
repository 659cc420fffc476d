"""Validation: the relevance–creepiness trade-off.

Revenue against a fixed escalation level rises and then falls for the Danish
market (an inverted U); more value exchange and transparency move the peak
towards more personalisation.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from tests.helpers import SCENARIOS

pytestmark = pytest.mark.slow  # every study here takes several seconds


def revenue_curve(**levers: float) -> np.ndarray:
    base = sim.load_scenario(SCENARIOS / "baseline.toml",
                             overrides={"population.size": 20_000, **levers})
    return np.array([
        sim.run(sim.with_overrides(base, {"strategy.escalation.level": lv}))
        .summary["revenue_cumulative"]
        for lv in range(len(base.strategy.ladder))
    ])


def test_revenue_is_an_inverted_u_in_escalation():
    rev = revenue_curve()
    peak = int(np.argmax(rev))
    assert 0 < peak < len(rev) - 1
    assert rev[-1] < 0.8 * rev[peak], "personal content costs far more than it earns"


def test_value_exchange_and_transparency_move_the_peak():
    low = revenue_curve(**{"strategy.value_exchange": 0.0})
    high = revenue_curve(**{"strategy.value_exchange": 1.0, "strategy.transparency": 1.0})
    assert np.argmax(high) > np.argmax(low)
    # and the personal level loses less of the peak's revenue
    assert high[-1] / high.max() > low[-1] / low.max()
