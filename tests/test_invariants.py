"""Invariants that hold in every run, whatever the scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from tests.helpers import ONLY_CHURN_CONTAGION, check_invariants, small

CASES = {
    "baseline": {},
    "ramp": {"strategy.escalation.mode": "ramp", "strategy.escalation.over_weeks": 20},
    "adaptive": {"strategy.escalation.mode": "adaptive",
                 "strategy.escalation.complaint_limit": 1.0},
    "specific consent": {"strategy.consent.design": "specific",
                         "strategy.escalation.level": "personal"},
    "incident on sbm": {"incidents.events": [{"week": 5, "severity": 1.0}],
                        "network.kind": "sbm"},
    "threshold rule on BA": {"network.kind": "barabasi_albert", "churn.rule": "threshold",
                             "churn.initial_churned": 20},
    "heavy campaign": {"strategy.frequency": 5, "strategy.reach": 1.0,
                       "trust.asymmetry": 5.0},
}
"""Scenarios (overrides of :func:`small`), built when a test runs, not at collection."""


@pytest.mark.parametrize("case", list(CASES))
def test_invariants_hold(case):
    check_invariants(sim.run(small(**CASES[case])))


def test_threshold_rule_churners_never_return():
    sc = small(**ONLY_CHURN_CONTAGION, **{
        "churn.rule": "threshold", "churn.initial_churned": 30, "network.kind": "erdos_renyi",
        "network.mean_degree": 3.0, "run.weeks": 40})
    model = sim.TrustModel(sc)
    seen_churned = np.zeros(sc.population.size, bool)
    for _ in range(sc.run.weeks):
        model.step()
        now = ~model.population.customer
        assert not (seen_churned & ~now).any()
        seen_churned |= now
    assert seen_churned.sum() > 30, "the cascade spread"


def test_per_consumer_table_has_documented_columns():
    res = sim.run(small())
    for col in ("consumer_id", "segment", "threshold", "trust", "would_stop", "wants_consent",
                "reads_terms", "customer", "churn_week", "degree", "purchases"):
        assert col in res.consumers
    assert isinstance(res.consumers["segment"].dtype, pd.CategoricalDtype)
    assert res.network.shape == (2000, 2000)
    assert (res.consumers["degree"].to_numpy() == np.diff(res.network.indptr)).all()
