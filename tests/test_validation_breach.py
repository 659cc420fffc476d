"""Validation: stated versus revealed exit after a data breach.

77% of Danes say they would stop shopping after irresponsible data use, but
measured abnormal churn after breaches is 2–7% (Ponemon/IBM: 3.6% in 2008,
3.9% in the US in 2019, 6.5% in healthcare). Abnormal churn = customers lost
with the breach minus without it (same population, network and random
streams), over customers at the breach week.
"""

from __future__ import annotations

import pytest

import sim
from tests.helpers import SCENARIOS

pytestmark = pytest.mark.slow  # every study here takes several seconds

BREACH = {"week": 26, "severity": 0.8, "responsible": False, "media_reach": 0.4}


def abnormal_churn(incident: dict, seed: int = 20201) -> float:
    base = sim.load_scenario(SCENARIOS / "baseline.toml",
                             overrides={"population.size": 30_000, "run.seed": seed})
    with_breach = sim.with_overrides(base, {"incidents.events": [incident]})
    a, b = sim.run(base).weekly, sim.run(with_breach).weekly
    assert (a["customers"].iloc[:26] == b["customers"].iloc[:26]).all(), "CRN before breach"
    return float(sim.abnormal_churn(a, b, incident["week"]).iloc[-1])


@pytest.mark.parametrize("seed", [1, 2])
def test_irresponsible_breach_abnormal_churn_in_ponemon_band(seed):
    assert 0.02 <= abnormal_churn(BREACH, seed) <= 0.07


def test_responsible_handling_costs_less():
    bad = abnormal_churn(BREACH)
    good = abnormal_churn({**BREACH, "responsible": True})
    assert 0 <= good < bad / 2
