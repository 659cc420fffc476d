"""The per-agent Mesa reference model (benchmarks/mesa_reference.py) runs and stays sane."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from mesa_reference import Consumer, ReferenceModel, resolve_params


def run(model: ReferenceModel) -> ReferenceModel:
    while model.running:
        model.step()
    return model


def test_runs_small_trust_in_unit_interval_customers_non_increasing():
    model = ReferenceModel(
        n=300, weeks=3, seed=3,
        **{"incidents.events": [{"week": 1, "severity": 0.8, "responsible": False}],
           "strategy.escalation.level": "personal"},
    )
    run(model)
    df = model.datacollector.get_model_vars_dataframe()
    assert len(df) == 3
    assert list(df["week"]) == [0, 1, 2]
    assert all(0.0 <= a.trust <= 1.0 for a in model.agents)
    assert df["mean_trust"].between(0.0, 1.0).all()
    assert df["customers"].is_monotonic_decreasing
    assert df["customers"].iloc[-1] == sum(a.customer for a in model.agents)
    assert all(isinstance(a, Consumer) for a in model.agents)
    assert len(model.agents) == 300


def test_same_seed_same_run():
    a = run(ReferenceModel(n=300, weeks=3, seed=5)).datacollector.get_model_vars_dataframe()
    b = run(ReferenceModel(n=300, weeks=3, seed=5)).datacollector.get_model_vars_dataframe()
    assert a.equals(b)


def test_parameter_names():
    assert resolve_params({"reach": 0.2, "strategy__value_exchange": 0.1}) == {
        "strategy.reach": 0.2, "strategy.value_exchange": 0.1}
    with pytest.raises(ValueError, match="ambiguous"):
        resolve_params({"enabled": False})
    with pytest.raises(ValueError, match="unknown"):
        resolve_params({"no_such_lever": 1})
