"""The per-agent Mesa reference (benchmarks/mesa_reference.py) agrees with ``sim.run``.

The two engines implement the same weekly rules but draw from different random
streams, so they can only agree in distribution. The agreement test runs both
on the same small scenario (the baseline with a breach in week 5; 2,000
consumers, 15 weeks) over ``SEEDS`` = 10 seeds each, reduces every run to
``METRICS`` (five per-run numbers read from the weekly tables), and compares
the two samples of each metric with Welch's two-sample t-test. The five
p-values are judged together with Holm's step-down procedure at a family-wise
level ``ALPHA`` = 0.01: if the engines agree in distribution, the chance that
the test reports any disagreement is at most 1% (the t-test is close to exact
here: each metric is an average or a count over thousands of consumers, close
to normal across seeds). The seeds are fixed, so the outcome is the same on
every run; the 1% is the chance that a fixed seed set is an unlucky one.

A test that cannot fail proves nothing, so the same procedure is also run
against ``sim.run`` with one parameter perturbed by a fifth (the breach's trust
impact 0.3 -> 0.36), and it must reject. (Measured once: agreement p-values
0.17-0.60; perturbed, final mean trust p < 1e-5.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from benchmarks.mesa_reference import Consumer, ReferenceModel, resolve_params, run_reference
from tests.helpers import BASELINE

N, WEEKS, SEEDS, ALPHA = 2000, 15, 10, 0.01
SCENARIO = {"incidents.events": [{"week": 5, "severity": 0.8, "responsible": False}]}
"""Overrides of the baseline: a breach, so that news and its trust loss are compared too."""

METRICS: dict[str, Callable[[pd.DataFrame], float]] = {
    "final mean trust": lambda w: float(w["mean_trust"].iloc[-1]),
    "final retention": lambda w: float(w["retention"].iloc[-1]),
    "aware of the breach a week on": lambda w: float(w["incident_aware"].iloc[6]),
    "complaints over the run": lambda w: float(w["complaints"].sum()),
    "purchases over the run": lambda w: float(w["purchases"].sum()),
}
"""Per-run summaries of the weekly table, one sample point per seed and engine."""


def holm(pvalues: Mapping[str, float], alpha: float) -> list[str]:
    """Hypotheses Holm's step-down procedure rejects at family-wise level ``alpha``.

    Args:
        pvalues: ``{name: p-value}``.
        alpha: Family-wise error rate.

    Returns:
        The rejected names, smallest p-value first.
    """
    ranked = sorted(pvalues.items(), key=lambda kv: kv[1])
    rejected = []
    for i, (name, p) in enumerate(ranked):
        if p > alpha / (len(ranked) - i):
            break
        rejected.append(name)
    return rejected


def agreement(a: list[pd.DataFrame], b: list[pd.DataFrame]) -> dict[str, float]:
    """Welch t-test p-value of each metric between two samples of weekly tables."""
    out = {}
    for name, f in METRICS.items():
        xa, xb = [f(w) for w in a], [f(w) for w in b]
        out[name] = float(stats.ttest_ind(xa, xb, equal_var=False).pvalue)
    return out


def sim_runs(**extra: object) -> list[pd.DataFrame]:
    ov = {**SCENARIO, "population.size": N, "run.weeks": WEEKS, **extra}
    return [sim.run(sim.load_scenario(BASELINE, overrides={**ov, "run.seed": 1000 + r})).weekly
            for r in range(SEEDS)]


@pytest.fixture(scope="module")
def mesa_runs() -> list[pd.DataFrame]:
    sc = sim.load_scenario(BASELINE, overrides={**SCENARIO, "population.size": N,
                                                "run.weeks": WEEKS})
    return [run_reference(n=N, weeks=WEEKS, seed=2000 + r, config=sc) for r in range(SEEDS)]


def test_holm_known_answers():
    # 4 hypotheses at 0.05: thresholds 0.0125, 0.0167, 0.025, 0.05 in order of p
    assert holm({"a": 0.01, "b": 0.015, "c": 0.03, "d": 0.04}, 0.05) == ["a", "b"]
    assert holm({"a": 0.02, "b": 0.001}, 0.05) == ["b", "a"]
    assert holm({"a": 0.03, "b": 0.04}, 0.05) == []  # 0.03 > 0.05 / 2 stops at once


@pytest.mark.slow
def test_engines_agree_in_distribution(mesa_runs):
    p = agreement(sim_runs(), mesa_runs)
    assert holm(p, ALPHA) == [], p


@pytest.mark.slow
def test_agreement_test_rejects_a_perturbed_engine(mesa_runs):
    """The same test tells the engines apart once a breach costs 20% more trust in one."""
    p = agreement(sim_runs(**{"incidents.impact": 0.36}), mesa_runs)
    assert "final mean trust" in holm(p, ALPHA), p


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
    c = run(ReferenceModel(n=300, weeks=3, seed=6)).datacollector.get_model_vars_dataframe()
    assert not a.equals(c)


def test_parameter_names():
    assert resolve_params({"reach": 0.2, "strategy__value_exchange": 0.1}) == {
        "strategy.reach": 0.2, "strategy.value_exchange": 0.1}
    with pytest.raises(ValueError, match="ambiguous"):
        resolve_params({"enabled": False})
    with pytest.raises(ValueError, match="unknown"):
        resolve_params({"no_such_lever": 1})


def test_metrics_read_the_weekly_columns():
    w = pd.DataFrame({"mean_trust": np.linspace(0.6, 0.5, WEEKS),
                      "retention": np.linspace(1, 0.9, WEEKS),
                      "incident_aware": np.arange(WEEKS) / 100,
                      "complaints": np.ones(WEEKS), "purchases": 2 * np.ones(WEEKS)})
    got = {k: f(w) for k, f in METRICS.items()}
    assert got == pytest.approx({"final mean trust": 0.5, "final retention": 0.9,
                                 "aware of the breach a week on": 0.06,
                                 "complaints over the run": WEEKS,
                                 "purchases over the run": 2 * WEEKS})
