"""Invariants that hold in every run, whatever the scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from tests.conftest import ONLY_CHURN_CONTAGION, small


def check_invariants(res: sim.RunResult) -> None:
    """Assert the invariants of a finished run."""
    w, c = res.weekly, res.consumers
    n = res.summary["consumers"]
    assert c["trust"].between(0, 1).all() and c["initial_trust"].between(0, 1).all()
    trust_cols = [col for col in w if col.startswith("trust_") or col.startswith("mean_trust")]
    vals = w[trust_cols].to_numpy(float)
    assert np.all((vals[~np.isnan(vals)] >= 0) & (vals[~np.isnan(vals)] <= 1))
    # counts conserved: customers + everyone who left = population, every week
    assert (w["customers"] + w["churned_cumulative"] == n).all()
    assert (w["customers"].diff().fillna(0) <= 0).all(), "no one comes back"
    assert (w["churned"] == -w["customers"].diff().fillna(w["churned"].iloc[0] * -1)).all()
    assert (w["crossed"] <= w["reached"]).all()
    assert (w["reached"] <= w["customers"] + w["churned"]).all()
    assert (w["complaints"] <= w["crossed"]).all()
    assert (w["public_posts"] <= w["complaints"]).all()
    assert w["revenue_cumulative"].is_monotonic_increasing
    assert w["week"].tolist() == list(range(len(w)))
    churned = c["churn_week"].notna()
    assert (churned == ~c["customer"]).all()
    assert int(churned.sum()) == int(w["churned_cumulative"].iloc[-1])


@pytest.mark.parametrize("scenario", [
    small(),
    small(**{"strategy.escalation.mode": "ramp", "strategy.escalation.over_weeks": 20}),
    small(**{"strategy.escalation.mode": "adaptive", "strategy.escalation.complaint_limit": 1.0}),
    small(**{"strategy.consent.design": "specific", "strategy.escalation.level": "personal"}),
    small(**{"incidents.events": [{"week": 5, "severity": 1.0}], "network.kind": "sbm"}),
    small(**{"network.kind": "barabasi_albert", "churn.rule": "threshold",
             "churn.initial_churned": 20}),
    small(**{"strategy.frequency": 5, "strategy.reach": 1.0, "trust.asymmetry": 5.0}),
])
def test_invariants_hold(scenario):
    check_invariants(sim.run(scenario))


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
