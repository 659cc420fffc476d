"""Validation: the contagion hazard ratio, recovered from simulated data.

Nitzan & Libai (2011): each recently defecting neighbour multiplies the
defection hazard by about 1.8. We simulate the hazard rule with contagion
only, then estimate, from the consumers' churn weeks and the network alone,
the weekly hazard of customers with exactly one friend who left last week (and
none earlier in the window) against customers with no recently churned
friend.

Tolerances come from the sample: with ``e0`` and ``e1`` events in the two
groups, the log of the estimated ratio has standard error about
``sqrt(1/e0 + 1/e1)`` (Poisson counts, delta method): about 0.014 here (some
5,000 events with one churned friend). Each test accepts 4 standard errors
(measured bias of the estimator: -0.02 to 0 on the log scale over 3 seeds).
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from tests.helpers import ONLY_CHURN_CONTAGION


def estimate_ratio(res: sim.RunResult, window: int) -> tuple[float, float, int]:
    """Estimate the hazard ratio of one recently churned friend from a finished run.

    Returns:
        The ratio, the standard error of its log, and the events with one churned friend.
    """
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
    se = float(np.sqrt(1 / events[0] + 1 / events[1]))
    return h[1] / h[0], se, events[1]


def contagion_run(ratio: float, seed: int, contagion: bool = True) -> sim.RunResult:
    return sim.run(sim.scenario_from_dict({}, {
        **ONLY_CHURN_CONTAGION,
        "population.size": 100_000, "network.kind": "watts_strogatz", "network.mean_degree": 10,
        "churn.rule": "hazard", "churn.base_hazard": 0.02, "churn.trust_sensitivity": 0.0,
        "churn.contagion": contagion, "churn.contagion_ratio": ratio,
        "churn.contagion_window": 5, "run.weeks": 25, "run.seed": seed,
    }))


@pytest.mark.slow
@pytest.mark.parametrize("ratio", [1.8, 3.0])
def test_hazard_ratio_recovered(ratio):
    est, se, n_events = estimate_ratio(contagion_run(ratio, seed=11), window=5)
    assert n_events > 2000
    assert abs(np.log(est / ratio)) < 4 * se, (est, se)


@pytest.mark.slow
def test_no_contagion_gives_ratio_one():
    est, se, n_events = estimate_ratio(contagion_run(1.8, seed=12, contagion=False), window=5)
    assert n_events > 2000
    assert abs(np.log(est)) < 4 * se, (est, se)
