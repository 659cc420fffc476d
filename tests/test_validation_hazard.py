"""Validation: the contagion hazard ratio, recovered from simulated data.

Nitzan & Libai (2011): each recently defecting neighbour multiplies the
defection hazard by about 1.8. We simulate the hazard rule with contagion
only, then estimate, from the consumers' churn weeks and the network alone,
the weekly hazard of customers with exactly one friend who left last week (and
none earlier in the window) against customers with no recently churned
friend.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from tests.conftest import ONLY_CHURN_CONTAGION


def estimate_ratio(res: sim.RunResult, window: int) -> tuple[float, int]:
    adj = res.network
    cw = res.consumers["churn_week"].fillna(10**6).to_numpy(np.int64)
    weeks = res.summary["weeks"]
    at_risk = {0: 0, 1: 0}
    events = {0: 0, 1: 0}
    for t in range(1, weeks):
        alive = cw >= t
        last_week = adj @ (cw == t - 1).astype(np.float64)
        earlier = adj @ ((cw >= t - window) & (cw <= t - 2)).astype(np.float64)
        for k, grp in ((0, (last_week == 0) & (earlier == 0)),
                       (1, (last_week == 1) & (earlier == 0))):
            m = alive & grp
            at_risk[k] += int(m.sum())
            events[k] += int((m & (cw == t)).sum())
    h = {k: -np.log(1 - events[k] / at_risk[k]) for k in (0, 1)}
    return h[1] / h[0], events[1]


@pytest.mark.parametrize("ratio", [1.8, 3.0])
def test_hazard_ratio_recovered(ratio):
    sc = sim.scenario_from_dict({}, {
        **ONLY_CHURN_CONTAGION,
        "population.size": 100_000, "network.kind": "watts_strogatz", "network.mean_degree": 10,
        "churn.rule": "hazard", "churn.base_hazard": 0.02, "churn.trust_sensitivity": 0.0,
        "churn.contagion_ratio": ratio, "churn.contagion_window": 5, "run.weeks": 25,
        "run.seed": 11,
    })
    est, n_events = estimate_ratio(sim.run(sc), window=5)
    assert n_events > 2000
    assert est == pytest.approx(ratio, rel=0.08)


def test_no_contagion_gives_ratio_one():
    sc = sim.scenario_from_dict({}, {
        **ONLY_CHURN_CONTAGION,
        "population.size": 50_000, "churn.base_hazard": 0.02, "churn.trust_sensitivity": 0.0,
        "churn.contagion": False, "run.weeks": 20, "run.seed": 12,
    })
    est, _ = estimate_ratio(sim.run(sc), window=5)
    assert est == pytest.approx(1.0, abs=0.12)
